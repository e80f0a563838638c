import { describe, expect, it } from 'vitest';
import { durationSeconds } from '../../../operator/api/durationSeconds.js';

describe('durationSeconds', () => {
  it('converts the CRD duration strings to seconds', () => {
    expect(durationSeconds('10m')).toBe(600);
    expect(durationSeconds('24h')).toBe(86_400);
    expect(durationSeconds('1h30m')).toBe(5_400);
    expect(durationSeconds('1.5s')).toBe(1.5);
    expect(durationSeconds('250ms')).toBe(0.25);
    expect(durationSeconds('0s')).toBe(0);
  });

  it('refuses what the CRD pattern refuses', () => {
    for (const bad of ['', '10', 'm', '10d', '-1s', '1h 30m', '10m!']) expect(() => durationSeconds(bad), bad).toThrow(/not a duration/);
  });
});
