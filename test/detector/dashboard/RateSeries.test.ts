import { describe, expect, it } from 'vitest';
import { RateSeries, type SeriesPoint } from '../../../detector/dashboard/RateSeries.js';

describe('RateSeries', () => {
  it('buckets by capture second and closes a second when a later one starts', () => {
    const closed: SeriesPoint[] = [];
    const s = new RateSeries(10, (p) => closed.push(p));
    s.addPackets(100.1);
    s.addPackets(100.9, 4);
    s.addFlows(100.5, 2);
    s.addScore(100.5, 0.3, false);
    s.addScore(100.6, 0.9, true);
    expect(closed).toEqual([]);
    s.addPackets(101.0);
    expect(closed).toEqual([{ t: 100, packets: 5, flows: 2, maxScore: 0.9, anomalous: 1 }]);
    expect(s.open()).toEqual({ t: 101, packets: 1, flows: 0, maxScore: null, anomalous: 0 });
  });

  it('fills a gap with zero points and counts late samples in the open second', () => {
    const s = new RateSeries(10);
    s.addPackets(100);
    s.addPackets(103);
    s.addPackets(102.5);
    expect(s.points().map((p) => [p.t, p.packets])).toEqual([
      [100, 1],
      [101, 0],
      [102, 0],
      [103, 2],
    ]);
  });

  it('keeps at most capacity seconds, even across a long gap', () => {
    const s = new RateSeries(5);
    s.addPackets(0);
    s.advanceTo(1_000_000);
    const pts = s.points();
    expect(pts.length).toBe(6);
    expect(pts[pts.length - 1].t).toBe(1_000_000);
    expect(pts[0].t).toBe(999_995);
  });
});
