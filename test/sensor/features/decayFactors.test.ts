import { describe, expect, it } from 'vitest';
import { decayFactors } from '../../../sensor/features/decayFactors.js';

describe('decayFactors', () => {
  it('equals e^(-dt/window) for each window, also through the x^10 shortcut', () => {
    const windows = Float64Array.from([1, 10, 100]);
    const odd = Float64Array.from([0.5, 3, 100]);
    const out = new Float64Array(3);
    for (const dt of [1e-9, 1e-4, 0.01, 0.5, 1, 3.3, 10, 77, 250, 1000]) {
      for (const ws of [windows, odd]) {
        decayFactors(dt, ws, out);
        for (let k = 0; k < 3; k++) {
          const want = Math.exp(-dt / ws[k]);
          expect(Math.abs(out[k] - want)).toBeLessThanOrEqual(1e-12 * Math.max(want, 1e-300) + 1e-300);
        }
      }
    }
  });

  it('gives 1 for no elapsed time (or time going backwards) and 0 for an infinite gap', () => {
    const windows = Float64Array.from([1, 10, 100]);
    const out = new Float64Array(3);
    decayFactors(0, windows, out);
    expect([...out]).toEqual([1, 1, 1]);
    decayFactors(-5, windows, out);
    expect([...out]).toEqual([1, 1, 1]);
    decayFactors(Infinity, windows, out);
    expect([...out]).toEqual([0, 0, 0]);
  });
});
