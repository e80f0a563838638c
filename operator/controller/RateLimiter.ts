import { exponentialBackoffMs } from '../../lib/k8s/Backoff.js';
import { type Clock, systemClock } from '../../lib/k8s/Clock.js';
import { TokenBucket } from '../../lib/k8s/TokenBucket.js';

export interface RateLimiterOptions {
  /** First retry delay of a failing key, ms; doubles per failure. */
  baseDelayMs?: number;
  /** Longest per-key delay, ms. */
  maxDelayMs?: number;
  /** Overall retries per second across all keys, and the burst allowed. */
  qps?: number;
  burst?: number;
  clock?: Clock;
}

/**
 * How long to wait before retrying a key: the larger of a per-key exponential backoff (so one
 * broken resource backs off on its own) and a global token bucket (so many failing resources
 * together cannot flood the API server), as client-go's default controller rate limiter.
 */
export class RateLimiter {
  private readonly failures = new Map<string, number>();
  private readonly bucket: TokenBucket;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: RateLimiterOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 300_000;
    this.bucket = new TokenBucket(options.qps ?? 10, options.burst ?? 100, options.clock ?? systemClock);
  }

  /** Delay before the next retry of `key`; counts one more failure. */
  when(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return Math.max(exponentialBackoffMs(n, this.baseDelayMs, this.maxDelayMs), this.bucket.reserve());
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** The key succeeded: its backoff starts over. */
  forget(key: string): void {
    this.failures.delete(key);
  }
}
