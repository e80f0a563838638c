import { describe, expect, it } from 'vitest';
import { expNeg } from '../../../sensor/features/expNeg.js';

describe('expNeg', () => {
  it('matches Math.exp(-y) to 1e-14 relative on both sides of the polynomial range', () => {
    for (let i = 0; i <= 20000; i++) {
      const y = i < 10000 ? i * 1.5e-6 : (i - 10000) * 0.01;
      const want = Math.exp(-y);
      expect(Math.abs(expNeg(y) - want)).toBeLessThanOrEqual(1e-14 * want + 1e-300);
    }
    expect(expNeg(0)).toBe(1);
    expect(expNeg(Infinity)).toBe(0);
  });
});
