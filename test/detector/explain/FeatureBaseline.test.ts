import { describe, expect, it } from 'vitest';
import { FeatureBaseline, fmt } from '../../../detector/explain/FeatureBaseline.js';
import { FEATURE_COUNT, featureIndex } from '../../../sensor/features/schema.js';

describe('FeatureBaseline', () => {
  const n = 1000;
  const rows = new Float64Array(n * FEATURE_COUNT);
  const ports = featureIndex('pair_dst_ports_10s');
  for (let i = 0; i < n; i++) rows[i * FEATURE_COUNT + ports] = 1 + (i % 3);
  const baseline = FeatureBaseline.fit(rows, n, FEATURE_COUNT);

  it('names the features far outside the baseline, in plain words', () => {
    const v = new Float64Array(FEATURE_COUNT);
    v[ports] = 812;
    const [top, ...rest] = baseline.explain(v);
    expect(top.feature).toBe('pair_dst_ports_10s');
    expect(top.baselineP50).toBe(2);
    expect(top.baselineP99).toBe(3);
    expect(top.text).toBe('distinct ports the source contacted on this destination (~10 s): 812, usually 2 (p99 3)');
    expect(rest).toHaveLength(0);
  });
  it('gives no reason for a vector inside the normal range', () => {
    const v = new Float64Array(FEATURE_COUNT);
    v[ports] = 2;
    expect(baseline.explain(v)).toEqual([]);
  });
  it('round-trips through JSON and rejects a wrong length', () => {
    const back = FeatureBaseline.fromJSON(JSON.parse(JSON.stringify(baseline.toJSON())), FEATURE_COUNT);
    expect([...back.p99]).toEqual([...baseline.p99]);
    expect(() => FeatureBaseline.fromJSON({ p50: [1], p99: [1], spread: [1] }, FEATURE_COUNT)).toThrow(/must be 76 finite numbers/);
  });
  it('formats numbers for people', () => {
    expect([fmt(3), fmt(0.012345), fmt(12345.6), fmt(0)]).toEqual(['3', '0.0123', '12346', '0']);
  });
});
