import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { SyntheticFlows } from '../../../bench/SyntheticFlows.js';
import { OneClassSvm } from '../../../detector/models/OneClassSvm.js';
import { Pca } from '../../../detector/models/Pca.js';
import { Scaler } from '../../../detector/models/Scaler.js';
import { FEATURE_COUNT } from '../../../sensor/features/schema.js';
import { python, sklearnVersion, sklearnWhy } from './sklearnPython.js';

const why = sklearnWhy;
if (!sklearnVersion) console.warn(`OneClassSvm vs scikit-learn: ${why}`);

// Same rows, same ν and γ: scikit-learn's OneClassSVM (libsvm in C) decision values.
const SCRIPT = `
import sys, numpy as np
from sklearn.svm import OneClassSVM
n_train, n_test, d = map(int, sys.argv[1:4]); nu, gamma = map(float, sys.argv[4:6])
data = np.frombuffer(sys.stdin.buffer.read(), dtype='<f8').reshape(n_train + n_test, d)
svm = OneClassSVM(kernel='rbf', nu=nu, gamma=gamma, tol=1e-3).fit(data[:n_train])
sys.stdout.buffer.write(svm.decision_function(data[n_train:]).astype('<f8').tobytes())
`;

describe(`OneClassSvm vs scikit-learn (${why})`, () => {
  it.skipIf(!sklearnVersion)('gives the same decision values on the same input, ν and γ', async () => {
    // The detector's SVM input: scaled features, standardised, PCA 8 + residual norm.
    const d = FEATURE_COUNT;
    const gen = new SyntheticFlows(d, 42);
    const nTrain = 1500;
    const nTest = 500;
    const all = new Float64Array((nTrain + nTest) * d);
    all.set(gen.normal(nTrain + nTest - 50, 21));
    all.set(gen.outliers(50, 22).rows, (nTrain + nTest - 50) * d);
    const scaler = Scaler.fit(all, nTrain, d);
    const scaled = scaler.transform(all, nTrain + nTest);
    const pca = Pca.fit(scaled, nTrain, d, 8, { residual: true, standardize: true, minColumnStd: Float64Array.from(scaler.scale, (s) => 0.3 / s) });
    const k = pca.outputDimension;
    const input = pca.project(scaled, nTrain + nTest);
    const ours = await OneClassSvm.fit(input, nTrain, k, { nu: 0.05, gamma: 1 / pca.totalVariance, maxTrainRows: nTrain });
    const mine = ours.decisionBatch(input.subarray(nTrain * k), nTest);
    const r = spawnSync(python, ['-c', SCRIPT, String(nTrain), String(nTest), String(k), '0.05', String(ours.gamma)], {
      input: Buffer.from(input.buffer, input.byteOffset, input.byteLength),
      maxBuffer: 1 << 24,
    });
    expect(r.status, r.stderr?.toString()).toBe(0);
    const theirs = new Float64Array(r.stdout.buffer.slice(r.stdout.byteOffset, r.stdout.byteOffset + r.stdout.byteLength));
    expect(theirs.length).toBe(nTest);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < nTest; i++) {
      worst = Math.max(worst, Math.abs(mine[i] - theirs[i]));
      scale = Math.max(scale, Math.abs(theirs[i]));
    }
    // Both are libsvm with the same stopping tolerance; measured on real captures: 1e-12.
    expect(worst).toBeLessThan(1e-6 * Math.max(1, scale));
  });
});
