import { SeededRandom } from './SeededRandom.js';
import { IsolationForestKernel } from './IsolationForestKernel.js';
import { float64FromBase64, int32FromBase64, toBase64 } from './base64.js';

export interface IsolationForestParams {
  /** Number of trees. */
  trees: number;
  /** Sub-sample size ψ per tree (clamped to the number of training rows). */
  sampleSize: number;
  /** Maximum depth; default ceil(log2 ψ). */
  maxDepth?: number;
  /** PRNG seed: the same seed and data give the same forest. */
  seed: number;
}

export const DEFAULT_ISOLATION_FOREST_PARAMS: IsolationForestParams = { trees: 100, sampleSize: 256, seed: 1 };

export interface IsolationForestJson {
  type: 'IsolationForest';
  version: 1;
  dimension: number;
  trees: number;
  sampleSize: number;
  maxDepth: number;
  /** Per node, base64 little-endian: feature index (-1 = leaf). */
  feature: string;
  /** Per node: split threshold (internal) or path length depth + c(leaf size) (leaf). */
  value: string;
  /** Per node: index of the left child; the right child is left + 1. */
  left: string;
  /** Per tree: index of its root node. */
  roots: string;
}

const EULER_GAMMA = 0.5772156649015329;

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

/** The largest float32 ≤ v (v finite or infinite, not NaN). */
export function float32AtMost(v: number): number {
  const r = Math.fround(v);
  if (r <= v) return r;
  // r is the float32 just above v: step one unit towards −∞.
  f32[0] = r;
  if (r > 0) f32Bits[0]--;
  else if (r < 0) f32Bits[0]++;
  else f32Bits[0] = 0x80000001; // r = ±0 > v: the negative float32 closest to 0
  return f32[0];
}

/** The smallest float32 > v (v finite). */
export function float32Above(v: number): number {
  const r = Math.fround(v);
  if (r > v) return r;
  f32[0] = r;
  if (r > 0) f32Bits[0]++;
  else if (r < 0) f32Bits[0]--;
  else f32Bits[0] = 1; // r = ±0 ≤ v: the positive float32 closest to 0
  return f32[0];
}

/**
 * c(n): the average path length of an unsuccessful search in a binary search tree of n points,
 * used to normalise path lengths (Liu et al. 2008; same as scikit-learn's _average_path_length).
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/**
 * Isolation Forest (Liu, Ting & Zhou 2008) with sub-sampling. Each tree isolates a random
 * sub-sample of ψ rows by splitting a random non-constant feature at a uniform threshold between
 * its min and max, rounded to float32, down to depth ceil(log2 ψ). A row's score is
 * s = 2^(-E[h(x)] / c(ψ)) in (0, 1] (higher = more anomalous; equal to scikit-learn's
 * `-score_samples`), where h(x) is the depth of the leaf reached plus c(leaf size).
 *
 * All trees live in four flat typed arrays (node feature, threshold-or-leaf-value, left child,
 * tree roots), so scoring is a tight loop and the model serialises compactly. Batch scoring goes
 * through IsolationForestKernel (the rows in float32, the trees laid out as complete trees and
 * walked by a generated WebAssembly loop, eight rows at a time), built on the first batch;
 * scoreOne and forests the kernel cannot take (among them forests saved before thresholds were
 * float32) walk the typed arrays here. Both give the same path-length sums, so the same scores.
 *
 * Float32 thresholds: the kernel compares float32 values, which gives the exact float64
 * comparison only against float32 thresholds (see IsolationForestKernel). Rounding moves a
 * threshold by at most 6e-8 of its size, and a feature whose values in a node all lie between
 * two consecutive float32 values counts as constant there.
 *
 * Inputs must be finite: a NaN goes right at every split and yields a meaningless score. The
 * caller (the Ensemble) rejects non-finite rows before they get here.
 */
export class IsolationForest {
  private constructor(
    readonly dimension: number,
    readonly sampleSize: number,
    readonly maxDepth: number,
    private readonly feature: Int32Array,
    private readonly value: Float64Array,
    private readonly left: Int32Array,
    private readonly roots: Int32Array,
  ) {
    // Scoring layout: one Int32 per node = (left child − tree root) << 16 | feature, −1 = leaf.
    // Half the loads of separate feature/left arrays on the hot path.
    this.packed = new Int32Array(feature.length);
    for (let t = 0; t < roots.length; t++) {
      const start = roots[t];
      const end = t + 1 < roots.length ? roots[t + 1] : feature.length;
      for (let i = start; i < end; i++) {
        this.packed[i] = feature[i] < 0 ? -1 : ((left[i] - start) << 16) | feature[i];
      }
    }
  }

  private readonly packed: Int32Array;
  /** Batch scorer, built on first use; null when the forest does not fit it. */
  private kernel: IsolationForestKernel | null | undefined = undefined;

  get treeCount(): number {
    return this.roots.length;
  }

  get nodeCount(): number {
    return this.feature.length;
  }

  /** Fit on `n` rows of dimension `d` stored row-major in `rows` (length ≥ n·d). */
  static fit(rows: Float64Array, n: number, d: number, params: Partial<IsolationForestParams> = {}): IsolationForest {
    const p = { ...DEFAULT_ISOLATION_FOREST_PARAMS, ...params };
    if (!Number.isInteger(n) || n < 2) throw new Error(`IsolationForest needs at least 2 rows, got ${n}`);
    if (!Number.isInteger(d) || d < 1) throw new Error(`IsolationForest needs dimension ≥ 1, got ${d}`);
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    if (!Number.isInteger(p.trees) || p.trees < 1) throw new Error(`trees must be a positive integer, got ${p.trees}`);
    if (!Number.isInteger(p.sampleSize) || p.sampleSize < 2) throw new Error(`sampleSize must be an integer ≥ 2, got ${p.sampleSize}`);
    if (d > 65535) throw new Error(`IsolationForest supports at most 65535 features, got ${d}`);
    if (p.sampleSize > 16384) throw new Error(`sampleSize must be at most 16384, got ${p.sampleSize}`);
    const psi = Math.min(p.sampleSize, n);
    const maxDepth = p.maxDepth ?? Math.ceil(Math.log2(psi));
    const rng = new SeededRandom(p.seed);

    const maxNodes = p.trees * (2 * psi - 1);
    const feature = new Int32Array(maxNodes);
    const value = new Float64Array(maxNodes);
    const left = new Int32Array(maxNodes);
    const roots = new Int32Array(p.trees);
    const order = new Int32Array(d);
    let next = 0;

    // Build one node over idx[lo, hi) at `depth`; children are allocated as a consecutive pair.
    const build = (node: number, idx: Int32Array, lo: number, hi: number, depth: number): void => {
      const size = hi - lo;
      if (depth >= maxDepth || size <= 1) {
        feature[node] = -1;
        value[node] = depth + averagePathLength(size);
        return;
      }
      // Pick a random feature that is not constant on this node (random order without replacement).
      for (let i = 0; i < d; i++) order[i] = i;
      let f = -1;
      let min = 0;
      let max = 0;
      for (let tried = 0; tried < d; tried++) {
        const j = tried + rng.int(d - tried);
        const cand = order[j];
        order[j] = order[tried];
        order[tried] = cand;
        let mn = Infinity;
        let mx = -Infinity;
        for (let k = lo; k < hi; k++) {
          const v = rows[idx[k] * d + cand];
          if (v < mn) mn = v;
          if (v > mx) mx = v;
        }
        if (float32AtMost(mx) > mn) {
          f = cand;
          min = mn;
          max = mx;
          break;
        }
      }
      if (f < 0) {
        // All rows identical: this node cannot be split.
        feature[node] = -1;
        value[node] = depth + averagePathLength(size);
        return;
      }
      // The threshold is rounded to float32 (see the class comment); a draw that rounds out of
      // (min, max] is clamped to the nearest float32 inside it.
      let t = Math.fround(min + rng.next() * (max - min));
      if (t > max) t = float32AtMost(max);
      if (!(t > min)) t = float32Above(min);
      // Partition: values < t to the left.
      let i = lo;
      let j = hi - 1;
      while (i <= j) {
        if (rows[idx[i] * d + f] < t) i++;
        else {
          const tmp = idx[i];
          idx[i] = idx[j];
          idx[j] = tmp;
          j--;
        }
      }
      const l = next;
      next += 2;
      feature[node] = f;
      value[node] = t;
      left[node] = l;
      build(l, idx, lo, i, depth + 1);
      build(l + 1, idx, i, hi, depth + 1);
    };

    for (let tree = 0; tree < p.trees; tree++) {
      const idx = rng.sample(n, psi);
      const root = next++;
      roots[tree] = root;
      build(root, idx, 0, psi, 0);
    }
    return new IsolationForest(d, psi, maxDepth, feature.slice(0, next), value.slice(0, next), left.slice(0, next), roots);
  }

  /** Sum over trees of the path length h(x) of the row at `offset` in `row`. */
  private pathSum(row: Float64Array, offset: number): number {
    const { packed, value, roots } = this;
    let sum = 0;
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t];
      let node = root;
      let p = packed[node];
      while (p >= 0) {
        node = root + (p >>> 16) + (row[offset + (p & 0xffff)] < value[node] ? 0 : 1);
        p = packed[node];
      }
      sum += value[node];
    }
    return sum;
  }

  /** Mean path length E[h(x)] of the row at `offset` in `row`. */
  meanPathLength(row: Float64Array, offset = 0): number {
    return this.pathSum(row, offset) / this.roots.length;
  }

  /**
   * Factor k turning a path-length sum into the score exp(k·sum) = 2^(−sum / (trees·c(ψ))):
   * Math.exp is 5× faster than Math.pow(2, ·) here and differs from it by a few units in the last
   * place (at most 3 on a million sums).
   */
  private get scoreFactor(): number {
    return -Math.LN2 / (this.roots.length * averagePathLength(this.sampleSize));
  }

  /** Anomaly score in (0, 1] of one row (higher = more anomalous). */
  scoreOne(row: Float64Array, offset = 0): number {
    return Math.exp(this.pathSum(row, offset) * this.scoreFactor);
  }

  /** Scores of `n` row-major rows (higher = more anomalous); writes into `out` when given. */
  scoreBatch(rows: Float64Array, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
    const d = this.dimension;
    if (!Number.isInteger(n) || n < 0) throw new Error(`n must be a non-negative integer, got ${n}`);
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    if (out.length < n) throw new Error(`out has ${out.length} values, expected ${n}`);
    if (this.kernel === undefined) {
      this.kernel = IsolationForestKernel.create(d, this.feature, this.value, this.left, this.roots);
    }
    if (this.kernel) this.kernel.pathSums(rows, n, out);
    else this.pathSumsByWalk(rows, n, out);
    const k = this.scoreFactor;
    for (let r = 0; r < n; r++) out[r] = Math.exp(out[r] * k);
    return out;
  }

  /**
   * Path-length sums of `n` row-major rows by walking the typed arrays (for forests the kernel
   * does not take). Rows go in blocks of 32 through one tree at a time, so a tree's nodes stay in
   * cache for the whole block.
   */
  pathSumsByWalk(rows: Float64Array, n: number, out: Float64Array): void {
    const d = this.dimension;
    const { packed, value, roots } = this;
    const trees = roots.length;
    const BLOCK = 32;
    for (let r0 = 0; r0 < n; r0 += BLOCK) {
      const r1 = Math.min(n, r0 + BLOCK);
      for (let r = r0; r < r1; r++) out[r] = 0;
      for (let t = 0; t < trees; t++) {
        const root = roots[t];
        for (let r = r0; r < r1; r++) {
          const o = r * d;
          let node = root;
          let p = packed[node];
          while (p >= 0) {
            node = root + (p >>> 16) + (rows[o + (p & 0xffff)] < value[node] ? 0 : 1);
            p = packed[node];
          }
          out[r] += value[node];
        }
      }
    }
  }

  toJSON(): IsolationForestJson {
    return {
      type: 'IsolationForest',
      version: 1,
      dimension: this.dimension,
      trees: this.roots.length,
      sampleSize: this.sampleSize,
      maxDepth: this.maxDepth,
      feature: toBase64(this.feature),
      value: toBase64(this.value),
      left: toBase64(this.left),
      roots: toBase64(this.roots),
    };
  }

  static fromJSON(json: IsolationForestJson): IsolationForest {
    if (!json || json.type !== 'IsolationForest') throw new Error('not an IsolationForest model');
    if (json.version !== 1) throw new Error(`unsupported IsolationForest model version ${String(json.version)}`);
    const feature = int32FromBase64(json.feature, 'IsolationForest.feature');
    const value = float64FromBase64(json.value, 'IsolationForest.value');
    const left = int32FromBase64(json.left, 'IsolationForest.left');
    const roots = int32FromBase64(json.roots, 'IsolationForest.roots');
    const nodes = feature.length;
    if (value.length !== nodes || left.length !== nodes) throw new Error('IsolationForest arrays differ in length');
    if (roots.length !== json.trees) throw new Error('IsolationForest tree count does not match its roots');
    // Each tree's nodes are contiguous from its root; children stay inside their tree.
    if (roots.length === 0 || roots[0] !== 0) throw new Error('IsolationForest roots must start at node 0');
    for (let t = 0; t < roots.length; t++) {
      const start = roots[t];
      const end = t + 1 < roots.length ? roots[t + 1] : nodes;
      if (!(end > start) || end > nodes) throw new Error('IsolationForest roots out of range or not ascending');
      for (let i = start; i < end; i++) {
        const f = feature[i];
        if (f >= json.dimension || f < -1) throw new Error(`IsolationForest node ${i}: feature ${f} out of range`);
        if (f >= 0 && (left[i] <= i || left[i] + 1 >= end || left[i] - start > 32767)) {
          throw new Error(`IsolationForest node ${i}: bad child index`);
        }
      }
    }
    return new IsolationForest(json.dimension, json.sampleSize, json.maxDepth, feature, value, left, roots);
  }
}
