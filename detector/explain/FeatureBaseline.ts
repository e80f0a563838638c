import { FEATURE_NAMES, describeFeature } from '../../sensor/features/schema.js';
import type { AnomalyReason } from '../../lib/anomaly.js';

/**
 * What normal looked like, per feature, on the training data: the median, the 99th percentile
 * and a robust spread. Explanations compare a flagged vector with it in plain words.
 */
export class FeatureBaseline {
  constructor(
    readonly p50: Float64Array,
    readonly p99: Float64Array,
    /** Robust spread: max(p75 − p25, (p99 − p50) / 3, a small floor). */
    readonly spread: Float64Array,
  ) {}

  static fit(rows: Float64Array, n: number, d: number): FeatureBaseline {
    const p50 = new Float64Array(d);
    const p99 = new Float64Array(d);
    const spread = new Float64Array(d);
    const column = new Float64Array(n);
    for (let j = 0; j < d; j++) {
      for (let i = 0; i < n; i++) column[i] = rows[i * d + j];
      column.sort();
      const q = (p: number) => column[Math.min(n - 1, Math.floor(p * (n - 1)))];
      p50[j] = q(0.5);
      p99[j] = q(0.99);
      const floor = Math.max(1e-9, Math.abs(p50[j]) * 0.05);
      spread[j] = Math.max(q(0.75) - q(0.25), (p99[j] - p50[j]) / 3, floor);
    }
    return new FeatureBaseline(p50, p99, spread);
  }

  /**
   * The `top` features that deviate most from the baseline (robust distance beyond the p99 or
   * below the median), as reasons in plain words. Features within the normal range never appear.
   */
  explain(vector: Float64Array, top = 3): AnomalyReason[] {
    const candidates: { j: number; distance: number }[] = [];
    for (let j = 0; j < vector.length; j++) {
      const v = vector[j];
      const above = v - this.p99[j];
      const below = this.p50[j] - v;
      let distance = 0;
      if (above > 0) distance = above / this.spread[j];
      else if (below > 0 && v < this.p50[j] - 3 * this.spread[j]) distance = below / this.spread[j] / 3;
      if (distance > 0) candidates.push({ j, distance });
    }
    candidates.sort((a, b) => b.distance - a.distance);
    return candidates.slice(0, top).map(({ j }) => {
      const name = FEATURE_NAMES[j];
      const value = vector[j];
      return {
        feature: name,
        value,
        baselineP50: this.p50[j],
        baselineP99: this.p99[j],
        text: `${describeFeature(name)}: ${fmt(value)}, usually ${fmt(this.p50[j])} (p99 ${fmt(this.p99[j])})`,
      };
    });
  }

  toJSON(): { p50: number[]; p99: number[]; spread: number[] } {
    return { p50: [...this.p50], p99: [...this.p99], spread: [...this.spread] };
  }

  static fromJSON(json: { p50: number[]; p99: number[]; spread: number[] }, d: number): FeatureBaseline {
    for (const key of ['p50', 'p99', 'spread'] as const) {
      const a = json[key];
      if (!Array.isArray(a) || a.length !== d || !a.every(Number.isFinite)) {
        throw new Error(`baseline.${key} must be ${d} finite numbers`);
      }
    }
    return new FeatureBaseline(Float64Array.from(json.p50), Float64Array.from(json.p99), Float64Array.from(json.spread));
  }
}

/** A number for people: integers as integers, others with 3 significant digits. */
export function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toString();
  if (a === 0) return '0';
  return Number(v.toPrecision(3)).toString();
}
