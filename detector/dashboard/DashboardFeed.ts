import { EventEmitter } from 'node:events';
import type { Anomaly } from '../../lib/anomaly.js';
import { featureIndex } from '../../sensor/features/schema.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import type { ModelInfo, ScoredFlow } from '../Detector.js';
import { RateSeries, type SeriesPoint } from './RateSeries.js';
import { TopTalkers, type Talker } from './TopTalkers.js';

/** What the sensor side reports about its own health. */
export interface SensorHealth {
  packets: number;
  bytes: number;
  /** Packets lost before decode (kernel or interface drops), where known. */
  drops: number;
  /** Packets that could not be decoded. */
  skipped: number;
  flowsActive: number;
  flowsEmitted: number;
  /** File mode: share of the file read, 0..1; null in live mode. */
  fileProgress: number | null;
}

export interface RunInfo {
  node: string;
  mode: 'file' | 'live';
  /** The file name, or the interfaces. */
  source: string;
  /** Wall clock, epoch seconds. */
  startedAt: number;
}

/** GET /api/stats and the SSE 'stats' event. */
export interface RunStats extends RunInfo {
  /** Latest capture time seen (packet timestamps), epoch seconds; null before the first packet. */
  captureTime: number | null;
  /** True once a file has been read to its end (or the capture stopped). */
  finished: boolean;
  health: SensorHealth;
  /** Rates of the last complete second. */
  packetsPerS: number;
  flowsPerS: number;
  anomalies: number;
  anomalousFlows: number;
  flowsScored: number;
  threshold: number;
  topTalkers: Talker[];
  series: SeriesPoint[];
}

export interface DashboardFeedSources {
  info: RunInfo;
  health: () => SensorHealth;
  anomalies: () => Anomaly[];
  model: () => ModelInfo;
}

export type FeedEvent =
  | { type: 'anomaly'; data: { anomaly: Anomaly; isNew: boolean } }
  | { type: 'model'; data: ModelInfo }
  | { type: 'stats'; data: RunStats }
  | { type: 'end'; data: RunStats };

const FWD_BYTES = featureIndex('fwd_bytes');
const BWD_BYTES = featureIndex('bwd_bytes');
const FWD_PACKETS = featureIndex('fwd_packets');
const BWD_PACKETS = featureIndex('bwd_packets');

/**
 * Everything the dashboard shows, gathered in one place by the run pipeline: traffic and score
 * series (by capture time), top talkers, totals; the anomalies, model and sensor health are read
 * from their owners on demand. Emits 'event' ({@link FeedEvent}) for the server-sent events.
 */
export class DashboardFeed extends EventEmitter {
  readonly series: RateSeries;
  readonly talkers = new TopTalkers();
  private captureTime: number | null = null;
  private finished = false;
  private anomalyCount = 0;
  private anomalousFlows = 0;
  private flowsScored = 0;
  private lastClosed: SeriesPoint | null = null;
  /** Series points up to this time have been published by a tick. */
  private publishedUntil = -Infinity;
  /** Anomalies updated since the last tick (published once per tick, latest state only). */
  private readonly updated = new Map<string, Anomaly>();

  constructor(private readonly sources: DashboardFeedSources) {
    super();
    this.series = new RateSeries(900, (p) => {
      this.lastClosed = p;
    });
  }

  /** One captured packet (called per packet: keep it cheap). */
  packet(ts: number): void {
    if (this.captureTime === null || ts > this.captureTime) this.captureTime = ts;
    this.series.addPackets(ts);
  }

  /** Flow records the sensor emitted, counted at the current capture time. */
  flows(records: readonly FlowRecord[]): void {
    if (records.length === 0) return;
    const now = this.captureTime ?? records[records.length - 1].lastSeen;
    this.series.addFlows(now, records.length);
    for (const r of records) {
      const f = r.features;
      this.talkers.addFlow(r.src, r.dst, f[FWD_BYTES], f[BWD_BYTES], f[FWD_PACKETS], f[BWD_PACKETS]);
    }
  }

  /** Flows the detector scored (empty while it learns). */
  scored(batch: readonly ScoredFlow[]): void {
    if (batch.length === 0) return;
    const now = this.captureTime ?? batch[batch.length - 1].record.lastSeen;
    for (const s of batch) {
      this.series.addScore(now, s.score, s.anomalous);
      if (s.anomalous) this.anomalousFlows += 1;
    }
    this.flowsScored += batch.length;
  }

  /** A new anomaly is published at once; updates to known ones are coalesced until the next tick. */
  anomaly(anomaly: Anomaly, isNew: boolean): void {
    if (isNew) {
      this.anomalyCount += 1;
      this.talkers.addAnomaly(anomaly.src);
      this.updated.delete(anomaly.id);
      this.emit('event', { type: 'anomaly', data: { anomaly: { ...anomaly }, isNew } } satisfies FeedEvent);
    } else {
      this.updated.set(anomaly.id, anomaly);
    }
  }

  model(info: ModelInfo): void {
    this.emit('event', { type: 'model', data: info } satisfies FeedEvent);
  }

  /** Live mode: move the chart on with the wall clock when the link is quiet. */
  advanceClock(nowS: number): void {
    if (this.captureTime === null || nowS > this.captureTime) this.captureTime = nowS;
    this.series.advanceTo(nowS);
  }

  /**
   * Called about once a second: publishes the anomalies updated since the last tick, and the
   * current stats with every series point closed since the last tick (a file replayed fast
   * closes many seconds per tick) plus the open one.
   */
  tick(): void {
    this.flushUpdates();
    const stats = this.stats(0);
    const all = this.series.points();
    const since = this.publishedUntil;
    stats.series = all.filter((p) => p.t > since || p === all[all.length - 1]);
    const closed = this.lastClosed;
    if (closed) this.publishedUntil = closed.t;
    this.emit('event', { type: 'stats', data: stats } satisfies FeedEvent);
  }

  private flushUpdates(): void {
    for (const anomaly of this.updated.values()) {
      this.emit('event', { type: 'anomaly', data: { anomaly: { ...anomaly }, isNew: false } } satisfies FeedEvent);
    }
    this.updated.clear();
  }

  /** The input has ended (file read, capture stopped). */
  end(): void {
    this.flushUpdates();
    this.finished = true;
    this.emit('event', { type: 'end', data: this.stats() } satisfies FeedEvent);
  }

  get isFinished(): boolean {
    return this.finished;
  }

  anomalies(): Anomaly[] {
    return this.sources.anomalies();
  }

  modelInfo(): ModelInfo {
    return this.sources.model();
  }

  /** Current stats with the last `seriesPoints` seconds of the series (all kept when omitted). */
  stats(seriesPoints?: number): RunStats {
    const all = this.series.points();
    const last = this.finished ? (this.series.open() ?? this.lastClosed) : this.lastClosed;
    return {
      ...this.sources.info,
      captureTime: this.captureTime,
      finished: this.finished,
      health: this.sources.health(),
      packetsPerS: last?.packets ?? 0,
      flowsPerS: last?.flows ?? 0,
      anomalies: this.anomalyCount,
      anomalousFlows: this.anomalousFlows,
      flowsScored: this.flowsScored,
      threshold: this.sources.model().threshold,
      topTalkers: this.talkers.top(8),
      series: seriesPoints === undefined ? all : seriesPoints === 0 ? [] : all.slice(-seriesPoints),
    };
  }
}
