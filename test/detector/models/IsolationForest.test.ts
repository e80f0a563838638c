import { describe, expect, it } from 'vitest';
import { IsolationForest, averagePathLength, float32Above, float32AtMost } from '../../../detector/models/IsolationForest.js';
import { float64FromBase64, int32FromBase64 } from '../../../detector/models/base64.js';
import { SeededRandom } from '../../../detector/models/SeededRandom.js';

/** n rows of a d-dimensional standard normal cluster. */
function cluster(n: number, d: number, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  return Float64Array.from({ length: n * d }, () => rng.gaussian());
}

describe('averagePathLength (c(n))', () => {
  it('matches the closed form used by scikit-learn', () => {
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    const h = (n: number): number => 2 * (Math.log(n - 1) + 0.5772156649015329) - (2 * (n - 1)) / n;
    expect(averagePathLength(256)).toBeCloseTo(h(256), 12);
    expect(averagePathLength(256)).toBeCloseTo(10.2448, 3);
  });
});

describe('float32AtMost / float32Above', () => {
  it('give the float32 neighbours of a float64, also around 0, subnormals and the float32 range', () => {
    const cases = [1 / 3, -1 / 3, 0.1, -0.1, 1e-40, -1e-40, 1e-300, -1e-300, 3.5e38, -3.5e38, 123456789.123];
    for (const v of cases) {
      const lo = float32AtMost(v);
      const hi = float32Above(v);
      expect(Math.fround(lo)).toBe(lo);
      expect(Math.fround(hi)).toBe(hi);
      expect(lo <= v && v < hi).toBe(true);
      // Neighbours: nothing representable strictly between them but v.
      expect(float32Above(lo)).toBe(v === lo ? hi : float32Above(lo));
    }
    expect(float32AtMost(0.5)).toBe(0.5);
    expect(float32Above(0.5)).toBe(0.5000000596046448);
    expect(float32AtMost(-1e-300)).toBe(-1.401298464324817e-45);
    expect(float32Above(0)).toBe(1.401298464324817e-45);
    expect(float32Above(-0)).toBe(1.401298464324817e-45);
    expect(float32AtMost(1e300)).toBe(3.4028234663852886e38);
    expect(float32AtMost(Infinity)).toBe(Infinity);
  });
});

describe('IsolationForest', () => {
  const d = 6;
  const train = cluster(2000, d, 1);

  it('is deterministic given a seed, and the seed matters', () => {
    const a = IsolationForest.fit(train, 2000, d, { trees: 50, seed: 7 });
    const b = IsolationForest.fit(train, 2000, d, { trees: 50, seed: 7 });
    const c = IsolationForest.fit(train, 2000, d, { trees: 50, seed: 8 });
    expect(JSON.stringify(a.toJSON())).toBe(JSON.stringify(b.toJSON()));
    expect(JSON.stringify(a.toJSON())).not.toBe(JSON.stringify(c.toJSON()));
  });

  it('uses ψ = 256 and depth ceil(log2 ψ) by default, clamped to the row count', () => {
    const f = IsolationForest.fit(train, 2000, d);
    expect(f.sampleSize).toBe(256);
    expect(f.maxDepth).toBe(8);
    expect(f.treeCount).toBe(100);
    const small = IsolationForest.fit(train, 100, d);
    expect(small.sampleSize).toBe(100);
    expect(small.maxDepth).toBe(7);
  });

  it('scores obvious outliers above inliers', () => {
    const f = IsolationForest.fit(train, 2000, d, { seed: 3 });
    const inliers = f.scoreBatch(cluster(500, d, 2), 500);
    const out = new Float64Array(d).fill(6);
    const one = new Float64Array(d);
    one[2] = -8;
    const maxIn = Math.max(...inliers);
    const median = Float64Array.from(inliers).sort()[inliers.length >> 1];
    expect(f.scoreOne(out)).toBeGreaterThan(maxIn);
    // Extreme in one of six features only: isolated more slowly (1/6 of splits look at it, and a
    // split never lands outside the node's range), yet still above a typical inlier.
    expect(f.scoreOne(one)).toBeGreaterThan(median);
    expect(f.scoreOne(out)).toBeGreaterThan(0.6);
    const meanIn = inliers.reduce((a, b) => a + b, 0) / inliers.length;
    expect(meanIn).toBeGreaterThan(0.35);
    expect(meanIn).toBeLessThan(0.5);
  });

  it('gives the same score one row at a time and in a batch', () => {
    const f = IsolationForest.fit(train, 2000, d, { seed: 4 });
    const rows = cluster(100, d, 9);
    const batch = f.scoreBatch(rows, 100);
    for (let i = 0; i < 100; i++) expect(f.scoreOne(rows, i * d)).toBe(batch[i]);
  });

  it('round-trips through JSON text with identical scores', () => {
    const f = IsolationForest.fit(train, 2000, d, { seed: 5, trees: 30 });
    const g = IsolationForest.fromJSON(JSON.parse(JSON.stringify(f.toJSON())));
    const rows = cluster(300, d, 10);
    expect(Array.from(g.scoreBatch(rows, 300))).toEqual(Array.from(f.scoreBatch(rows, 300)));
    expect(g.treeCount).toBe(30);
  });

  it('splits at float32 thresholds strictly above the node minimum and at most its maximum', () => {
    const f = IsolationForest.fit(train, 2000, d, { seed: 6, trees: 20 });
    const j = f.toJSON();
    const feature = int32FromBase64(j.feature);
    const value = float64FromBase64(j.value);
    for (let i = 0; i < feature.length; i++) if (feature[i] >= 0) expect(Math.fround(value[i])).toBe(value[i]);
    // Two adjacent float32 values: every draw rounds to one of them, and the split must still
    // separate them, at the upper one.
    const pair = new Float64Array(100 * 2);
    for (let i = 0; i < 100; i++) {
      pair[i * 2] = i % 2 ? 1 + 2 ** -23 : 1;
      pair[i * 2 + 1] = 7;
    }
    const p = IsolationForest.fit(pair, 100, 2, { seed: 1, trees: 10 }).toJSON();
    const pf = int32FromBase64(p.feature);
    const pv = float64FromBase64(p.value);
    for (const root of int32FromBase64(p.roots)) {
      expect(pf[root]).toBe(0);
      expect(pv[root]).toBe(1 + 2 ** -23);
    }
    // Values that differ below float32 resolution cannot be split: the column counts as constant.
    const fine = new Float64Array(200 * 2);
    for (let i = 0; i < 200; i++) {
      fine[i * 2] = 1 + i * 1e-12;
      fine[i * 2 + 1] = 7;
    }
    expect(IsolationForest.fit(fine, 200, 2, { seed: 1, trees: 5 }).nodeCount).toBe(5);
  });

  it('handles constant columns and duplicate rows', () => {
    const rows = new Float64Array(300 * 3);
    for (let i = 0; i < 300; i++) rows[i * 3 + 1] = i % 2; // col 0 and 2 constant
    const f = IsolationForest.fit(rows, 300, 3, { seed: 1 });
    const s = f.scoreBatch(rows, 300);
    expect(s.every((v) => Number.isFinite(v) && v > 0 && v <= 1)).toBe(true);
    expect(f.scoreOne(Float64Array.from([5, 0, 0]))).toBeGreaterThanOrEqual(s[0]);
  });

  it('rejects bad arguments and corrupt models with clear errors', () => {
    expect(() => IsolationForest.fit(train, 1, d)).toThrow(/at least 2 rows/);
    expect(() => IsolationForest.fit(train, 10, d, { trees: 0 })).toThrow(/trees/);
    expect(() => IsolationForest.fit(new Float64Array(5), 10, d)).toThrow(/expected 10×6/);
    const j = IsolationForest.fit(train, 200, d, { trees: 2 }).toJSON();
    expect(() => IsolationForest.fromJSON({ ...j, version: 2 as 1 })).toThrow(/version/);
    expect(() => IsolationForest.fromJSON({ ...j, dimension: 1 })).toThrow(/out of range/);
    expect(() => IsolationForest.fromJSON({ ...j, trees: 3 })).toThrow(/tree count/);
  });
});
