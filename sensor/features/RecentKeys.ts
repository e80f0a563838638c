const WAYS = 4;

/**
 * A fixed-size, approximate "when was this key last seen" table, used to count distinct keys in
 * a window in O(1): keys are 32-bit hashes (a collision merges two keys: rare below millions of
 * keys); the table is 4-way set associative and a new key replaces the least recently seen of
 * its set. A key evicted and then seen again looks new (over-counting only keys that recur after
 * more distinct keys than the table holds have passed).
 *
 * A set is 64 contiguous bytes (fingerprint and time of each way, interleaved), so a lookup in a
 * table far larger than the caches costs one or two adjacent cache lines, not one per array.
 */
export class RecentKeys {
  readonly capacity: number;
  /** Per way: fingerprint (as a number, 0 = empty), then last-seen time. */
  private readonly entries: Float64Array;
  private readonly setMask: number;

  /** `capacity` entries, rounded up to a power of two (at least 4). */
  constructor(capacity: number) {
    let n = WAYS;
    while (n < capacity) n *= 2;
    this.capacity = n;
    this.entries = new Float64Array(2 * n);
    this.setMask = n / WAYS - 1;
  }

  /** Records key `hash` as seen at `t`; returns when it was last seen before, or -Infinity. */
  touch(hash: number, t: number): number {
    const fp = hash === 0 ? 1 : hash;
    const base = ((hash >>> 2) & this.setMask) * (2 * WAYS);
    const e = this.entries;
    // The way the key goes to when absent: the first empty one, else the least recently seen.
    let victim = base;
    for (let i = base; i < base + 2 * WAYS; i += 2) {
      if (e[i] === fp) {
        const prev = e[i + 1];
        if (t > prev) e[i + 1] = t;
        return prev;
      }
      if (e[i] === 0) {
        victim = i;
        break;
      }
      if (e[i + 1] < e[victim + 1]) victim = i;
    }
    e[victim] = fp;
    e[victim + 1] = t;
    return -Infinity;
  }
}
