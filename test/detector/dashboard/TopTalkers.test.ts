import { describe, expect, it } from 'vitest';
import { TopTalkers } from '../../../detector/dashboard/TopTalkers.js';

describe('TopTalkers', () => {
  it('ranks hosts by bytes sent and received, counting flows and anomalies', () => {
    const t = new TopTalkers();
    t.addFlow('a', 'b', 100, 900, 1, 2);
    t.addFlow('c', 'b', 10, 10, 1, 1);
    t.addAnomaly('c');
    expect(t.top(2)).toEqual([
      { host: 'b', bytes: 1020, packets: 5, flows: 2, anomalies: 0 },
      { host: 'a', bytes: 1000, packets: 3, flows: 1, anomalies: 0 },
    ]);
    expect(t.top().find((h) => h.host === 'c')?.anomalies).toBe(1);
  });

  it('stays within maxHosts, dropping the smallest and counting them', () => {
    const t = new TopTalkers(100);
    t.addFlow('big', 'big2', 1e9, 0, 1, 0);
    for (let i = 0; i < 10_000; i++) t.addFlow(`10.0.${i >> 8}.${i & 255}`, 'big', 1, 0, 1, 0);
    expect(t.size).toBeLessThanOrEqual(100);
    expect(t.evicted).toBeGreaterThan(9000);
    expect(t.top(1)[0].host).toBe('big');
  });
});
