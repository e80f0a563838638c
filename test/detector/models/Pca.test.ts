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

  it('standardises columns (with a floor) and, not whitened, nearly keeps distances', () => {
    // Column 0 spread 1 000, column 1 spread 1, column 2 constant: standardised, they weigh alike,
    // and the constant one gets the floor instead of a division by zero.
    const rng = new SeededRandom(3);
    const m = 5000;
    const r = new Float64Array(m * 3);
    for (let i = 0; i < m; i++) {
      r[i * 3] = 1000 * rng.gaussian();
      r[i * 3 + 1] = rng.gaussian();
      r[i * 3 + 2] = 7;
    }
    const p = Pca.fit(r, m, 3, 1, { residual: true, standardize: true, minColumnStd: 0.5 });
    expect(p.whiten).toBe(false);
    expect(p.columnScale[0]).toBeCloseTo(1000, -2);
    expect(p.columnScale[1]).toBeCloseTo(1, 1);
    expect(p.columnScale[2]).toBe(0.5);
    expect(p.totalVariance).toBeCloseTo(2, 1);
    // Distances in the output (1 component + residual norm) against the standardised input.
    const out = p.project(r, m);
    const z = (i: number, j: number): number => (r[i * 3 + j] - p.mean[j]) / p.columnScale[j];
    let sumFull = 0;
    let sumReduced = 0;
    for (let i = 0; i < 1000; i++) {
      const a = i;
      const b = i + 1000;
      let full = 0;
      for (let j = 0; j < 3; j++) full += (z(a, j) - z(b, j)) ** 2;
      const reduced = (out[a * 2] - out[b * 2]) ** 2 + (out[a * 2 + 1] - out[b * 2 + 1]) ** 2;
      expect(reduced).toBeLessThanOrEqual(full + 1e-9); // a lower bound…
      sumFull += full;
      sumReduced += reduced;
    }
    // …exact along the kept component (expected squared distance 2), and the residual norm keeps
    // 2 − 4/π of the other's 2: about (2 + 0.73) / 4 = 0.68 of the total. The whitened output
    // would instead weigh a direction by the inverse of its spread.
    expect(sumReduced / sumFull).toBeGreaterThan(0.6);
    expect(sumReduced / sumFull).toBeLessThan(0.8);
    // A change in the column that was constant stands out in the residual, by (9 − 7) / 0.5 = 4.
    const o = new Float64Array(2);
    p.projectOne(Float64Array.from([p.mean[0], p.mean[1], 9]), 0, o, 0);
    expect(Math.hypot(o[0], o[1])).toBeCloseTo(4, 6);
  });

  it('refuses a Pca model of an older version', () => {
    const j = Pca.fit(rows, n, 3, 2).toJSON();
    expect(() => Pca.fromJSON({ ...j, version: 1 as 2 })).toThrow(/version 1/);
  });

  it('round-trips through JSON text exactly', () => {
    const p = Pca.fit(rows, n, 3, 2);
    const copy = Pca.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    expect(Array.from(copy.project(rows.subarray(0, 300), 100))).toEqual(Array.from(p.project(rows.subarray(0, 300), 100)));
  });
});
