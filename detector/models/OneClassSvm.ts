import { SeededRandom } from './SeededRandom.js';
import { float64FromBase64, toBase64 } from './base64.js';
import { loadLibsvm, type Libsvm, type LibsvmModel } from './libsvm.js';

export interface OneClassSvmParams {
  /** ν: upper bound on the fraction of training rows outside the boundary, lower bound on SVs. */
  nu: number;
  /** RBF γ; 'scale' = 1 / (d · variance of all training values), like scikit-learn. */
  gamma: number | 'scale';
  /** Multiplier applied to γ ('scale' or given): > 1 narrows the kernel. */
  gammaFactor: number;
  /**
   * At most this many training rows (a seeded uniform sample of the input). libsvm's training time
   * grows roughly quadratically with rows: 5 000 rows train in about a second here.
   */
  maxTrainRows: number;
  seed: number;
  /** libsvm stopping tolerance (-e). */
  tolerance: number;
  /** libsvm kernel cache in MB (-m); inside the WASM heap. */
  cacheSizeMb: number;
  backend: 'wasm' | 'asm';
}

export const DEFAULT_ONE_CLASS_SVM_PARAMS: OneClassSvmParams = {
  nu: 0.05,
  gamma: 'scale',
  gammaFactor: 1,
  maxTrainRows: 5000,
  seed: 1,
  tolerance: 1e-3,
  cacheSizeMb: 100,
  backend: 'wasm',
};

export interface OneClassSvmJson {
  type: 'OneClassSvm';
  version: 1;
  dimension: number;
  gamma: number;
  rho: number;
  nu: number;
  trainRows: number;
  supportVectors: number;
  /** Row-major supportVectors × dimension, base64 Float64 little-endian. */
  sv: string;
  /** αᵢ per support vector. */
  coef: string;
}

/** How ρ was obtained from libsvm (exact from its memory, or the 6-digit printed value). */
export type RhoSource = 'heap' | 'text';

// exp(−t) for t ≥ 0 as 2^(−m/64) from a table times a cubic for the remainder: relative error
// below 1e-9, about 3× faster than Math.exp in V8; 0 beyond 2^−64.
const EXP_STEPS = 64;
const EXP_LIMIT = EXP_STEPS * 64;
const EXP_SCALE = Math.LOG2E * EXP_STEPS;
const EXP_REM = Math.LN2 / EXP_STEPS;
const EXP_TABLE = new Float64Array(EXP_LIMIT + 1);
for (let m = 0; m <= EXP_LIMIT; m++) EXP_TABLE[m] = Math.pow(2, -m / EXP_STEPS);

/** exp(−t) for t ≥ 0 (exported for tests). */
export function fastExpNeg(t: number): number {
  const y = t * EXP_SCALE;
  if (!(y < EXP_LIMIT)) return 0;
  const m = y | 0;
  const r = (y - m) * EXP_REM;
  return EXP_TABLE[m] * (1 - r * (1 - r * (0.5 - r * (1 / 6))));
}

/**
 * One-Class SVM with an RBF kernel (Schölkopf et al. 2001). Training runs libsvm (libsvm-js,
 * type ONE_CLASS); the support vectors (taken exactly from the training rows by libsvm's SV
 * indices), their coefficients αᵢ and ρ are then extracted, and scoring runs here in TypeScript:
 * f(x) = Σ αᵢ exp(−γ‖svᵢ − x‖²) − ρ, with f > 0 inside the learned region (libsvm's predict()
 * is sign(f)). `anomalyScore` is −f (higher = more anomalous). The WASM model is freed after
 * training; the scoring model is plain typed arrays and serialises to JSON.
 */
export class OneClassSvm {
  private constructor(
    readonly dimension: number,
    readonly gamma: number,
    readonly rho: number,
    readonly nu: number,
    readonly trainRows: number,
    /** Row-major supportVectorCount × dimension. */
    readonly sv: Float64Array,
    readonly coef: Float64Array,
    /** Where ρ came from on training ('heap' = exact); 'json' after fromJSON. */
    readonly rhoSource: RhoSource | 'json',
  ) {}

  get supportVectorCount(): number {
    return this.coef.length;
  }

  /**
   * Fit on `n` row-major rows of dimension `d` (at most `maxTrainRows` of them, sampled).
   * With `keepLibsvm`, the trained libsvm model is returned alongside (for agreement tests); the
   * caller must then call its `free()`.
   */
  static async fit(
    rows: Float64Array,
    n: number,
    d: number,
    params: Partial<OneClassSvmParams> = {},
  ): Promise<OneClassSvm> {
    const { model } = await OneClassSvm.fitWithLibsvm(rows, n, d, params, false);
    return model;
  }

  static async fitWithLibsvm(
    rows: Float64Array,
    n: number,
    d: number,
    params: Partial<OneClassSvmParams>,
    keepLibsvm: boolean,
  ): Promise<{ model: OneClassSvm; libsvm: LibsvmModel | null; trainIndices: Int32Array }> {
    const p = { ...DEFAULT_ONE_CLASS_SVM_PARAMS, ...params };
    if (!Number.isInteger(n) || n < 2) throw new Error(`OneClassSvm needs at least 2 rows, got ${n}`);
    if (!Number.isInteger(d) || d < 1) throw new Error(`OneClassSvm needs dimension ≥ 1, got ${d}`);
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    if (!(p.nu > 0 && p.nu <= 1)) throw new Error(`nu must be in (0, 1], got ${p.nu}`);
    if (!(p.maxTrainRows >= 2)) throw new Error(`maxTrainRows must be ≥ 2, got ${p.maxTrainRows}`);
    const lib: Libsvm = await loadLibsvm(p.backend);

    const indices = n <= p.maxTrainRows ? Int32Array.from({ length: n }, (_, i) => i) : new SeededRandom(p.seed).sample(n, p.maxTrainRows).sort();
    const m = indices.length;
    const samples: Float64Array[] = new Array(m);
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < m; i++) {
      const r = rows.subarray(indices[i] * d, indices[i] * d + d);
      samples[i] = r;
      for (let j = 0; j < d; j++) {
        sum += r[j];
        sq += r[j] * r[j];
      }
    }
    let gamma: number;
    if (p.gamma === 'scale') {
      const mean = sum / (m * d);
      const variance = sq / (m * d) - mean * mean;
      gamma = variance > 0 ? 1 / (d * variance) : 1;
    } else {
      gamma = p.gamma;
    }
    gamma *= p.gammaFactor;
    if (!(gamma > 0 && Number.isFinite(gamma))) throw new Error(`gamma must be a positive number, got ${gamma}`);

    const svm = new lib.SVM({
      type: lib.SVM.SVM_TYPES.ONE_CLASS,
      kernel: lib.SVM.KERNEL_TYPES.RBF,
      nu: p.nu,
      gamma,
      tolerance: p.tolerance,
      cacheSize: p.cacheSizeMb,
      quiet: true,
    });
    try {
      svm.train(samples, new Array<number>(m).fill(1));
      const text = svm.serializeModel();
      const parsed = parseLibsvmModel(text);
      const svIdx = svm.getSVIndices();
      if (svIdx.length !== parsed.coef.length) {
        throw new Error(`libsvm returned ${svIdx.length} SV indices but ${parsed.coef.length} coefficients`);
      }
      const k = svIdx.length;
      const sv = new Float64Array(k * d);
      for (let i = 0; i < k; i++) sv.set(samples[svIdx[i]], i * d);
      let rho = parsed.rho;
      let rhoSource: RhoSource = 'text';
      const exact = readExactRho(lib, svm, gamma, p.nu);
      if (exact !== null && Math.abs(exact - parsed.rho) <= 1e-5 * Math.max(1, Math.abs(parsed.rho))) {
        rho = exact;
        rhoSource = 'heap';
      }
      const model = new OneClassSvm(d, gamma, rho, p.nu, m, sv, Float64Array.from(parsed.coef), rhoSource);
      return { model, libsvm: keepLibsvm ? svm : null, trainIndices: indices };
    } finally {
      if (!keepLibsvm) svm.free();
    }
  }

  /** Decision value f(x) of the row at `offset` (> 0 inside, < 0 outside). */
  decisionOne(row: Float64Array, offset = 0): number {
    const { sv, coef, dimension: d } = this;
    const g = this.gamma * EXP_SCALE;
    let s = 0;
    for (let i = 0, base = 0; i < coef.length; i++, base += d) {
      let dist = 0;
      for (let j = 0; j < d; j++) {
        const diff = sv[base + j] - row[offset + j];
        dist += diff * diff;
      }
      const y = dist * g;
      if (y < EXP_LIMIT) {
        const mm = y | 0;
        const r = (y - mm) * EXP_REM;
        s += coef[i] * EXP_TABLE[mm] * (1 - r * (1 - r * (0.5 - r * (1 / 6))));
      }
    }
    return s - this.rho;
  }

  /**
   * Decision values of `n` row-major rows. Four rows share each pass over the support vectors
   * (each SV value loaded once for four distances): about 1.5–2× the one-row loop.
   */
  decisionBatch(rows: Float64Array, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
    const { sv, coef, dimension: d, rho } = this;
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    const g = this.gamma * EXP_SCALE;
    const nsv = coef.length;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o0 = i * d;
      const o1 = o0 + d;
      const o2 = o1 + d;
      const o3 = o2 + d;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let a = 0, base = 0; a < nsv; a++, base += d) {
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        let d3 = 0;
        for (let j = 0; j < d; j++) {
          const v = sv[base + j];
          let t = v - rows[o0 + j];
          d0 += t * t;
          t = v - rows[o1 + j];
          d1 += t * t;
          t = v - rows[o2 + j];
          d2 += t * t;
          t = v - rows[o3 + j];
          d3 += t * t;
        }
        const c = coef[a];
        let y = d0 * g;
        if (y < EXP_LIMIT) {
          const m = y | 0;
          const r = (y - m) * EXP_REM;
          s0 += c * EXP_TABLE[m] * (1 - r * (1 - r * (0.5 - r * (1 / 6))));
        }
        y = d1 * g;
        if (y < EXP_LIMIT) {
          const m = y | 0;
          const r = (y - m) * EXP_REM;
          s1 += c * EXP_TABLE[m] * (1 - r * (1 - r * (0.5 - r * (1 / 6))));
        }
        y = d2 * g;
        if (y < EXP_LIMIT) {
          const m = y | 0;
          const r = (y - m) * EXP_REM;
          s2 += c * EXP_TABLE[m] * (1 - r * (1 - r * (0.5 - r * (1 / 6))));
        }
        y = d3 * g;
        if (y < EXP_LIMIT) {
          const m = y | 0;
          const r = (y - m) * EXP_REM;
          s3 += c * EXP_TABLE[m] * (1 - r * (1 - r * (0.5 - r * (1 / 6))));
        }
      }
      out[i] = s0 - rho;
      out[i + 1] = s1 - rho;
      out[i + 2] = s2 - rho;
      out[i + 3] = s3 - rho;
    }
    for (; i < n; i++) out[i] = this.decisionOne(rows, i * d);
    return out;
  }

  /**
   * Anomaly scores of `n` rows, higher = more anomalous: −log Σ αᵢ K(svᵢ, x), the same order as
   * −f(x) (the boundary is at −log ρ) but without its ceiling: −f(x) stops at ρ for every row far
   * from all support vectors, so a far attack and a slightly novel flow would tie.
   */
  anomalyScoreBatch(rows: Float64Array, n: number, out: Float64Array = new Float64Array(n)): Float64Array {
    this.decisionBatch(rows, n, out);
    const { sv, coef, dimension: d, rho, gamma } = this;
    for (let i = 0; i < n; i++) {
      const kernelSum = out[i] + rho;
      if (kernelSum > 1e-15) {
        out[i] = -Math.log(kernelSum);
        continue;
      }
      // Far from every support vector the kernel sum underflows: use its log-space limit,
      // min over support vectors of γ‖x − svᵢ‖² − log αᵢ, which keeps growing with distance.
      let best = Infinity;
      for (let a = 0, base = 0; a < coef.length; a++, base += d) {
        let dist = 0;
        for (let j = 0; j < d; j++) {
          const t = sv[base + j] - rows[i * d + j];
          dist += t * t;
        }
        const v = gamma * dist - Math.log(coef[a]);
        if (v < best) best = v;
      }
      out[i] = best;
    }
    return out;
  }

  /** Exact decision value using Math.exp (reference for tests). */
  decisionExact(row: Float64Array, offset = 0): number {
    const { sv, coef, dimension: d } = this;
    let s = 0;
    for (let i = 0; i < coef.length; i++) {
      let dist = 0;
      for (let j = 0; j < d; j++) {
        const diff = sv[i * d + j] - row[offset + j];
        dist += diff * diff;
      }
      s += coef[i] * Math.exp(-this.gamma * dist);
    }
    return s - this.rho;
  }

  toJSON(): OneClassSvmJson {
    return {
      type: 'OneClassSvm',
      version: 1,
      dimension: this.dimension,
      gamma: this.gamma,
      rho: this.rho,
      nu: this.nu,
      trainRows: this.trainRows,
      supportVectors: this.coef.length,
      sv: toBase64(this.sv),
      coef: toBase64(this.coef),
    };
  }

  static fromJSON(json: OneClassSvmJson): OneClassSvm {
    if (!json || json.type !== 'OneClassSvm') throw new Error('not a OneClassSvm model');
    if (json.version !== 1) throw new Error(`unsupported OneClassSvm version ${String(json.version)}`);
    const sv = float64FromBase64(json.sv, 'OneClassSvm.sv');
    const coef = float64FromBase64(json.coef, 'OneClassSvm.coef');
    if (coef.length !== json.supportVectors || sv.length !== json.supportVectors * json.dimension) {
      throw new Error('OneClassSvm arrays do not match its dimensions');
    }
    if (!(json.gamma > 0) || !Number.isFinite(json.rho)) throw new Error('OneClassSvm gamma/rho invalid');
    return new OneClassSvm(json.dimension, json.gamma, json.rho, json.nu, json.trainRows, sv, coef, 'json');
  }
}

/** The fields of libsvm's text model format that a one-class RBF model needs. */
export function parseLibsvmModel(text: string): { rho: number; gamma: number; coef: number[]; sv: Map<number, number>[] } {
  const lines = text.split('\n');
  let rho = NaN;
  let gamma = NaN;
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === 'SV') break;
    const [key, ...rest] = line.split(/\s+/);
    if (key === 'svm_type' && rest[0] !== 'one_class') throw new Error(`expected a one_class model, got ${rest[0]}`);
    if (key === 'kernel_type' && rest[0] !== 'rbf') throw new Error(`expected an rbf kernel, got ${rest[0]}`);
    if (key === 'rho') rho = Number(rest[0]);
    if (key === 'gamma') gamma = Number(rest[0]);
  }
  if (i === lines.length) throw new Error('libsvm model has no SV section');
  if (!Number.isFinite(rho)) throw new Error('libsvm model has no rho');
  const coef: number[] = [];
  const sv: Map<number, number>[] = [];
  for (i++; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const parts = line.split(/\s+/);
    const c = Number(parts[0]);
    if (!Number.isFinite(c)) throw new Error(`bad SV line: ${line.slice(0, 80)}`);
    coef.push(c);
    const m = new Map<number, number>();
    for (let k = 1; k < parts.length; k++) {
      const [idx, val] = parts[k].split(':');
      m.set(Number(idx) - 1, Number(val));
    }
    sv.push(m);
  }
  return { rho, gamma, coef, sv };
}

// libsvm's in-memory svm_model (wasm32 layout of libsvm 3.x): svm_parameter is 96 bytes with
// gamma at +16 and nu at +72; then nr_class +96, l +100, SV +104, sv_coef +108, rho +112.
// Used only when the parameters read back match what we trained with; otherwise the text value.
function readExactRho(lib: Libsvm, svm: LibsvmModel, gamma: number, nu: number): number | null {
  const heap = lib.heap;
  const m = svm.model;
  if (!heap || typeof m !== 'number' || m <= 0 || m % 8 !== 0) return null;
  const H32 = heap.HEAP32;
  const HF = heap.HEAPF64;
  if (HF[(m + 16) >> 3] !== gamma || HF[(m + 72) >> 3] !== nu || H32[m >> 2] !== 2 || H32[(m + 4) >> 2] !== 2) return null;
  const rhoPtr = H32[(m + 112) >> 2];
  if (rhoPtr <= 0 || rhoPtr % 8 !== 0 || rhoPtr >= HF.byteLength) return null;
  const rho = HF[rhoPtr >> 3];
  return Number.isFinite(rho) ? rho : null;
}
