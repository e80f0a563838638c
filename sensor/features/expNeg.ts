/**
 * e^(-y) for y ≥ 0. Most damping steps are tiny fractions of a window (packets microseconds to
 * milliseconds apart against windows of seconds), where a degree-5 Taylor polynomial is exact to
 * about 1e-14 relative and several times cheaper than Math.exp; larger steps use Math.exp.
 */
export function expNeg(y: number): number {
  if (y < 0.01) {
    return 1 - y * (1 - y * (0.5 - y * (1 / 6 - y * (1 / 24 - y * (1 / 120)))));
  }
  return Math.exp(-y);
}
