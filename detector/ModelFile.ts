import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../sensor/features/schema.js';
import { FeatureBaseline } from './explain/FeatureBaseline.js';
import { Ensemble, type EnsembleJson } from './models/Ensemble.js';

/** A model file that cannot be used: the message says why (corrupt, wrong schema, wrong format). */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

export const MODEL_FORMAT = 'netids-model';
/**
 * Version 2: the One-Class SVM's PCA standardises its input and is no longer whitened (γ from the
 * standardised input); quantile maps rise hyperbolically above calibration. A version-1 file
 * would score differently, so it is refused: retrain.
 */
export const MODEL_FORMAT_VERSION = 2;

/** What a model file holds (JSON). */
export interface ModelDocument {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  /** Content hash of the ensemble and baseline: the same model has the same version everywhere. */
  version: string;
  featureSchemaVersion: number;
  featureNames: string[];
  /** Epoch seconds (packet time of the end of the baseline). */
  trainedAt: number;
  samples: number;
  ensemble: EnsembleJson;
  baseline: { p50: number[]; p99: number[]; spread: number[] };
}

/** A model ready to score: the ensemble, the baseline for explanations, and its identity. */
export class TrainedModel {
  constructor(
    readonly ensemble: Ensemble,
    readonly baseline: FeatureBaseline,
    readonly trainedAt: number,
    readonly version: string,
  ) {}

  static create(ensemble: Ensemble, baseline: FeatureBaseline, trainedAt: number): TrainedModel {
    const version = 'm-' + createHash('sha256').update(JSON.stringify([ensemble.toJSON(), baseline.toJSON(), trainedAt])).digest('hex').slice(0, 12);
    return new TrainedModel(ensemble, baseline, trainedAt, version);
  }

  toDocument(): ModelDocument {
    return {
      format: MODEL_FORMAT,
      formatVersion: MODEL_FORMAT_VERSION,
      version: this.version,
      featureSchemaVersion: FEATURE_SCHEMA_VERSION,
      featureNames: [...FEATURE_NAMES],
      trainedAt: this.trainedAt,
      samples: this.ensemble.sampleCount,
      ensemble: this.ensemble.toJSON(),
      baseline: this.baseline.toJSON(),
    };
  }

  /** Validate and load a model document (from a file or another replica). */
  static fromDocument(doc: unknown, source = 'model'): TrainedModel {
    if (typeof doc !== 'object' || doc === null) throw new ModelFileError(`${source}: not a JSON object`);
    const m = doc as Partial<ModelDocument>;
    if (m.format !== MODEL_FORMAT) throw new ModelFileError(`${source}: not a netids model (format "${String(m.format)}")`);
    if (m.formatVersion !== MODEL_FORMAT_VERSION) {
      throw new ModelFileError(
        `${source}: model format version ${String(m.formatVersion)} is not supported (this netids reads ${MODEL_FORMAT_VERSION}): retrain the model (netids train, or start without it to learn a new baseline)`,
      );
    }
    if (m.featureSchemaVersion !== FEATURE_SCHEMA_VERSION || JSON.stringify(m.featureNames) !== JSON.stringify(FEATURE_NAMES)) {
      throw new ModelFileError(
        `${source}: trained on feature schema v${String(m.featureSchemaVersion)}, this sensor schema is v${FEATURE_SCHEMA_VERSION}: retrain the model`,
      );
    }
    if (typeof m.version !== 'string' || typeof m.trainedAt !== 'number') throw new ModelFileError(`${source}: missing version or trainedAt`);
    try {
      const ensemble = Ensemble.fromJSON(m.ensemble as EnsembleJson);
      const baseline = FeatureBaseline.fromJSON(m.baseline as ModelDocument['baseline'], FEATURE_NAMES.length);
      return new TrainedModel(ensemble, baseline, m.trainedAt, m.version);
    } catch (err) {
      throw new ModelFileError(`${source}: corrupt model: ${(err as Error).message}`);
    }
  }

  save(file: string): void {
    const tmp = `${file}.tmp-${process.pid}`;
    writeFileSync(tmp, JSON.stringify(this.toDocument()));
    renameSync(tmp, file);
  }

  static load(file: string): TrainedModel {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ModelFileError(`cannot read model file ${file}: ${(err as Error).message}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new ModelFileError(`model file ${file} is corrupt (not JSON): ${(err as Error).message}`);
    }
    return TrainedModel.fromDocument(doc, `model file ${file}`);
  }
}
