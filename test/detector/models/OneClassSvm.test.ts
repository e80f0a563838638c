import { describe, expect, it } from 'vitest';
import { OneClassSvm, fastExpNeg, parseLibsvmModel } from '../../../detector/models/OneClassSvm.js';
import { SeededRandom } from '../../../detector/models/SeededRandom.js';

function blobs(n: number, d: number, seed: number, spread = 1): Float64Array {
  const rng = new SeededRandom(seed);
  const out = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const c = i % 2 === 0 ? -2 : 2;
    for (let j = 0; j < d; j++) out[i * d + j] = c + spread * rng.gaussian();
  }
  return out;
}

describe('fastExpNeg', () => {
  it('agrees with Math.exp(-t) to 1e-8 relative over the useful range and is 0 beyond', () => {
    let worst = 0;
    for (let t = 0; t < 40; t += 0.0137) {
      const e = Math.exp(-t);
      worst = Math.max(worst, Math.abs(fastExpNeg(t) - e) / e);
    }
    expect(worst).toBeLessThan(1e-8);
    expect(fastExpNeg(0)).toBe(1);
    expect(fastExpNeg(1e6)).toBe(0);
  });
});

describe('OneClassSvm', () => {
  const d = 5;
  const n = 1500;
  const train = blobs(n, d, 1);

  it('agrees in sign with libsvm predict() and uses its exact rho', async () => {
    const { model, libsvm, trainIndices } = await OneClassSvm.fitWithLibsvm(train, n, d, { nu: 0.1, seed: 3 }, true);
    try {
      expect(libsvm).not.toBeNull();
      expect(model.rhoSource).toBe('heap');
      expect(trainIndices.length).toBe(n);
      // Inliers, in-between points and far outliers: both sides of the boundary.
      const test = new Float64Array([...blobs(400, d, 2, 1.5), ...blobs(100, d, 4, 4)]);
      const m = test.length / d;
      const f = model.decisionBatch(test, m);
      let inside = 0;
      for (let i = 0; i < m; i++) {
        const label = libsvm!.predictOne(test.subarray(i * d, i * d + d));
        expect(Math.sign(f[i]) || 1).toBe(label);
        if (label === 1) inside++;
      }
      expect(inside).toBeGreaterThan(50);
      expect(inside).toBeLessThan(m - 50);
      // The SVs are the training rows libsvm chose (its text model prints them to 8 digits).
      const parsed = parseLibsvmModel(libsvm!.serializeModel());
      expect(parsed.coef.length).toBe(model.supportVectorCount);
      for (let i = 0; i < Math.min(20, parsed.sv.length); i++) {
        for (let j = 0; j < d; j++) {
          const printed = parsed.sv[i].get(j) ?? 0;
          expect(model.sv[i * d + j]).toBeCloseTo(printed, 5);
        }
      }
      expect(Math.abs(model.rho - parsed.rho)).toBeLessThan(1e-5 * Math.abs(parsed.rho) + 1e-9);
    } finally {
      libsvm?.free();
    }
  });

  it('at least nu·n support vectors and about nu of training rows outside', async () => {
    const model = await OneClassSvm.fit(train, n, d, { nu: 0.05 });
    expect(model.supportVectorCount).toBeGreaterThanOrEqual(0.05 * n - 1);
    const f = model.decisionBatch(train, n);
    const outside = f.filter((v) => v < -1e-9).length / n;
    expect(outside).toBeLessThanOrEqual(0.06);
    expect(outside).toBeGreaterThan(0.02);
  });

  it('batch, single-row and exact (Math.exp) decision values agree', async () => {
    const model = await OneClassSvm.fit(train, n, d, { nu: 0.1 });
    const test = blobs(203, d, 7, 2); // not a multiple of 4: exercises the tail
    const batch = model.decisionBatch(test, 203);
    for (let i = 0; i < 203; i++) {
      expect(model.decisionOne(test, i * d)).toBeCloseTo(batch[i], 9);
      expect(model.decisionExact(test, i * d)).toBeCloseTo(batch[i], 6);
    }
    const anomaly = model.anomalyScoreBatch(test, 203);
    expect(anomaly[0]).toBeCloseTo(-Math.log(batch[0] + model.rho), 12);
  });

  it('keeps ranking far outliers where the decision value has hit its floor', async () => {
    const model = await OneClassSvm.fit(train, n, d);
    const far = model.decisionBatch(Float64Array.from({ length: 2 * d }, (_, i) => (i < d ? 40 : 80)), 2);
    expect(far[0]).toBeCloseTo(-model.rho, 12); // −f(x) is the same for both...
    expect(far[1]).toBeCloseTo(-model.rho, 12);
    const scores = model.anomalyScoreBatch(Float64Array.from({ length: 2 * d }, (_, i) => (i < d ? 40 : 80)), 2);
    expect(scores[1]).toBeGreaterThan(scores[0] * 3); // ...the anomaly score is not
  });

  it('scores far outliers as more anomalous than inliers', async () => {
    const model = await OneClassSvm.fit(train, n, d);
    const inl = model.anomalyScoreBatch(blobs(200, d, 9), 200);
    const far = model.anomalyScoreBatch(new Float64Array(d).fill(9), 1);
    expect(far[0]).toBeGreaterThan(Math.max(...inl));
  });

  it('bounds its training set by maxTrainRows (seeded sample) and computes gamma scale', async () => {
    const model = await OneClassSvm.fit(train, n, d, { maxTrainRows: 400, seed: 5 });
    expect(model.trainRows).toBe(400);
    const again = await OneClassSvm.fit(train, n, d, { maxTrainRows: 400, seed: 5 });
    expect(JSON.stringify(again.toJSON())).toBe(JSON.stringify(model.toJSON()));
    let s = 0;
    let q = 0;
    for (const v of train) {
      s += v;
      q += v * v;
    }
    const m = train.length;
    const full = await OneClassSvm.fit(train, n, d, { gammaFactor: 2 });
    expect(full.gamma).toBeCloseTo(2 / (d * (q / m - (s / m) ** 2)), 12);
  });

  it('round-trips through JSON text with identical decision values', async () => {
    const model = await OneClassSvm.fit(train, n, d);
    const copy = OneClassSvm.fromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    const test = blobs(100, d, 11, 2);
    expect(Array.from(copy.decisionBatch(test, 100))).toEqual(Array.from(model.decisionBatch(test, 100)));
    expect(() => OneClassSvm.fromJSON({ ...model.toJSON(), supportVectors: 1 })).toThrow(/dimensions/);
  });

  it('trains with the synchronous asm.js build too', async () => {
    const model = await OneClassSvm.fit(train, 300, d, { backend: 'asm' });
    expect(model.supportVectorCount).toBeGreaterThan(0);
  });

  it('rejects bad parameters and malformed libsvm text', async () => {
    await expect(OneClassSvm.fit(train, n, d, { nu: 0 })).rejects.toThrow(/nu/);
    await expect(OneClassSvm.fit(train, 1, d)).rejects.toThrow(/at least 2/);
    await expect(OneClassSvm.fit(train, n, d, { gamma: -1 })).rejects.toThrow(/gamma/);
    expect(() => parseLibsvmModel('svm_type c_svc\nSV\n')).toThrow(/one_class/);
    expect(() => parseLibsvmModel('svm_type one_class\nkernel_type rbf\n')).toThrow(/SV section/);
  });
});
