import { float64FromBase64, toBase64 } from './base64.js';

export interface PcaJson {
  type: 'Pca';
  version: 2;
  dimension: number;
  components: number;
  residual: boolean;
  whiten: boolean;
  /** Mean and standard deviation of the residual norm on the fitting rows (used when whitening). */
  residualMean: number;
  residualStd: number;
  mean: string;
  /** Per-input-column divisor applied after centring (all 1 without `standardize`). */
  columnScale: string;
  /** Trace of the covariance of the (standardised) input: the total variance over all columns. */
  totalVariance: number;
  /** Row-major components × dimension matrix of unit eigenvectors, largest eigenvalue first. */
  basis: string;
  eigenvalues: string;
}

export interface PcaOptions {
  /** Add the norm of the part the projection leaves out as one more output coordinate (default true). */
  residual?: boolean;
  /** Divide components by their standard deviation and standardise the residual norm (default false). */
  whiten?: boolean;
  /** Divide each centred input column by its standard deviation first, floored at `minColumnStd` (default false). */
  standardize?: boolean;
  /** Floor of each column's standard deviation when standardising (one number or one per column). */
  minColumnStd?: number | Float64Array;
}

/**
 * Principal component projection, fitted by cyclic Jacobi on the d×d covariance matrix (exact for
 * the small d of feature vectors). Used to shrink the input of the One-Class SVM, whose scoring
 * cost is proportional to the dimension.
 *
 * With `standardize`, each centred input column is first divided by its standard deviation on the
 * fitting rows (floored at `minColumnStd`), as scikit-learn's StandardScaler does before its SVM.
 *
 * With `residual`, the output gets one more coordinate: the norm of what the projection leaves
 * out (‖x − x̂‖, the "squared prediction error" view). Without whitening the output then keeps
 * distances nearly: ‖x − y‖² ≈ ‖P(x − y)‖² + (r(x) − r(y))² (exact along the components, a lower
 * bound for the rest), so an RBF kernel on it is close to the kernel on the whole input.
 *
 * With `whiten`, each component is divided by its standard deviation (√eigenvalue) and the
 * residual norm is standardised (mean and standard deviation on the fitting rows), so every
 * output coordinate has unit variance on normal data. This magnifies the directions the fitting
 * rows barely varied in, which on a short baseline ranks novel-but-normal flows as outliers.
 */
export class Pca {
  private constructor(
    readonly dimension: number,
    readonly components: number,
    readonly residual: boolean,
    readonly whiten: boolean,
    readonly residualMean: number,
    readonly residualStd: number,
    readonly mean: Float64Array,
    readonly columnScale: Float64Array,
    readonly totalVariance: number,
    readonly basis: Float64Array,
    readonly eigenvalues: Float64Array,
  ) {
    this.invStd = Float64Array.from(eigenvalues, (e) => (e > 1e-12 ? 1 / Math.sqrt(e) : 1));
    this.invColumnScale = Float64Array.from(columnScale, (s) => 1 / s);
    this.centred = new Float64Array(dimension);
  }

  private readonly invStd: Float64Array;
  private readonly invColumnScale: Float64Array;
  /** Scratch row: the centred (and standardised) input. */
  private readonly centred: Float64Array;

  /** Output dimension: components (+1 with residual). */
  get outputDimension(): number {
    return this.components + (this.residual ? 1 : 0);
  }

  static fit(rows: Float64Array, n: number, d: number, components: number, options: PcaOptions = {}): Pca {
    const residual = options.residual ?? true;
    const whiten = options.whiten ?? false;
    if (n < 2) throw new Error('Pca needs at least 2 rows');
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    if (!Number.isInteger(components) || components < 1) throw new Error(`components must be a positive integer, got ${components}`);
    const floor = options.minColumnStd ?? 0;
    if (typeof floor !== 'number' && floor.length !== d) throw new Error(`minColumnStd has ${floor.length} values, expected ${d}`);
    const k = Math.min(components, d);
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= n;
    const columnScale = new Float64Array(d).fill(1);
    if (options.standardize) {
      const sq = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const v = rows[i * d + j] - mean[j];
          sq[j] += v * v;
        }
      }
      for (let j = 0; j < d; j++) {
        const std = Math.sqrt(sq[j] / n);
        const min = typeof floor === 'number' ? floor : floor[j];
        const s = Math.max(std, min);
        columnScale[j] = s > 1e-12 && Number.isFinite(s) ? s : 1;
      }
    }
    const cov = new Float64Array(d * d);
    const x = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[j] = (rows[i * d + j] - mean[j]) / columnScale[j];
      for (let a = 0; a < d; a++) {
        const xa = x[a];
        if (xa === 0) continue;
        const base = a * d;
        for (let b = a; b < d; b++) cov[base + b] += xa * x[b];
      }
    }
    let totalVariance = 0;
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        const v = cov[a * d + b] / (n - 1);
        cov[a * d + b] = v;
        cov[b * d + a] = v;
      }
      totalVariance += cov[a * d + a];
    }
    const { values, vectors } = jacobiEigen(cov, d);
    const order = Array.from({ length: d }, (_, i) => i).sort((a, b) => values[b] - values[a]);
    const basis = new Float64Array(k * d);
    const eig = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      const col = order[c];
      eig[c] = values[col];
      for (let j = 0; j < d; j++) basis[c * d + j] = vectors[j * d + col];
    }
    const raw = new Pca(d, k, residual, false, 0, 1, mean, columnScale, totalVariance, basis, eig);
    if (!whiten) return raw;
    let resMean = 0;
    let resStd = 1;
    if (residual) {
      const out = new Float64Array(k + 1);
      let s = 0;
      let sq = 0;
      for (let i = 0; i < n; i++) {
        raw.projectOne(rows, i * d, out, 0);
        s += out[k];
        sq += out[k] * out[k];
      }
      resMean = s / n;
      resStd = Math.sqrt(Math.max(0, sq / n - resMean * resMean));
      if (!(resStd > 1e-12)) resStd = 1;
    }
    return new Pca(d, k, residual, true, resMean, resStd, mean, columnScale, totalVariance, basis, eig);
  }

  /** Project one row at `offset` into `out` at `outOffset` (outputDimension values). */
  projectOne(row: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
    const { dimension: d, components: k, mean, basis, invColumnScale, centred } = this;
    let total = 0;
    for (let j = 0; j < d; j++) {
      const v = (row[offset + j] - mean[j]) * invColumnScale[j];
      centred[j] = v;
      total += v * v;
    }
    let explained = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      const base = c * d;
      for (let j = 0; j < d; j++) s += centred[j] * basis[base + j];
      explained += s * s;
      out[outOffset + c] = this.whiten ? s * this.invStd[c] : s;
    }
    if (this.residual) {
      const r = Math.sqrt(Math.max(0, total - explained));
      out[outOffset + k] = this.whiten ? (r - this.residualMean) / this.residualStd : r;
    }
  }

  /** Project `n` row-major rows. */
  project(rows: Float64Array, n: number, out: Float64Array = new Float64Array(n * this.outputDimension)): Float64Array {
    const d = this.dimension;
    const o = this.outputDimension;
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    for (let i = 0; i < n; i++) this.projectOne(rows, i * d, out, i * o);
    return out;
  }

  toJSON(): PcaJson {
    return {
      type: 'Pca',
      version: 2,
      dimension: this.dimension,
      components: this.components,
      residual: this.residual,
      whiten: this.whiten,
      residualMean: this.residualMean,
      residualStd: this.residualStd,
      mean: toBase64(this.mean),
      columnScale: toBase64(this.columnScale),
      totalVariance: this.totalVariance,
      basis: toBase64(this.basis),
      eigenvalues: toBase64(this.eigenvalues),
    };
  }

  static fromJSON(json: PcaJson): Pca {
    if (!json || json.type !== 'Pca') throw new Error('not a Pca model');
    if (json.version !== 2) throw new Error(`unsupported Pca version ${String(json.version)} (this netids reads 2)`);
    const mean = float64FromBase64(json.mean, 'Pca.mean');
    const columnScale = float64FromBase64(json.columnScale, 'Pca.columnScale');
    const basis = float64FromBase64(json.basis, 'Pca.basis');
    const eig = float64FromBase64(json.eigenvalues, 'Pca.eigenvalues');
    if (mean.length !== json.dimension || columnScale.length !== json.dimension || basis.length !== json.components * json.dimension || eig.length !== json.components) {
      throw new Error('Pca arrays do not match its dimensions');
    }
    for (let j = 0; j < columnScale.length; j++) if (!(columnScale[j] > 0) || !Number.isFinite(columnScale[j])) throw new Error(`Pca columnScale[${j}] must be > 0`);
    if (!(json.residualStd > 0) || !Number.isFinite(json.residualMean)) throw new Error('Pca residual statistics invalid');
    if (!(json.totalVariance >= 0) || !Number.isFinite(json.totalVariance)) throw new Error('Pca totalVariance invalid');
    return new Pca(json.dimension, json.components, json.residual === true, json.whiten === true, json.residualMean, json.residualStd, mean, columnScale, json.totalVariance, basis, eig);
  }
}

/**
 * Eigen-decomposition of a symmetric d×d matrix (row-major) by cyclic Jacobi rotations.
 * Returns eigenvalues and a row-major matrix whose columns are the eigenvectors.
 */
function jacobiEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += a[i] * a[i];
  const tol = 1e-22 * Math.max(scale, 1e-300);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    if (off <= tol) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * d + p];
        const aqq = a[q * d + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}
