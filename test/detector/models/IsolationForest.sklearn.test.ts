import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SyntheticFlows } from '../../../bench/SyntheticFlows.js';
import { rocAuc, spearman } from '../../../bench/rocAuc.js';
import { IsolationForest } from '../../../detector/models/IsolationForest.js';
import { Scaler } from '../../../detector/models/Scaler.js';
import { FEATURE_COUNT } from '../../../sensor/features/schema.js';
import { python, sklearnVersion, sklearnWhy } from './sklearnPython.js';

const why = sklearnWhy;
if (!sklearnVersion) console.warn(`IsolationForest vs scikit-learn: ${why}`);

const SCRIPT = `
import sys, numpy as np
from sklearn.ensemble import IsolationForest
n_train, n_test, d = map(int, sys.argv[1:4])
data = np.frombuffer(sys.stdin.buffer.read(), dtype='<f8').reshape(n_train + n_test, d)
f = IsolationForest(n_estimators=100, max_samples=256, random_state=0).fit(data[:n_train])
sys.stdout.buffer.write((-f.score_samples(data[n_train:])).astype('<f8').tobytes())
`;

describe(`IsolationForest vs scikit-learn (${why})`, () => {
  it.skipIf(!sklearnVersion)('has AUC within ±0.02 and scores as rank-correlated as two of our own forests', () => {
    const d = FEATURE_COUNT;
    const gen = new SyntheticFlows(d, 42);
    const nTrain = 8000;
    const nNormal = 3000;
    const nOut = 300;
    const nTest = nNormal + nOut;
    const all = new Float64Array((nTrain + nTest) * d);
    all.set(gen.normal(nTrain + nNormal, 11));
    all.set(gen.outliers(nOut, 12).rows, (nTrain + nNormal) * d);
    const scaled = Scaler.fit(all, nTrain, d).transform(all, nTrain + nTest);
    const labels = new Uint8Array(nTest).fill(1, nNormal);

    const ours = IsolationForest.fit(scaled, nTrain, d, { trees: 100, sampleSize: 256, seed: 1 }).scoreBatch(
      scaled.subarray(nTrain * d),
      nTest,
    );
    const r = spawnSync(python, ['-c', SCRIPT, String(nTrain), String(nTest), String(d)], {
      input: Buffer.from(scaled.buffer),
      maxBuffer: 1 << 26,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    expect(r.status, String(r.stderr)).toBe(0);
    const theirs = new Float64Array(new Uint8Array(r.stdout).buffer);
    expect(theirs.length).toBe(nTest);
    const aucOurs = rocAuc(ours, labels);
    const aucTheirs = rocAuc(theirs, labels);
    expect(Math.abs(aucOurs - aucTheirs)).toBeLessThanOrEqual(0.02);
    // Two forests never agree exactly (random trees): compare with how well two of ours with
    // different seeds agree with each other.
    const ours2 = IsolationForest.fit(scaled, nTrain, d, { trees: 100, sampleSize: 256, seed: 2 }).scoreBatch(
      scaled.subarray(nTrain * d),
      nTest,
    );
    const selfAgreement = spearman(ours, ours2);
    const sklearnAgreement = spearman(ours, theirs);
    expect(sklearnAgreement).toBeGreaterThan(0.85);
    expect(sklearnAgreement).toBeGreaterThan(selfAgreement - 0.03);
    // Same normalisation: mean scores of normal rows agree closely.
    const mean = (a: Float64Array): number => a.subarray(0, nNormal).reduce((x, y) => x + y, 0) / nNormal;
    expect(Math.abs(mean(ours) - mean(theirs))).toBeLessThan(0.02);
  });
});
