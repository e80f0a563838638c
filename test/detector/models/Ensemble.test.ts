import { beforeAll, describe, expect, it } from 'vitest';
import { SyntheticFlows } from '../../../bench/SyntheticFlows.js';
import { Ensemble, MODEL_FLAG } from '../../../detector/models/Ensemble.js';
import { FEATURE_COUNT } from '../../../sensor/features/schema.js';

const d = FEATURE_COUNT;
const gen = new SyntheticFlows(d, 42);
const nTrain = 20_000;
const train = gen.normal(nTrain, 1);

describe('Ensemble', () => {
  let model: Ensemble;
  beforeAll(async () => {
    model = await Ensemble.train(train, nTrain, d, { targetFpr: 0.01, seed: 3 });
  });

  it('records what it was trained on', () => {
    expect(model.featureCount).toBe(d);
    expect(model.sampleCount).toBe(nTrain);
    expect(model.modelNames).toEqual(['iforest', 'ocsvm']);
    expect(model.calibrationMode).toBe('out-of-sample');
    expect(model.calibrationCount).toBe(nTrain - 5000);
    expect(model.threshold).toBeGreaterThan(0.98);
    expect(model.threshold).toBeLessThanOrEqual(1);
  });

  it('alerts on about targetFpr of fresh normal data', () => {
    const m = 50_000;
    const s = model.score(gen.normal(m, 99), m);
    const rate = s.alert.reduce((a, b) => a + b, 0) / m;
    expect(rate).toBeGreaterThan(0.005);
    expect(rate).toBeLessThan(0.02);
    for (const name of ['iforest', 'ocsvm'] as const) {
      const own = s.flags.reduce((a, f) => a + (f & MODEL_FLAG[name] ? 1 : 0), 0) / m;
      expect(own).toBeGreaterThan(0.004);
      expect(own).toBeLessThan(0.025);
    }
  });

  it('flags gross outliers, says which models flagged them, keeps scores in [0, 1]', () => {
    const { rows, kinds } = gen.outliers(500, 5);
    const s = model.score(rows, 500);
    let scans = 0;
    let scansAlerted = 0;
    for (let i = 0; i < 500; i++) {
      expect(s.combined[i]).toBeGreaterThanOrEqual(0);
      expect(s.combined[i]).toBeLessThanOrEqual(1);
      if (s.alert[i]) expect(s.flags[i]).not.toBe(0);
      if (kinds[i] === 'scan') {
        scans++;
        if (s.alert[i]) scansAlerted++;
      }
    }
    expect(scansAlerted / scans).toBeGreaterThan(0.9);
    const i = s.alert.indexOf(1);
    expect(Ensemble.flaggedModels(s.flags[i]).length).toBeGreaterThan(0);
    expect(s.quantiles.iforest?.[i]).toBeGreaterThan(0.9);
    expect(s.raw.ocsvm?.length).toBe(500);
  });

  it('rejects rows with NaN or Infinity without disturbing the others', () => {
    const rows = gen.normal(10, 7);
    const clean = model.score(rows, 10);
    rows[3 * d + 5] = NaN;
    rows[7 * d] = Infinity;
    const s = model.score(rows, 10);
    expect(s.rejectedCount).toBe(2);
    expect(Array.from(s.rejected)).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0]);
    expect(Number.isNaN(s.combined[3])).toBe(true);
    expect(s.alert[3]).toBe(0);
    expect(s.flags[7]).toBe(0);
    for (const i of [0, 1, 2, 4, 5, 6, 8, 9]) expect(s.combined[i]).toBe(clean.combined[i]);
  });

  it('round-trips through JSON text with identical scores', () => {
    const copy = Ensemble.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const rows = new Float64Array([...gen.normal(200, 8), ...gen.outliers(50, 9).rows]);
    const a = model.score(rows, 250);
    const b = copy.score(rows, 250);
    expect(Array.from(b.combined)).toEqual(Array.from(a.combined));
    expect(Array.from(b.flags)).toEqual(Array.from(a.flags));
    expect(copy.threshold).toBe(model.threshold);
    expect(() => Ensemble.fromJSON({ ...model.toJSON(), version: 9 as 2 })).toThrow(/version 9/);
    expect(() => Ensemble.fromJSON({ ...model.toJSON(), featureCount: 3 })).toThrow(/dimension/);
  });

  it('trains deterministically given a seed', async () => {
    const small = train.subarray(0, 3000 * d);
    const a = await Ensemble.train(small, 3000, d, { seed: 4, ocsvm: { maxTrainRows: 1000 } });
    const b = await Ensemble.train(small, 3000, d, { seed: 4, ocsvm: { maxTrainRows: 1000 } });
    const strip = (e: Ensemble): string => JSON.stringify({ ...e.toJSON(), trainSeconds: 0 });
    expect(strip(a)).toBe(strip(b));
  });

  it('refuses non-finite training data and bad params with clear errors', async () => {
    const bad = Float64Array.from(train.subarray(0, 100 * d));
    bad[42 * d + 7] = NaN;
    await expect(Ensemble.train(bad, 100, d)).rejects.toThrow(/row 42 feature 7 is NaN/);
    await expect(Ensemble.train(train, 5, d)).rejects.toThrow(/at least 10/);
    await expect(Ensemble.train(train, 100, d, { targetFpr: 0 })).rejects.toThrow(/targetFpr/);
    await expect(Ensemble.train(train, 100, d, { models: [] })).rejects.toThrow(/models/);
    expect(() => model.score(new Float64Array(3), 1)).toThrow(/expected 1×/);
  });

  it('works with one model, any dimension, and the other calibration modes', async () => {
    const g = new SyntheticFlows(5, 1);
    const rows = g.normal(4000, 2);
    const only = await Ensemble.train(rows, 4000, 5, { models: ['iforest'] });
    expect(only.modelNames).toEqual(['iforest']);
    expect(only.pca).toBeNull();
    const s = only.score(g.outliers(20, 3).rows, 20);
    expect(s.quantiles.ocsvm).toBeNull();
    const hold = await Ensemble.train(rows, 4000, 5, { calibration: 'holdout', calibrationFraction: 0.25 });
    expect(hold.calibrationMode).toBe('holdout');
    expect(hold.calibrationCount).toBe(1000);
    expect(hold.pca).toBeNull(); // 5 features: no reduction below the 8 components
    const ins = await Ensemble.train(rows, 4000, 5, { calibration: 'in-sample' });
    expect(ins.calibrationCount).toBe(4000);
  });
});
