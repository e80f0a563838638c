/** One second of traffic as the dashboard charts it. `t` is the second's start, epoch seconds. */
export interface SeriesPoint {
  t: number;
  packets: number;
  flows: number;
  /** Highest ensemble score of the flows scored in this second; null when none was scored. */
  maxScore: number | null;
  /** Flows scored above the threshold in this second. */
  anomalous: number;
}

/**
 * Per-second buckets of packets, flows and scores, keyed by capture time (packet timestamps), so a
 * file replayed at any speed charts the same as it was captured. Keeps the last `capacity`
 * seconds; a gap in the traffic becomes zero points (at most `capacity` of them). Samples older
 * than the open second are counted in it (interfaces can be slightly out of step).
 */
export class RateSeries {
  private readonly closed: SeriesPoint[] = [];
  private current: SeriesPoint | null = null;

  constructor(
    readonly capacity = 900,
    /** Called with each point when its second closes. */
    private readonly onClose: (p: SeriesPoint) => void = () => {},
  ) {}

  addPackets(ts: number, n = 1): void {
    this.at(ts).packets += n;
  }

  addFlows(ts: number, n: number): void {
    this.at(ts).flows += n;
  }

  addScore(ts: number, score: number, anomalous: boolean): void {
    const p = this.at(ts);
    if (p.maxScore === null || score > p.maxScore) p.maxScore = score;
    if (anomalous) p.anomalous += 1;
  }

  /** Closes every second before `ts` (a quiet live link still moves the chart). */
  advanceTo(ts: number): void {
    this.at(ts);
  }

  /** Closed points, oldest first, then the open one. */
  points(): SeriesPoint[] {
    return this.current ? [...this.closed, { ...this.current }] : [...this.closed];
  }

  /** The open second (partial), if any. */
  open(): SeriesPoint | null {
    return this.current ? { ...this.current } : null;
  }

  private at(ts: number): SeriesPoint {
    const sec = Math.floor(ts);
    const cur = this.current;
    if (cur === null) {
      this.current = empty(sec);
      return this.current;
    }
    if (sec <= cur.t) return cur;
    this.close(cur);
    const gapStart = Math.max(cur.t + 1, sec - this.capacity);
    for (let t = gapStart; t < sec; t++) this.close(empty(t));
    this.current = empty(sec);
    return this.current;
  }

  private close(p: SeriesPoint): void {
    this.closed.push(p);
    if (this.closed.length > this.capacity) this.closed.splice(0, this.closed.length - this.capacity);
    this.onClose(p);
  }
}

function empty(t: number): SeriesPoint {
  return { t, packets: 0, flows: 0, maxScore: null, anomalous: 0 };
}
