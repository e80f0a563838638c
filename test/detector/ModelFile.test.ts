import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeatureBaseline } from '../../detector/explain/FeatureBaseline.js';
import { MODEL_FORMAT_VERSION, ModelFileError, TrainedModel } from '../../detector/ModelFile.js';
import { Ensemble } from '../../detector/models/Ensemble.js';
import { SeededRandom } from '../../detector/models/SeededRandom.js';
import { FEATURE_COUNT } from '../../sensor/features/schema.js';

describe('TrainedModel file format', () => {
  it('refuses a file of an older format version, saying to retrain', async () => {
    const n = 300;
    const rng = new SeededRandom(5);
    const rows = Float64Array.from({ length: n * FEATURE_COUNT }, () => Math.abs(rng.gaussian()) * 10);
    const ensemble = await Ensemble.train(rows, n, FEATURE_COUNT);
    const model = TrainedModel.create(ensemble, FeatureBaseline.fit(rows, n, FEATURE_COUNT), 1_000);
    const dir = mkdtempSync(join(tmpdir(), 'netids-modelfile-'));
    const file = join(dir, 'model.json');
    model.save(file);
    expect(TrainedModel.load(file).version).toBe(model.version);
    expect(MODEL_FORMAT_VERSION).toBe(2);
    const old = join(dir, 'old.json');
    writeFileSync(old, JSON.stringify({ ...model.toDocument(), formatVersion: 1 }));
    expect(() => TrainedModel.load(old)).toThrow(ModelFileError);
    expect(() => TrainedModel.load(old)).toThrow(/format version 1 is not supported \(this netids reads 2\): retrain/);
  });
});
