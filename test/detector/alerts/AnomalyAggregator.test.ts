import { describe, expect, it } from 'vitest';
import { AnomalyAggregator } from '../../../detector/alerts/AnomalyAggregator.js';
import { makeFlow } from '../flowRecordFactory.js';

const flag = (over: Parameters<typeof makeFlow>[0], kind: 'PortScan' | 'HostSweep' = 'PortScan', score = 0.999) => ({
  record: makeFlow(over),
  node: 'n1',
  kind,
  score,
  models: ['iforest'],
  reasons: [],
});

describe('AnomalyAggregator', () => {
  it('folds flows of one kind, source and destination within the window into one anomaly', () => {
    const agg = new AnomalyAggregator({ windowS: 60, maxKept: 100 });
    const first = agg.add(flag({ firstSeen: 100, lastSeen: 101, dstPort: 22 }));
    expect(first.isNew).toBe(true);
    for (let i = 0; i < 999; i++) {
      const r = agg.add(flag({ firstSeen: 101 + i * 0.01, lastSeen: 101 + i * 0.01, dstPort: 1000 + i }, 'PortScan', i === 500 ? 1 : 0.999));
      expect(r.isNew).toBe(false);
    }
    const [a] = agg.list();
    expect(agg.size).toBe(1);
    expect(a).toMatchObject({ count: 1000, firstSeen: 100, kind: 'PortScan', src: '10.0.0.1', dst: '10.0.0.2', score: 1, dstPort: 1500, node: 'n1', protocol: 'tcp' });
    expect(a.lastSeen).toBeCloseTo(101 + 998 * 0.01);
  });

  it('opens a new anomaly after the window, and for another destination or kind', () => {
    const agg = new AnomalyAggregator({ windowS: 60, maxKept: 100 });
    agg.add(flag({ firstSeen: 100, lastSeen: 100 }));
    expect(agg.add(flag({ firstSeen: 200, lastSeen: 200 })).isNew).toBe(true);
    expect(agg.add(flag({ firstSeen: 200, lastSeen: 200, dst: '10.0.0.3' })).isNew).toBe(true);
    expect(agg.add(flag({ firstSeen: 200, lastSeen: 200 }, 'HostSweep')).isNew).toBe(true);
    expect(agg.size).toBe(4);
  });

  it('aggregates a sweep over all destinations, with dst "*"', () => {
    const agg = new AnomalyAggregator({ windowS: 60, maxKept: 100 });
    for (let i = 0; i < 50; i++) agg.add(flag({ dst: `10.0.1.${i}`, firstSeen: 100 + i, lastSeen: 100 + i }, 'HostSweep'));
    expect(agg.list()).toHaveLength(1);
    expect(agg.list()[0]).toMatchObject({ dst: '*', dstPort: 0, count: 50 });
  });

  it('keeps at most maxKept anomalies, dropping the oldest', () => {
    const agg = new AnomalyAggregator({ windowS: 60, maxKept: 10 });
    for (let i = 0; i < 25; i++) agg.add(flag({ src: `10.9.0.${i}`, firstSeen: i, lastSeen: i }));
    expect(agg.size).toBe(10);
    expect(agg.list()[0].src).toBe('10.9.0.15');
  });

  it('gives ids that are valid Kubernetes names and stable for the same input', () => {
    const a = new AnomalyAggregator().add(flag({ src: 'fe80::1', dst: '10.0.0.2', firstSeen: 1795400640.9 })).anomaly;
    const b = new AnomalyAggregator().add(flag({ src: 'fe80::1', dst: '10.0.0.2', firstSeen: 1795400640.9 })).anomaly;
    expect(a.id).toBe(b.id);
    expect(a.id).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  });
});
