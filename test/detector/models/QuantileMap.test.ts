import { describe, expect, it } from 'vitest';
import { QuantileMap } from '../../../detector/models/QuantileMap.js';

describe('QuantileMap', () => {
  const n = 100_000;
  const scores = Float64Array.from({ length: n }, (_, i) => i / n); // uniform on [0, 1)
  const q = QuantileMap.fit(scores);

  it('maps a score to the fraction of calibration scores below it', () => {
    expect(q.map(-1)).toBe(0);
    expect(q.map(0)).toBe(0);
    expect(q.map(0.25)).toBeCloseTo(0.25, 4);
    expect(q.map(0.5)).toBeCloseTo(0.5, 4);
    expect(q.map(0.999)).toBeCloseTo(0.999, 4);
    expect(q.map(0.99995)).toBeCloseTo(0.99995, 4);
    expect(Number.isNaN(q.map(NaN))).toBe(true);
  });

  it('keeps ranking above the calibration maximum, below 1', () => {
    const a = q.map(1.001);
    const b = q.map(1.5);
    const c = q.map(100);
    expect(a).toBeGreaterThanOrEqual(1 - 1 / (n + 1));
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThanOrEqual(b);
    expect(c).toBeLessThanOrEqual(1);
  });

  it('keeps far outliers apart instead of tying them at 1', () => {
    // An exponential approach reached exactly 1 in float64 a few dozen spreads past the maximum,
    // so every far attack tied with every other (and ranking within them was lost).
    const small = QuantileMap.fit(Float64Array.from({ length: 200 }, (_, i) => i / 200));
    const far = [1.5, 10, 1e3, 1e6, 1e9].map((s) => small.map(s));
    for (let i = 1; i < far.length; i++) expect(far[i]).toBeGreaterThan(far[i - 1]);
    expect(far[far.length - 1]).toBeLessThan(1);
    expect(small.map(Infinity)).toBe(1);
  });

  it('inverts with quantile()', () => {
    for (const p of [0.1, 0.5, 0.9, 0.99, 0.999, 0.9999]) expect(q.map(q.quantile(p))).toBeCloseTo(p, 6);
  });

  it('maps a score tied with a mass of calibration scores to the lowest fraction', () => {
    const tied = QuantileMap.fit(Float64Array.from({ length: 1000 }, (_, i) => (i < 900 ? 0 : i)));
    expect(tied.map(0)).toBe(0);
    expect(tied.map(950)).toBeGreaterThan(0.9);
  });

  it('round-trips through JSON and rejects bad input', () => {
    const copy = QuantileMap.fromJSON(JSON.parse(JSON.stringify(q.toJSON())));
    for (const s of [0.1, 0.7, 0.9991, 3]) expect(copy.map(s)).toBe(q.map(s));
    expect(() => QuantileMap.fit(new Float64Array(0))).toThrow(/at least one/);
    expect(() => QuantileMap.fit(Float64Array.from([1, NaN]))).toThrow(/finite/);
  });
});
