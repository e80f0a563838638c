import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../operator/controller/RateLimiter.js';
import { WorkQueue } from '../../../operator/controller/WorkQueue.js';

async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let t: NodeJS.Timeout | undefined;
  const r = await Promise.race([p, new Promise<'timeout'>((res) => (t = setTimeout(() => res('timeout'), ms)))]);
  clearTimeout(t);
  return r;
}

describe('WorkQueue', () => {
  it('hands out keys in order without duplicates', async () => {
    const q = new WorkQueue();
    for (const k of ['a', 'b', 'a', 'c', 'b']) q.add(k);
    expect(q.length).toBe(3);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['a', 'b', 'c']);
    expect(q.length).toBe(0);
  });

  it('never gives one key to two workers; a re-add while processing comes back after done()', async () => {
    const q = new WorkQueue();
    q.add('a');
    const key = await q.get();
    q.add('a');
    q.add('a');
    expect(q.length).toBe(0);
    expect(await within(q.get(), 50)).toBe('timeout');
    q.done(key!);
    // The earlier get() that timed out is still waiting and receives it; a second get() waits.
    expect(q.length).toBe(0);
    q.shutDown();
  });

  it('wakes a waiting worker on add', async () => {
    const q = new WorkQueue();
    const p = q.get();
    q.add('x');
    expect(await p).toBe('x');
  });

  it('addAfter keeps the earliest time and delivers once', async () => {
    const q = new WorkQueue();
    q.addAfter('a', 10_000);
    q.addAfter('a', 20);
    q.addAfter('a', 5_000);
    expect(q.delayedCount).toBe(1);
    expect(await within(q.get(), 2_000)).toBe('a');
    expect(q.delayedCount).toBe(0);
    q.shutDown();
  });

  it('addRateLimited delays by the rate limiter and forget() resets it', async () => {
    const q = new WorkQueue(new RateLimiter({ baseDelayMs: 30, maxDelayMs: 1_000 }));
    const t = Date.now();
    q.addRateLimited('a');
    expect(await q.get()).toBe('a');
    expect(Date.now() - t).toBeGreaterThanOrEqual(25);
    q.done('a');
    expect(q.rateLimiter.numRequeues('a')).toBe(1);
    q.forget('a');
    expect(q.rateLimiter.numRequeues('a')).toBe(0);
  });

  it('shutDown releases waiting workers and refuses new keys', async () => {
    const depths: number[] = [];
    const q = new WorkQueue(undefined, (d) => depths.push(d));
    const waiting = q.get();
    q.addAfter('later', 60_000);
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('x');
    expect(await q.get()).toBeUndefined();
    expect(depths.at(-1)).toBe(0);
  });
});
