import { expNeg } from './expNeg.js';

/**
 * Damping factors e^(-Δt / window) for each window, into `out` (same order). Where a window is
 * exactly ten times the previous one, the shorter one's factor is the longer one's to the tenth
 * power (four multiplications instead of an exp). Δt ≤ 0 gives 1.
 */
export function decayFactors(dt: number, windows: Float64Array, out: Float64Array): void {
  const n = windows.length;
  if (!(dt > 0)) {
    for (let k = 0; k < n; k++) out[k] = 1;
    return;
  }
  let k = n - 1;
  out[k] = expNeg(dt / windows[k]);
  for (k = n - 2; k >= 0; k--) {
    if (windows[k + 1] === windows[k] * 10) {
      const x = out[k + 1];
      const x2 = x * x;
      const x4 = x2 * x2;
      out[k] = x4 * x4 * x2;
    } else {
      out[k] = expNeg(dt / windows[k]);
    }
  }
}
