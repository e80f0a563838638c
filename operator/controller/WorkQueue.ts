import { RateLimiter } from './RateLimiter.js';

/**
 * A de-duplicating work queue of keys (`namespace/name`), as client-go's: a key waiting in the
 * queue is never there twice; a key added while a worker processes it is queued again once the
 * worker calls done(), so one key is never processed by two workers at once; delayed adds keep
 * only the earliest time; rate-limited adds wait for the RateLimiter's delay.
 */
export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(
    readonly rateLimiter: RateLimiter = new RateLimiter(),
    private readonly onDepth?: (depth: number) => void,
  ) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else {
      this.queue.push(key);
    }
    this.report();
  }

  /** Add after `ms`; an earlier pending time for the same key wins. */
  addAfter(key: string, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) clearTimeout(existing.timer);
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
    this.report();
  }

  /** Retry after the rate limiter's delay for this key. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.rateLimiter.when(key));
  }

  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Next key to process; resolves undefined once the queue is shut down and drained. */
  get(): Promise<string | undefined> {
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      this.report();
      return Promise.resolve(key);
    }
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The worker finished `key`; if it was added meanwhile, it is queued again. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
    this.report();
  }

  /** Keys waiting now (not counting delayed ones). */
  get length(): number {
    return this.queue.length;
  }

  get delayedCount(): number {
    return this.delayed.size;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    for (const w of this.waiters) w(undefined);
    this.waiters = [];
    this.report();
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  private report(): void {
    this.onDepth?.(this.queue.length + this.delayed.size);
  }
}
