import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../lib/k8s/TokenBucket.js';

describe('TokenBucket', () => {
  it('allows a burst, then the rate', () => {
    let now = 0;
    const b = new TokenBucket(2, 3, () => now);
    expect([b.take(), b.take(), b.take(), b.take()]).toEqual([true, true, true, false]);
    expect(b.delayMs()).toBe(500);
    now = 499;
    expect(b.take()).toBe(false);
    now = 500;
    expect(b.take()).toBe(true);
    now = 100_000; // never more than the burst
    expect(b.available()).toBe(3);
  });

  it('reserve() queues callers at the rate', () => {
    const b = new TokenBucket(10, 1, () => 0);
    expect([b.reserve(), b.reserve(), b.reserve()]).toEqual([0, 100, 200]);
  });

  it('rejects nonsense limits', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(/rate/);
    expect(() => new TokenBucket(1, 0)).toThrow(/burst/);
  });
});
