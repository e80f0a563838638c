import { describe, expect, it } from 'vitest';
import { Pca } from '../../../detector/models/Pca.js';
import { SeededRandom } from '../../../detector/models/SeededRandom.js';

/** 3-D rows along the direction (1, 2, 2)/3 with spread 5, plus small isotropic noise 0.1. */
function line(n: number, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  const out = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const t = 5 * rng.gaussian();
    out[i * 3] = 10 + t / 3 + 0.1 * rng.gaussian();
    out[i * 3 + 1] = (2 * t) / 3 + 0.1 * rng.gaussian();
    out[i * 3 + 2] = (2 * t) / 3 + 0.1 * rng.gaussian();
  }
  return out;
}

describe('Pca', () => {
  const n = 20_000;
  const rows = line(n, 1);

  it('finds the principal direction and its variance', () => {
    const p = Pca.fit(rows, n, 3, 1, { residual: false, whiten: false });
    const v = Array.from(p.basis).map((x) => Math.abs(x));
    expect(v[0]).toBeCloseTo(1 / 3, 2);
    expect(v[1]).toBeCloseTo(2 / 3, 2);
    expect(v[2]).toBeCloseTo(2 / 3, 2);
    expect(p.eigenvalues[0]).toBeCloseTo(25, 0);
    expect(p.mean[0]).toBeCloseTo(10, 1);
  });

  it('sorts eigenvalues and agrees with the trace of the covariance', () => {
    const p = Pca.fit(rows, n, 3, 3, { residual: false, whiten: false });
    expect(p.eigenvalues[0]).toBeGreaterThan(p.eigenvalues[1]);
    expect(p.eigenvalues[1]).toBeGreaterThanOrEqual(p.eigenvalues[2]);
    expect(p.eigenvalues[2]).toBeCloseTo(0.01, 2);
    const sum = p.eigenvalues.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(25 + 0.03, 0);
  });

  it('whitens components and standardises the residual norm; an off-line point stands out', () => {
    const p = Pca.fit(rows, n, 3, 1, { residual: true, whiten: true });
    expect(p.outputDimension).toBe(2);
    const out = p.project(rows, n);
    let s0 = 0;
    let q0 = 0;
    let s1 = 0;
    let q1 = 0;
    for (let i = 0; i < n; i++) {
      s0 += out[i * 2];
      q0 += out[i * 2] ** 2;
      s1 += out[i * 2 + 1];
      q1 += out[i * 2 + 1] ** 2;
    }
    expect(q0 / n - (s0 / n) ** 2).toBeCloseTo(1, 1);
    expect(s1 / n).toBeCloseTo(0, 6);
    expect(q1 / n - (s1 / n) ** 2).toBeCloseTo(1, 6);
    const off = new Float64Array(2);
    p.projectOne(Float64Array.from([10, 2, -2]), 0, off, 0); // orthogonal to the line by 2.8
    expect(off[1]).toBeGreaterThan(10);
  });

  it('round-trips through JSON text exactly', () => {
    const p = Pca.fit(rows, n, 3, 2);
    const copy = Pca.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    expect(Array.from(copy.project(rows.subarray(0, 300), 100))).toEqual(Array.from(p.project(rows.subarray(0, 300), 100)));
  });
});
