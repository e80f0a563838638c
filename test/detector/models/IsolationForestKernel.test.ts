import { describe, expect, it } from 'vitest';
import { IsolationForest, averagePathLength } from '../../../detector/models/IsolationForest.js';
import { IsolationForestKernel, forestDepth, kernelModuleBytes } from '../../../detector/models/IsolationForestKernel.js';
import { SeededRandom } from '../../../detector/models/SeededRandom.js';
import { float64FromBase64, int32FromBase64, toBase64 } from '../../../detector/models/base64.js';

/** n rows of a d-dimensional standard normal cluster. */
function cluster(n: number, d: number, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  return Float64Array.from({ length: n * d }, () => rng.gaussian());
}

/**
 * Path-length sums by the plain node walk over the serialised model (feature −1 = leaf, value =
 * threshold or leaf path length, right child = left + 1; values < threshold go left, so a NaN
 * goes right): the definition the kernel must reproduce bit for bit.
 */
function referenceSums(f: IsolationForest, rows: Float64Array, n: number): Float64Array {
  const j = f.toJSON();
  const feature = int32FromBase64(j.feature);
  const value = float64FromBase64(j.value);
  const left = int32FromBase64(j.left);
  const roots = int32FromBase64(j.roots);
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      let node = roots[t];
      while (feature[node] >= 0) node = left[node] + (rows[r * j.dimension + feature[node]] < value[node] ? 0 : 1);
      sum += value[node];
    }
    out[r] = sum;
  }
  return out;
}

function kernelOf(f: IsolationForest): IsolationForestKernel | null {
  const j = f.toJSON();
  return IsolationForestKernel.create(
    j.dimension,
    int32FromBase64(j.feature),
    float64FromBase64(j.value),
    int32FromBase64(j.left),
    int32FromBase64(j.roots),
  );
}

/** The kernel's path-length sums of `n` rows equal the node walk's, bit for bit. */
function expectSumsLikeWalk(k: IsolationForestKernel | null, f: IsolationForest, rows: Float64Array, n: number): void {
  expect(k).not.toBeNull();
  const out = new Float64Array(n);
  k?.pathSums(rows, n, out);
  expect(Array.from(out)).toEqual(Array.from(referenceSums(f, rows, n)));
}

describe('IsolationForestKernel', () => {
  it('builds a valid WebAssembly module', () => {
    // Node's global (its types are not in this project's lib).
    const wasm = (globalThis as unknown as { WebAssembly: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
    expect(wasm.validate(kernelModuleBytes(76, 8, 100))).toBe(true);
    expect(wasm.validate(kernelModuleBytes(1, 1, 1))).toBe(true);
  });

  it('gives bit-identical path-length sums to the node walk, for any row count and lane remainder', () => {
    const d = 7;
    const f = IsolationForest.fit(cluster(3000, d, 1), 3000, d, { trees: 37, seed: 5 });
    const k = kernelOf(f);
    for (const n of [0, 1, 7, 8, 9, 31, 32, 33, 63, 64, 65, 1023, 1024, 1025, 1500, 2500]) expectSumsLikeWalk(k, f, cluster(n, d, 100 + n), n);
  });

  it('handles early leaves (constant columns, duplicates, tiny samples), NaN and infinities like the walk', () => {
    const d = 3;
    const rows = new Float64Array(300 * d);
    for (let i = 0; i < 300; i++) {
      rows[i * d + 1] = i % 3;
      rows[i * d + 2] = i < 290 ? 0 : i;
    }
    for (const params of [{ seed: 1 }, { seed: 2, sampleSize: 5 }, { seed: 3, maxDepth: 3 }]) {
      const f = IsolationForest.fit(rows, 300, d, params);
      const probe = Float64Array.from([0, 0, 0, NaN, 1, 2, 0, NaN, 295, Infinity, -Infinity, 1, 0, 2, -1e308]);
      const all = new Float64Array(rows.length + probe.length);
      all.set(rows);
      all.set(probe, rows.length);
      expectSumsLikeWalk(kernelOf(f), f, all, 305);
    }
  });

  it('compares like float64 at, just below and just above every threshold, and on signed zeros, subnormals and huge values', () => {
    const d = 4;
    const train = cluster(1000, d, 3);
    for (let i = 0; i < 1000; i += 7) train[i * d + 2] = (i % 3) * 1e-310; // subnormal thresholds
    const f = IsolationForest.fit(train, 1000, d, { trees: 20, seed: 4 });
    const j = f.toJSON();
    const feature = int32FromBase64(j.feature);
    const value = float64FromBase64(j.value);
    // A float64 one unit in the last place from v (towards +∞ for up, else towards −∞).
    const bits = new Float64Array(1);
    const ints = new BigInt64Array(bits.buffer);
    const nextF64 = (v: number, up: boolean): number => {
      if (v === 0) return up ? 5e-324 : -5e-324;
      bits[0] = v;
      ints[0] += (v > 0) === up ? 1n : -1n;
      return bits[0];
    };
    const probes: number[] = [];
    for (let i = 0; i < feature.length; i++) {
      if (feature[i] < 0) continue;
      const t = value[i];
      for (const x of [t, nextF64(t, false), nextF64(t, true), Math.fround(nextF64(t, true))]) {
        const row = Array.from(train.subarray(0, d));
        row[feature[i]] = x;
        probes.push(...row);
      }
    }
    for (const x of [0, -0, 5e-324, -5e-324, 1e-310, -1e-310, 3.5e38, -3.5e38, 1e300, -1e300, Infinity, -Infinity, NaN]) {
      probes.push(x, x, x, x);
    }
    expectSumsLikeWalk(kernelOf(f), f, Float64Array.from(probes), probes.length / d);
  });

  it('refuses a forest with a threshold that is not a float32 (saved before they were), which still scores by the walk', () => {
    const d = 3;
    const f = IsolationForest.fit(cluster(500, d, 1), 500, d, { trees: 10, seed: 2 });
    const j = f.toJSON();
    const feature = int32FromBase64(j.feature);
    const value = float64FromBase64(j.value);
    const node = feature.findIndex((v) => v >= 0);
    value[node] += 1e-12;
    const legacy = IsolationForest.fromJSON({ ...j, value: toBase64(value) });
    expect(kernelOf(legacy)).toBeNull();
    const rows = cluster(100, d, 5);
    const batch = legacy.scoreBatch(rows, 100);
    const sums = referenceSums(legacy, rows, 100);
    const k = -Math.LN2 / (legacy.treeCount * averagePathLength(legacy.sampleSize));
    for (let i = 0; i < 100; i++) expect(batch[i]).toBe(Math.exp(sums[i] * k));
  });

  it('measures the forest depth and refuses forests deeper than its layout', () => {
    const f = IsolationForest.fit(cluster(2000, 4, 2), 2000, 4, { trees: 10, seed: 1 });
    const j = f.toJSON();
    const feature = int32FromBase64(j.feature);
    const left = int32FromBase64(j.left);
    const roots = int32FromBase64(j.roots);
    expect(forestDepth(feature, left, roots)).toBe(8);
    // A right-leaning chain of 20 splits.
    const depth = 20;
    const nodes = 2 * depth + 1;
    const cf = new Int32Array(nodes).fill(-1);
    const cl = new Int32Array(nodes);
    for (let i = 0, node = 0; i < depth; i++) {
      cf[node] = 0;
      cl[node] = 2 * i + 1;
      node = 2 * i + 2;
    }
    expect(forestDepth(cf, cl, Int32Array.of(0))).toBeGreaterThan(14);
    expect(IsolationForestKernel.create(1, cf, new Float64Array(nodes), cl, Int32Array.of(0))).toBeNull();
  });
});

describe('IsolationForest.scoreBatch', () => {
  it('scores as the previous implementation did (pinned values of a seeded forest)', () => {
    const d = 6;
    const f = IsolationForest.fit(cluster(2000, d, 1), 2000, d, { trees: 100, seed: 11 });
    const rows = cluster(200, d, 21);
    for (let i = 0; i < 4; i++) rows[i * d + i] = 5 + i;
    const s = f.scoreBatch(rows, 200);
    // Computed by the pointer-walk scoreBatch before the WebAssembly kernel existed, as
    // Math.pow(2, −sum / (trees·c(ψ))). Rounding thresholds to float32 left this forest's path
    // sums unchanged, so Math.pow gives them back exactly; the scores, now computed with
    // Math.exp, are within a few units in the last place.
    const pinned = [
      0.5698334276058163, 0.5451168439057552, 0.511492238474072, 0.4977872011482927, 0.3984480909548634,
      0.4444640264831621,
    ];
    const sums = referenceSums(f, rows, 200);
    const scale = -1 / (100 * averagePathLength(256));
    expect(Array.from(sums.subarray(0, 6), (v) => Math.pow(2, v * scale))).toEqual(pinned);
    expect(Array.from(sums, (v) => Math.pow(2, v * scale)).reduce((a, b) => a + b, 0)).toBe(90.41948203498697);
    for (let i = 0; i < 6; i++) expect(Math.abs(s[i] - pinned[i])).toBeLessThanOrEqual(4 * Number.EPSILON * pinned[i]);
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(90.41948203498697, 12);
  });

  it('equals scoreOne and the fallback walk on every row, also for a deep forest the kernel refuses', () => {
    const d = 5;
    const train = cluster(5000, d, 3);
    const rows = cluster(700, d, 4);
    const deep = IsolationForest.fit(train, 5000, d, { trees: 5, sampleSize: 4096, maxDepth: 40, seed: 9 });
    expect(kernelOf(deep)).toBeNull();
    for (const f of [IsolationForest.fit(train, 5000, d, { trees: 60, seed: 9 }), deep]) {
      const batch = f.scoreBatch(rows, 700);
      const walked = new Float64Array(700);
      f.pathSumsByWalk(rows, 700, walked);
      const k = -Math.LN2 / (f.treeCount * averagePathLength(f.sampleSize));
      for (let i = 0; i < 700; i++) {
        expect(batch[i]).toBe(f.scoreOne(rows, i * d));
        expect(batch[i]).toBe(Math.exp(walked[i] * k));
      }
    }
  });

  it('rejects a short out array and a bad row count', () => {
    const f = IsolationForest.fit(cluster(500, 3, 1), 500, 3, { trees: 3 });
    expect(() => f.scoreBatch(cluster(10, 3, 2), 10, new Float64Array(5))).toThrow(/out has 5 values/);
    expect(() => f.scoreBatch(cluster(10, 3, 2), -1, new Float64Array(10))).toThrow(/non-negative integer/);
  });
});
