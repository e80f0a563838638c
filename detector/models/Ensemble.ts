import { DEFAULT_ISOLATION_FOREST_PARAMS, IsolationForest, type IsolationForestJson, type IsolationForestParams } from './IsolationForest.js';
import { DEFAULT_ONE_CLASS_SVM_PARAMS, OneClassSvm, type OneClassSvmJson, type OneClassSvmParams } from './OneClassSvm.js';
import { Pca, type PcaJson } from './Pca.js';
import { QuantileMap, type QuantileMapJson } from './QuantileMap.js';
import { DEFAULT_SCALER_PARAMS, Scaler, type ScalerJson, type ScalerParams } from './Scaler.js';
import { SeededRandom } from './SeededRandom.js';

export type ModelName = 'iforest' | 'ocsvm';

/** Bit of a model in `EnsembleScores.flags`. */
export const MODEL_FLAG: Record<ModelName, number> = { iforest: 1, ocsvm: 2 };

export interface EnsembleParams {
  models: ModelName[];
  scaler: ScalerParams;
  iforest: IsolationForestParams;
  ocsvm: OneClassSvmParams;
  /** PCA components before the SVM (0 = none); the SVM also gets the residual norm. */
  ocsvmComponents: number;
  /**
   * Standardise each scaled feature for the SVM (divide by its standard deviation on the training
   * rows, floored at `ocsvmMinStd` in the feature's log units) before the PCA, as scikit-learn's
   * StandardScaler does. With γ = 'scale' the SVM's γ is then 1 / (total variance of that
   * standardised input), so the kernel on the PCA output approximates the kernel on all features.
   */
  ocsvmStandardize: boolean;
  /** Floor of a feature's standard deviation (log1p units for log-transformed features). */
  ocsvmMinStd: number;
  /** Whiten the PCA output (unit-variance components and standardised residual; γ 'scale' then uses the output). */
  ocsvmWhiten: boolean;
  /** How per-model quantiles combine: 'max' (any model) or 'mean'. */
  combine: 'max' | 'mean';
  /** Target false-positive rate on normal data; sets the alert threshold and per-model flags. */
  targetFpr: number;
  /**
   * Which rows calibrate the quantile maps and the threshold:
   * - 'out-of-sample' (default): the training rows the One-Class SVM did not train on (it trains
   *   on a sample of at most ocsvm.maxTrainRows); the Isolation Forest sees each of them in only
   *   ≈ trees·ψ/n trees. Falls back to 'in-sample' below 1 000 such rows. (On a 200-flow
   *   baseline in-sample SVM scores are optimistic: 36 % of later normal flows score beyond all
   *   of them. Cross-fitted SVM scores, 2 to 20 folds, were measured instead: they put the
   *   baseline's own rare flows above most attacks, and only 2 of 8 attacks were detected.)
   * - 'holdout': a seeded `calibrationFraction` of the rows, not used to fit anything.
   * - 'in-sample': all training rows.
   */
  calibration: 'out-of-sample' | 'holdout' | 'in-sample';
  /** Fraction held out with calibration 'holdout'. */
  calibrationFraction: number;
  /** Cap on held-out calibration rows. */
  maxCalibrationRows: number;
  seed: number;
}

export const DEFAULT_ENSEMBLE_PARAMS: EnsembleParams = {
  models: ['iforest', 'ocsvm'],
  scaler: DEFAULT_SCALER_PARAMS,
  iforest: DEFAULT_ISOLATION_FOREST_PARAMS,
  // γ = 'scale' of the standardised input (before the PCA, whose non-whitened output keeps
  // distances nearly): on our labeled captures this ranks like scikit-learn's OneClassSVM on all 76
  // standardised features, where whitened PCA did not; see BENCHMARKS.md ("Detection quality").
  ocsvm: DEFAULT_ONE_CLASS_SVM_PARAMS,
  ocsvmComponents: 8,
  ocsvmStandardize: true,
  ocsvmMinStd: 0.3,
  ocsvmWhiten: false,
  combine: 'max',
  targetFpr: 0.001,
  calibration: 'out-of-sample',
  calibrationFraction: 0.2,
  maxCalibrationRows: 20_000,
  seed: 1,
};

/** Ensemble params with nested parts optional. */
export type EnsembleParamsInput = Partial<Omit<EnsembleParams, 'scaler' | 'iforest' | 'ocsvm'>> & {
  scaler?: Partial<ScalerParams>;
  iforest?: Partial<IsolationForestParams>;
  ocsvm?: Partial<OneClassSvmParams>;
};

/** The serialised trained model (what the detector stores and loads). */
export interface EnsembleJson {
  type: 'NetidsEnsemble';
  version: 2;
  featureCount: number;
  /** Rows given to train (after validation). */
  sampleCount: number;
  /** Rows used to calibrate quantiles and the threshold, and how they were chosen. */
  calibrationCount: number;
  calibrationMode: EnsembleParams['calibration'];
  params: EnsembleParams;
  threshold: number;
  trainSeconds: number;
  scaler: ScalerJson;
  iforest: IsolationForestJson | null;
  pca: PcaJson | null;
  ocsvm: OneClassSvmJson | null;
  quantiles: { iforest: QuantileMapJson | null; ocsvm: QuantileMapJson | null };
}

/** Scores of a batch of n rows. Rejected rows (any non-finite value) have NaN scores and no flags. */
export interface EnsembleScores {
  n: number;
  /** Combined score in [0, 1] (the combination of per-model quantiles). */
  combined: Float64Array;
  /** Per-model quantile scores in [0, 1] (fraction of normal calibration rows scoring lower). */
  quantiles: { iforest: Float64Array | null; ocsvm: Float64Array | null };
  /** Per-model raw anomaly scores (Isolation Forest s; One-Class SVM −f(x)). */
  raw: { iforest: Float64Array | null; ocsvm: Float64Array | null };
  /** Bit set of models whose own quantile is ≥ 1 − targetFpr (MODEL_FLAG). */
  flags: Uint8Array;
  /** 1 where combined ≥ threshold. */
  alert: Uint8Array;
  /** 1 where the row had a NaN or ±Infinity and was not scored. */
  rejected: Uint8Array;
  rejectedCount: number;
}

/** Index of the first non-finite value in n×d rows, or -1. */
export function firstNonFinite(rows: Float64Array, n: number, d: number): number {
  for (let i = 0; i < n * d; i++) if (!Number.isFinite(rows[i])) return i;
  return -1;
}

/**
 * The detector's model: Scaler → (Isolation Forest, PCA → One-Class SVM) → per-model quantile
 * maps → combined score and alert threshold. Train once (async: libsvm is WASM), then score
 * batches synchronously; `toJSON`/`fromJSON` round-trip exactly (identical scores).
 */
export class Ensemble {
  private constructor(
    readonly featureCount: number,
    readonly sampleCount: number,
    readonly calibrationCount: number,
    readonly calibrationMode: EnsembleParams['calibration'],
    readonly params: EnsembleParams,
    readonly threshold: number,
    readonly trainSeconds: number,
    readonly scaler: Scaler,
    readonly iforest: IsolationForest | null,
    readonly pca: Pca | null,
    readonly ocsvm: OneClassSvm | null,
    readonly quantileMaps: { iforest: QuantileMap | null; ocsvm: QuantileMap | null },
  ) {}

  get modelNames(): ModelName[] {
    const out: ModelName[] = [];
    if (this.iforest) out.push('iforest');
    if (this.ocsvm) out.push('ocsvm');
    return out;
  }

  /** Merge params with defaults and validate them (throws with a clear message). */
  static resolveParams(input: EnsembleParamsInput = {}): EnsembleParams {
    const p: EnsembleParams = {
      ...DEFAULT_ENSEMBLE_PARAMS,
      ...input,
      scaler: { ...DEFAULT_SCALER_PARAMS, ...input.scaler },
      iforest: { ...DEFAULT_ISOLATION_FOREST_PARAMS, seed: input.seed ?? DEFAULT_ENSEMBLE_PARAMS.seed, ...input.iforest },
      ocsvm: { ...DEFAULT_ENSEMBLE_PARAMS.ocsvm, seed: input.seed ?? DEFAULT_ENSEMBLE_PARAMS.seed, ...input.ocsvm },
    };
    if (p.models.length === 0 || p.models.some((m) => m !== 'iforest' && m !== 'ocsvm')) {
      throw new Error(`models must be a non-empty subset of iforest, ocsvm; got ${JSON.stringify(p.models)}`);
    }
    if (!(p.targetFpr > 0 && p.targetFpr < 1)) throw new Error(`targetFpr must be in (0, 1), got ${p.targetFpr}`);
    if (!['out-of-sample', 'holdout', 'in-sample'].includes(p.calibration)) throw new Error(`calibration must be out-of-sample, holdout or in-sample, got ${String(p.calibration)}`);
    if (!(p.calibrationFraction > 0 && p.calibrationFraction < 1)) throw new Error(`calibrationFraction must be in [0, 1), got ${p.calibrationFraction}`);
    if (p.combine !== 'max' && p.combine !== 'mean') throw new Error(`combine must be max or mean, got ${String(p.combine)}`);
    if (!Number.isInteger(p.ocsvmComponents) || p.ocsvmComponents < 0) throw new Error(`ocsvmComponents must be an integer ≥ 0`);
    if (!(p.ocsvmMinStd >= 0) || !Number.isFinite(p.ocsvmMinStd)) throw new Error(`ocsvmMinStd must be a number ≥ 0, got ${p.ocsvmMinStd}`);
    return p;
  }

  /**
   * Fit on `n` row-major rows of `d` features (normal traffic). Throws on fewer than 10 rows, a
   * non-finite value (naming row and column) or invalid params.
   */
  static async train(rows: Float64Array, n: number, d: number, params: EnsembleParamsInput = {}): Promise<Ensemble> {
    const started = performance.now();
    const p = Ensemble.resolveParams(params);
    if (!Number.isInteger(n) || n < 10) throw new Error(`need at least 10 training rows, got ${n}`);
    if (!Number.isInteger(d) || d < 1) throw new Error(`feature count must be ≥ 1, got ${d}`);
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    const bad = firstNonFinite(rows, n, d);
    if (bad >= 0) {
      throw new Error(`training row ${Math.floor(bad / d)} feature ${bad % d} is ${rows[bad]}: training data must be finite`);
    }

    const rng = new SeededRandom(p.seed ^ 0x5bd1e995);
    const gather = (idx: Int32Array, from: Float64Array): Float64Array => {
      const out = new Float64Array(idx.length * d);
      for (let i = 0; i < idx.length; i++) out.set(from.subarray(idx[i] * d, idx[i] * d + d), i * d);
      return out;
    };
    let fitRows = rows.subarray(0, n * d);
    let holdout: Float64Array | null = null;
    let mode = p.calibration;
    if (mode === 'holdout') {
      const hold = Math.min(p.maxCalibrationRows, Math.floor(n * p.calibrationFraction));
      if (hold >= 100 && n - hold >= 10) {
        const perm = rng.sample(n, n);
        holdout = gather(perm.slice(0, hold).sort(), rows);
        fitRows = gather(perm.slice(hold).sort(), rows);
      } else mode = 'in-sample';
    }
    const nf = fitRows.length / d;

    const scaler = Scaler.fit(fitRows, nf, d, p.scaler);
    const fitScaled = scaler.transform(fitRows, nf);

    let iforest: IsolationForest | null = null;
    let pca: Pca | null = null;
    let ocsvm: OneClassSvm | null = null;
    let svmTrained: Int32Array | null = null;
    if (p.models.includes('iforest')) iforest = IsolationForest.fit(fitScaled, nf, d, p.iforest);
    if (p.models.includes('ocsvm')) {
      let svmInput = fitScaled;
      let sd = d;
      let svmParams: Partial<OneClassSvmParams> = p.ocsvm;
      if (p.ocsvmComponents > 0 && p.ocsvmComponents < d) {
        // The floor is in the feature's own (log) units: the scaler divided them by scale[j].
        const minColumnStd = Float64Array.from(scaler.scale, (s) => p.ocsvmMinStd / s);
        // PCA on a bounded prefix of the fitting rows (covariance is O(rows·d²)).
        pca = Pca.fit(fitScaled, Math.min(nf, 20_000), d, p.ocsvmComponents, {
          residual: true,
          whiten: p.ocsvmWhiten,
          standardize: p.ocsvmStandardize,
          minColumnStd,
        });
        svmInput = pca.project(fitScaled, nf);
        sd = pca.outputDimension;
        // γ 'scale' as on the PCA's input (1 / (d · mean variance) = 1 / total variance): the
        // non-whitened output keeps distances nearly, so the kernel does too.
        if (p.ocsvm.gamma === 'scale' && !pca.whiten && pca.totalVariance > 0) svmParams = { ...p.ocsvm, gamma: 1 / pca.totalVariance };
      }
      const fitted = await OneClassSvm.fitWithLibsvm(svmInput, nf, sd, svmParams, false);
      ocsvm = fitted.model;
      svmTrained = fitted.trainIndices;
    }

    // Calibration rows (scaled).
    let calScaled: Float64Array;
    if (mode === 'holdout' && holdout) {
      calScaled = scaler.transform(holdout, holdout.length / d);
    } else {
      let idx: Int32Array | null = null;
      if (mode === 'out-of-sample') {
        if (svmTrained && nf - svmTrained.length >= 1000) {
          const used = new Uint8Array(nf);
          for (const i of svmTrained) used[i] = 1;
          idx = new Int32Array(nf - svmTrained.length);
          for (let i = 0, k = 0; i < nf; i++) if (used[i] === 0) idx[k++] = i;
        } else if (!svmTrained) {
          idx = null; // Isolation Forest alone: its sub-sampling already keeps most rows out of each tree.
        } else mode = 'in-sample';
      }
      if (!idx) idx = Int32Array.from({ length: nf }, (_, i) => i);
      if (idx.length > p.maxCalibrationRows) {
        const pick = rng.sample(idx.length, p.maxCalibrationRows).sort();
        idx = Int32Array.from(pick, (i) => idx![i]);
      }
      calScaled = idx.length === nf ? fitScaled : gather(idx, fitScaled);
    }
    const nc = calScaled.length / d;

    const maps: { iforest: QuantileMap | null; ocsvm: QuantileMap | null } = { iforest: null, ocsvm: null };
    if (iforest) maps.iforest = QuantileMap.fit(iforest.scoreBatch(calScaled, nc));
    if (ocsvm) maps.ocsvm = QuantileMap.fit(ocsvm.anomalyScoreBatch(pca ? pca.project(calScaled, nc) : calScaled, nc));

    const partial = new Ensemble(d, n, nc, mode, p, 1, 0, scaler, iforest, pca, ocsvm, maps);
    const cal = partial.scoreScaled(calScaled, nc, new Uint8Array(nc), 0);
    // The combined score's (1 − targetFpr) quantile on the calibration rows, where they are enough
    // to show it. With fewer than ≈ 1/targetFpr rows that quantile would only be the largest
    // score seen; then the level itself is the threshold, read on each model's own estimate (its
    // quantile map's tail beyond calibration). Measured on the 28-minute capture (600 s
    // baseline, 953 rows): 1 − targetFpr / 2 (a union bound over the two models) missed the
    // BruteForce attack, just above the calibration maximum (top) gave 3 false alerts in 19 min;
    // 1 − targetFpr detects every attack with 1 (see BENCHMARKS.md, "Detection quality").
    const combinedMap = QuantileMap.fit(cal.combined);
    const level = 1 - p.targetFpr;
    const threshold = level <= combinedMap.top ? combinedMap.quantile(level) : level;
    const seconds = (performance.now() - started) / 1000;
    return new Ensemble(d, n, nc, mode, p, threshold, seconds, scaler, iforest, pca, ocsvm, maps);
  }

  /**
   * Score `n` row-major rows. Rows with a non-finite value are not scored: they come back with
   * NaN scores, `rejected[i] = 1` and count in `rejectedCount` (the caller counts/logs them).
   */
  score(rows: Float64Array, n: number): EnsembleScores {
    const d = this.featureCount;
    if (rows.length < n * d) throw new Error(`rows has ${rows.length} values, expected ${n}×${d}`);
    const rejected = new Uint8Array(n);
    let rejectedCount = 0;
    const scaled = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      let ok = true;
      for (let j = 0; j < d; j++) {
        if (!Number.isFinite(rows[i * d + j])) {
          ok = false;
          break;
        }
      }
      if (ok) this.scaler.transformOne(rows, i * d, scaled, i * d);
      else {
        rejected[i] = 1;
        rejectedCount++;
      }
    }
    return this.scoreScaled(scaled, n, rejected, rejectedCount);
  }

  /** Score rows already transformed by `this.scaler` (rows flagged in `rejected` are skipped). */
  private scoreScaled(scaled: Float64Array, n: number, rejected: Uint8Array, rejectedCount: number): EnsembleScores {
    const flagAt = 1 - this.params.targetFpr;
    const combined = new Float64Array(n);
    const flags = new Uint8Array(n);
    const alert = new Uint8Array(n);
    const raw: EnsembleScores['raw'] = { iforest: null, ocsvm: null };
    const quantiles: EnsembleScores['quantiles'] = { iforest: null, ocsvm: null };
    const parts: Float64Array[] = [];
    const bits: number[] = [];
    if (this.iforest && this.quantileMaps.iforest) {
      raw.iforest = this.iforest.scoreBatch(scaled, n);
      quantiles.iforest = this.quantileMaps.iforest.mapBatch(raw.iforest);
      parts.push(quantiles.iforest);
      bits.push(MODEL_FLAG.iforest);
    }
    if (this.ocsvm && this.quantileMaps.ocsvm) {
      const input = this.pca ? this.pca.project(scaled, n) : scaled;
      raw.ocsvm = this.ocsvm.anomalyScoreBatch(input, n);
      quantiles.ocsvm = this.quantileMaps.ocsvm.mapBatch(raw.ocsvm);
      parts.push(quantiles.ocsvm);
      bits.push(MODEL_FLAG.ocsvm);
    }
    const useMax = this.params.combine === 'max';
    for (let i = 0; i < n; i++) {
      if (rejected[i] === 1) {
        combined[i] = NaN;
        for (const q of parts) q[i] = NaN;
        if (raw.iforest) raw.iforest[i] = NaN;
        if (raw.ocsvm) raw.ocsvm[i] = NaN;
        continue;
      }
      let c = 0;
      let f = 0;
      for (let m = 0; m < parts.length; m++) {
        const q = parts[m][i];
        if (useMax) {
          if (q > c) c = q;
        } else c += q;
        if (q >= flagAt) f |= bits[m];
      }
      combined[i] = useMax ? c : c / parts.length;
      flags[i] = f;
      alert[i] = combined[i] >= this.threshold ? 1 : 0;
    }
    return { n, combined, quantiles, raw, flags, alert, rejected, rejectedCount };
  }

  /** Names of the models set in a `flags` value. */
  static flaggedModels(flags: number): ModelName[] {
    const out: ModelName[] = [];
    if (flags & MODEL_FLAG.iforest) out.push('iforest');
    if (flags & MODEL_FLAG.ocsvm) out.push('ocsvm');
    return out;
  }

  toJSON(): EnsembleJson {
    return {
      type: 'NetidsEnsemble',
      version: 2,
      featureCount: this.featureCount,
      sampleCount: this.sampleCount,
      calibrationCount: this.calibrationCount,
      calibrationMode: this.calibrationMode,
      params: this.params,
      threshold: this.threshold,
      trainSeconds: this.trainSeconds,
      scaler: this.scaler.toJSON(),
      iforest: this.iforest ? this.iforest.toJSON() : null,
      pca: this.pca ? this.pca.toJSON() : null,
      ocsvm: this.ocsvm ? this.ocsvm.toJSON() : null,
      quantiles: {
        iforest: this.quantileMaps.iforest ? this.quantileMaps.iforest.toJSON() : null,
        ocsvm: this.quantileMaps.ocsvm ? this.quantileMaps.ocsvm.toJSON() : null,
      },
    };
  }

  /** Load a serialised model; throws a clear error on a wrong type/version or inconsistent parts. */
  static fromJSON(json: EnsembleJson): Ensemble {
    if (!json || json.type !== 'NetidsEnsemble') throw new Error('not a netids ensemble model');
    if (json.version !== 2) throw new Error(`unsupported ensemble model version ${String(json.version)} (this netids reads 2): retrain the model`);
    const params = Ensemble.resolveParams(json.params);
    const scaler = Scaler.fromJSON(json.scaler);
    const iforest = json.iforest ? IsolationForest.fromJSON(json.iforest) : null;
    const pca = json.pca ? Pca.fromJSON(json.pca) : null;
    const ocsvm = json.ocsvm ? OneClassSvm.fromJSON(json.ocsvm) : null;
    const maps = {
      iforest: json.quantiles?.iforest ? QuantileMap.fromJSON(json.quantiles.iforest) : null,
      ocsvm: json.quantiles?.ocsvm ? QuantileMap.fromJSON(json.quantiles.ocsvm) : null,
    };
    const d = json.featureCount;
    if (scaler.dimension !== d) throw new Error('scaler dimension does not match featureCount');
    if (iforest && (iforest.dimension !== d || !maps.iforest)) throw new Error('isolation forest dimension or quantiles mismatch');
    if (pca && pca.dimension !== d) throw new Error('pca dimension does not match featureCount');
    if (ocsvm && (ocsvm.dimension !== (pca ? pca.outputDimension : d) || !maps.ocsvm)) throw new Error('one-class svm dimension or quantiles mismatch');
    if (!iforest && !ocsvm) throw new Error('model has no detector');
    if (!(json.threshold >= 0 && json.threshold <= 1)) throw new Error('threshold must be in [0, 1]');
    return new Ensemble(d, json.sampleCount, json.calibrationCount, json.calibrationMode ?? params.calibration, params, json.threshold, json.trainSeconds, scaler, iforest, pca, ocsvm, maps);
  }
}

