import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../operator/controller/RateLimiter.js';

describe('RateLimiter', () => {
  it('backs off each key exponentially up to the cap, and forget() starts over', () => {
    const now = 0;
    const rl = new RateLimiter({ baseDelayMs: 10, maxDelayMs: 100, qps: 1000, burst: 1000, clock: () => now });
    expect([1, 2, 3, 4, 5, 6].map(() => rl.when('a'))).toEqual([10, 20, 40, 80, 100, 100]);
    expect(rl.numRequeues('a')).toBe(6);
    expect(rl.when('b')).toBe(10); // keys are independent
    rl.forget('a');
    expect(rl.when('a')).toBe(10);
  });

  it('spreads many failing keys out at the global rate', () => {
    let now = 0;
    const rl = new RateLimiter({ baseDelayMs: 1, maxDelayMs: 1000, qps: 10, burst: 5, clock: () => now });
    const delays = Array.from({ length: 10 }, (_, i) => rl.when(`k${i}`));
    expect(delays.slice(0, 5)).toEqual([1, 1, 1, 1, 1]); // within the burst: only the per-key delay
    expect(delays.slice(5)).toEqual([100, 200, 300, 400, 500]); // then 10 per second
    now = 10_000; // the bucket refills
    expect(rl.when('fresh')).toBe(1);
  });
});
