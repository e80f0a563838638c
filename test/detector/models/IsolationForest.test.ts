import { describe, expect, it } from 'vitest';
import { IsolationForest, averagePathLength } from '../../../detector/models/IsolationForest.js';
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
