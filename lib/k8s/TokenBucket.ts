import { type Clock, systemClock } from './Clock.js';

/**
 * A token bucket: `ratePerSecond` tokens are added continuously up to `burst`. take() spends a
 * token if one is there; delayMs() says how long until the next one.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock = systemClock,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`token bucket rate must be > 0, got ${ratePerSecond}`);
    if (!(burst >= 1)) throw new RangeError(`token bucket burst must be >= 1, got ${burst}`);
    this.tokens = burst;
    this.last = clock();
  }

  private refill(): void {
    const now = this.clock();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.ratePerSecond);
    this.last = now;
  }

  /** Spend one token; false when none is available now. */
  take(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /**
   * Reserve one token, possibly in the future: returns the delay in ms before the caller may
   * proceed (0 when a token was available). Reservations queue up, so N calls in a burst spread
   * out at the bucket's rate.
   */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens / this.ratePerSecond) * 1000);
  }

  /** Milliseconds until one token is available (0 if one is there now). */
  delayMs(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000);
  }

  available(): number {
    this.refill();
    return Math.max(0, Math.floor(this.tokens));
  }
}
