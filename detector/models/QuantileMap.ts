import { float64FromBase64, toBase64 } from './base64.js';
import { quantileSorted } from './quantileSorted.js';

export interface QuantileMapJson {
  type: 'QuantileMap';
  version: 1;
  sampleCount: number;
  probs: string;
  values: string;
}

/**
 * Probabilities at which knots are kept: every 0.5 % up to 99.5 %, then every 0.01 % up to
 * 99.99 %, then every 0.001 %: fine where alert thresholds live (FPR 1e-2 … 1e-5), small overall
 * (261 knots).
 */
function knotProbabilities(): Float64Array {
  const p: number[] = [];
  for (let i = 0; i < 199; i++) p.push(i / 200);
  for (let i = 0; i < 49; i++) p.push(0.995 + i * 0.0001);
  for (let i = 0; i <= 10; i++) p.push(0.9999 + i * 0.00001);
  p[p.length - 1] = 1;
  return Float64Array.from(p);
}

/**
 * Empirical distribution of one model's raw scores on normal (calibration) data, kept as
 * quantile knots. `map(score)` estimates the probability that a normal score is below `score`:
 * the fraction of calibration scores below it (linearly interpolated between knots) times
 * n/(n+1), so the calibration maximum maps to `top` = 1 − 1/(n+1), not to 1 (a new normal score
 * exceeds the largest of n with probability 1/(n+1)). Above the maximum the estimate keeps rising
 * towards 1, continuously: 1 − (1 − top)/(1 + u), u = (score − max) / spread (spread = the
 * calibration maximum minus its 99th percentile), a heavy (Pareto-like) tail. So scores beyond
 * everything seen in calibration still rank among themselves, far outliers stay apart (an
 * exponential approach is exactly 1 in float64 a few dozen spreads out, which tied them), and
 * `quantile(p)` has an answer for p above `top` when the calibration set is too small to show it.
 * Ties resolve to the lowest fraction (a score equal to a mass of calibration scores is not
 * treated as rare).
 */
export class QuantileMap {
  /** Estimated probability at the calibration maximum: n/(n+1). */
  readonly top: number;
  private readonly spread: number;

  private constructor(
    readonly sampleCount: number,
    private readonly probs: Float64Array,
    private readonly values: Float64Array,
  ) {
    this.top = sampleCount / (sampleCount + 1);
    const k = values.length;
    let spread = values[k - 1] - this.knotQuantile(0.99);
    if (!(spread > 0)) spread = values[k - 1] - values[0];
    if (!(spread > 0)) spread = Math.max(Math.abs(values[k - 1]), 1e-9);
    this.spread = spread;
  }

  static fit(scores: Float64Array): QuantileMap {
    const n = scores.length;
    if (n < 1) throw new Error('QuantileMap needs at least one score');
    const sorted = Float64Array.from(scores).sort();
    if (!Number.isFinite(sorted[0]) || !Number.isFinite(sorted[n - 1])) throw new Error('QuantileMap scores must be finite');
    const probs = knotProbabilities();
    const values = new Float64Array(probs.length);
    for (let i = 0; i < probs.length; i++) values[i] = quantileSorted(sorted, probs[i]);
    return new QuantileMap(n, probs, values);
  }

  /** Score at probability `p` (inverse of map); beyond `top` on the extrapolated tail, +∞ at 1. */
  quantile(p: number): number {
    const { values, top } = this;
    if (p <= 0) return values[0];
    if (p >= 1) return Infinity;
    if (p > top) return values[values.length - 1] + this.spread * ((1 - top) / (1 - p) - 1);
    return this.knotQuantile(p / top);
  }

  /** Score at fraction `f` of the calibration scores (knots only). */
  private knotQuantile(f: number): number {
    const { probs, values } = this;
    if (f <= 0) return values[0];
    if (f >= 1) return values[values.length - 1];
    let lo = 0;
    let hi = probs.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (probs[mid] <= f) lo = mid;
      else hi = mid;
    }
    return values[lo] + ((values[hi] - values[lo]) * (f - probs[lo])) / (probs[hi] - probs[lo]);
  }

  /** Estimated probability that a normal score is below `score`, in [0, 1]. NaN maps to NaN. */
  map(score: number): number {
    const { probs, values, top } = this;
    const k = values.length;
    if (Number.isNaN(score)) return NaN;
    if (score <= values[0]) return 0;
    if (score > values[k - 1]) return 1 - (1 - top) / (1 + (score - values[k - 1]) / this.spread);
    // First knot ≥ score.
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid] >= score) hi = mid;
      else lo = mid + 1;
    }
    if (values[lo] === score) return probs[lo] * top;
    const a = lo - 1;
    return (probs[a] + ((probs[lo] - probs[a]) * (score - values[a])) / (values[lo] - values[a])) * top;
  }

  mapBatch(scores: Float64Array, out: Float64Array = new Float64Array(scores.length)): Float64Array {
    for (let i = 0; i < scores.length; i++) out[i] = this.map(scores[i]);
    return out;
  }

  toJSON(): QuantileMapJson {
    return { type: 'QuantileMap', version: 1, sampleCount: this.sampleCount, probs: toBase64(this.probs), values: toBase64(this.values) };
  }

  static fromJSON(json: QuantileMapJson): QuantileMap {
    if (!json || json.type !== 'QuantileMap') throw new Error('not a QuantileMap');
    if (json.version !== 1) throw new Error(`unsupported QuantileMap version ${String(json.version)}`);
    const probs = float64FromBase64(json.probs, 'QuantileMap.probs');
    const values = float64FromBase64(json.values, 'QuantileMap.values');
    if (probs.length !== values.length || probs.length < 2) throw new Error('QuantileMap arrays differ in length');
    for (let i = 1; i < values.length; i++) {
      if (!(values[i] >= values[i - 1]) || !(probs[i] > probs[i - 1])) throw new Error('QuantileMap knots must be ascending');
    }
    return new QuantileMap(json.sampleCount, probs, values);
  }
}
