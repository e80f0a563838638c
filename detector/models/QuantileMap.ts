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
 * quantile knots. `map(score)` is the fraction of calibration scores below `score`, linearly
 * interpolated between knots: 0 at or below the minimum; above the maximum it rises from
 * 1 − 1/(n+1) towards 1 (exponentially, on the scale of the top 1 % spread), so scores beyond
 * everything seen in calibration still rank among themselves. Ties resolve to the lowest
 * fraction (a score equal to a mass of calibration scores is not treated as rare).
 */
export class QuantileMap {
  private constructor(
    readonly sampleCount: number,
    private readonly probs: Float64Array,
    private readonly values: Float64Array,
  ) {}

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

  /** Score at probability `p` (inverse of map). */
  quantile(p: number): number {
    const { probs, values } = this;
    if (p <= 0) return values[0];
    if (p >= 1) return values[values.length - 1];
    let lo = 0;
    let hi = probs.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (probs[mid] <= p) lo = mid;
      else hi = mid;
    }
    return values[lo] + ((values[hi] - values[lo]) * (p - probs[lo])) / (probs[hi] - probs[lo]);
  }

  /** Fraction of calibration scores below `score`, in [0, 1]. NaN maps to NaN. */
  map(score: number): number {
    const { probs, values } = this;
    const k = values.length;
    if (Number.isNaN(score)) return NaN;
    if (score <= values[0]) return 0;
    if (score > values[k - 1]) {
      // Beyond the largest calibration score: approach 1 smoothly so extreme scores still rank.
      const top = 1 - 1 / (this.sampleCount + 1);
      const spread = values[k - 1] - this.quantile(0.99);
      if (!(spread > 0)) return top;
      return top + (1 - top) * (1 - Math.exp(-(score - values[k - 1]) / spread));
    }
    // First knot ≥ score.
    let lo = 0;
    let hi = k - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (values[mid] >= score) hi = mid;
      else lo = mid + 1;
    }
    if (values[lo] === score) return probs[lo];
    const a = lo - 1;
    return probs[a] + ((probs[lo] - probs[a]) * (score - values[a])) / (values[lo] - values[a]);
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
