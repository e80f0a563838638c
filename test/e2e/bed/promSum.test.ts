import { Counter, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { promSum } from './promSum.js';

describe('promSum', () => {
  it('sums the samples of one metric from a real prom-client exposition, filtered by labels', async () => {
    const r = new Registry();
    const c = new Counter({ name: 'x_anomalies_total', help: 'h', labelNames: ['kind'], registers: [r] });
    const g = new Gauge({ name: 'x_anomalies', help: 'h', registers: [r] });
    c.inc({ kind: 'PortScan' }, 3);
    c.inc({ kind: 'SynFlood' }, 2);
    g.set(40);
    const text = await r.metrics();
    expect(promSum(text, 'x_anomalies_total')).toBe(5);
    expect(promSum(text, 'x_anomalies_total', { kind: 'PortScan' })).toBe(3);
    expect(promSum(text, 'x_anomalies')).toBe(40);
    expect(promSum(text, 'x_anomalies_total', { kind: 'HostSweep' })).toBeUndefined();
    expect(promSum(text, 'x_missing')).toBeUndefined();
  });

  it('skips comments and lines it cannot read', () => {
    expect(promSum('# HELP a_b x\n# TYPE a_b gauge\na_b{l="v"} NaN\na_b garbage\na_b 2\n', 'a_b')).toBe(2);
  });
});
