import { float64FromBase64, toBase64, uint8FromBase64 } from './base64.js';
import { quantileSorted } from './quantileSorted.js';

export interface ScalerParams {
  /**
   * Which features get a log transform before scaling:
   * - 'nonnegative': every feature whose training values are all ≥ 0 (counts, bytes, rates,
   *   durations: heavy-tailed in network data); transformed as sign(x)·log1p(|x|) so a negative
   *   value at scoring time stays finite and ordered.
   * - 'none': no log transform.
   */
  log: 'nonnegative' | 'none';
  /** Smallest scale; features that are constant on the training data get this scale. */
  minScale: number;
}

export const DEFAULT_SCALER_PARAMS: ScalerParams = { log: 'nonnegative', minScale: 1e-3 };

export interface ScalerJson {
  type: 'Scaler';
  version: 1;
  dimension: number;
  log: string;
  center: string;
  scale: string;
}

/**
 * Per-feature transform fitted on training data: optional signed log1p, then robust scaling
 * (x − median) / s, where s = IQR / 1.349 (the standard deviation of a normal with that IQR).
 * Where the IQR is 0 (a feature that is mostly one value, e.g. a flag or a rare counter) s falls
 * back to the standard deviation, and for a constant feature to `minScale`. So a rarely-set
 * flag scales by its spread rather than exploding, and a constant feature maps to 0 unless it
 * changes at scoring time, when it stands out strongly.
 */
export class Scaler {
  private constructor(
    readonly dimension: number,
    /** 1 where the feature is log-transformed. */
    readonly logMask: Uint8Array,
    /** Median of the (log-transformed) feature on the training data. */
    readonly center: Float64Array,
    /** Robust scale of the (log-transformed) feature. */
    readonly scale: Float64Array,
  ) {}

  static fit(rows: Float64Array, n: number, d: number, params: Partial<ScalerParams> = {}): Scaler {
    const p = { ...DEFAULT_SCALER_PARAMS, ...params };
    if (n < 1) throw new Error('Scaler needs at least one row');
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    if (!(p.minScale > 0)) throw new Error(`minScale must be > 0, got ${p.minScale}`);
    const logMask = new Uint8Array(d);
    const center = new Float64Array(d);
    const scale = new Float64Array(d);
    const col = new Float64Array(n);
    for (let j = 0; j < d; j++) {
      let min = Infinity;
      for (let i = 0; i < n; i++) {
        const v = rows[i * d + j];
        col[i] = v;
        if (v < min) min = v;
      }
      if (p.log === 'nonnegative' && min >= 0) {
        logMask[j] = 1;
        for (let i = 0; i < n; i++) col[i] = Math.log1p(col[i]);
      }
      let sum = 0;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        sum += col[i];
        sq += col[i] * col[i];
      }
      const mean = sum / n;
      const std = Math.sqrt(Math.max(0, sq / n - mean * mean));
      col.sort();
      const median = quantileSorted(col, 0.5);
      const iqr = quantileSorted(col, 0.75) - quantileSorted(col, 0.25);
      center[j] = median;
      let s = iqr / 1.349;
      if (!(s > p.minScale)) s = std;
      if (!(s > p.minScale)) s = p.minScale;
      scale[j] = s;
    }
    return new Scaler(d, logMask, center, scale);
  }

  /** Transform `n` row-major rows into `out` (a new array by default). */
  transform(rows: Float64Array, n: number, out: Float64Array = new Float64Array(n * this.dimension)): Float64Array {
    const d = this.dimension;
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    for (let i = 0; i < n; i++) this.transformOne(rows, i * d, out, i * d);
    return out;
  }

  /** Transform one row at `offset` of `row` into `out` at `outOffset`. */
  transformOne(row: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
    const { logMask, center, scale } = this;
    for (let j = 0; j < this.dimension; j++) {
      let v = row[offset + j];
      if (logMask[j] === 1) v = v >= 0 ? Math.log1p(v) : -Math.log1p(-v);
      out[outOffset + j] = (v - center[j]) / scale[j];
    }
  }

  toJSON(): ScalerJson {
    return {
      type: 'Scaler',
      version: 1,
      dimension: this.dimension,
      log: toBase64(this.logMask),
      center: toBase64(this.center),
      scale: toBase64(this.scale),
    };
  }

  static fromJSON(json: ScalerJson): Scaler {
    if (!json || json.type !== 'Scaler') throw new Error('not a Scaler model');
    if (json.version !== 1) throw new Error(`unsupported Scaler version ${String(json.version)}`);
    const d = json.dimension;
    const log = uint8FromBase64(json.log, 'Scaler.log');
    const center = float64FromBase64(json.center, 'Scaler.center');
    const scale = float64FromBase64(json.scale, 'Scaler.scale');
    if (log.length !== d || center.length !== d || scale.length !== d) throw new Error('Scaler arrays do not match its dimension');
    for (let j = 0; j < d; j++) if (!(scale[j] > 0)) throw new Error(`Scaler scale[${j}] must be > 0`);
    return new Scaler(d, log, center, scale);
  }
}
