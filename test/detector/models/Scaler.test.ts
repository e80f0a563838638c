import { describe, expect, it } from 'vitest';
import { Scaler } from '../../../detector/models/Scaler.js';
import { SeededRandom } from '../../../detector/models/SeededRandom.js';

/** Columns: 0 constant, 1 heavy-tailed (log-normal), 2 rare flag, 3 signed normal. */
function data(n: number, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  const out = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    out[i * 4] = 7;
    out[i * 4 + 1] = Math.exp(3 + 2 * rng.gaussian());
    out[i * 4 + 2] = rng.next() < 0.02 ? 1 : 0;
    out[i * 4 + 3] = rng.gaussian() * 5 - 1;
  }
  return out;
}

describe('Scaler', () => {
  const n = 20_000;
  const rows = data(n, 1);
  const s = Scaler.fit(rows, n, 4);

  it('log-transforms non-negative columns only', () => {
    expect(Array.from(s.logMask)).toEqual([1, 1, 1, 0]);
    expect(Array.from(Scaler.fit(rows, n, 4, { log: 'none' }).logMask)).toEqual([0, 0, 0, 0]);
  });

  it('maps a constant column to 0 and a change in it to a large but finite value', () => {
    expect(s.scale[0]).toBe(1e-3);
    const t = s.transform(Float64Array.from([7, 20, 0, -1, 8, 20, 0, -1]), 2);
    expect(t[0]).toBe(0);
    expect(t[4]).toBeGreaterThan(100);
    expect(Number.isFinite(t[4])).toBe(true);
  });

  it('robust-scales a heavy-tailed column to median 0 and unit IQR/1.349 in log space', () => {
    const t = s.transform(rows, n);
    const col = Float64Array.from({ length: n }, (_, i) => t[i * 4 + 1]).sort();
    expect(Math.abs(col[n >> 1])).toBeLessThan(0.02);
    const iqr = col[Math.floor(n * 0.75)] - col[Math.floor(n * 0.25)];
    expect(iqr).toBeCloseTo(1.349, 1);
    // The tail is tamed: the largest value is a few units, not thousands.
    expect(col[n - 1]).toBeLessThan(10);
  });

  it('scales a rare flag (IQR 0) by its standard deviation instead of exploding', () => {
    const t = s.transform(Float64Array.from([7, 20, 1, 0]), 1);
    expect(s.scale[2]).toBeGreaterThan(0.05);
    expect(t[2]).toBeGreaterThan(3);
    expect(t[2]).toBeLessThan(20);
  });

  it('keeps a negative value in a log column finite and ordered', () => {
    const t = s.transform(Float64Array.from([7, -5, 0, 0, 7, 0, 0, 0]), 2);
    expect(Number.isFinite(t[1])).toBe(true);
    expect(t[1]).toBeLessThan(t[5]);
  });

  it('round-trips through JSON text exactly', () => {
    const copy = Scaler.fromJSON(JSON.parse(JSON.stringify(s.toJSON())));
    const probe = data(50, 2);
    expect(Array.from(copy.transform(probe, 50))).toEqual(Array.from(s.transform(probe, 50)));
    expect(() => Scaler.fromJSON({ ...s.toJSON(), dimension: 3 })).toThrow(/dimension/);
  });
});
