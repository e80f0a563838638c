const WAYS = 4;

/**
 * A fixed-size, approximate "when was this key last seen" table, used to count distinct keys in
 * a window in O(1): keys are 32-bit hashes (a collision merges two keys: rare below millions of
 * keys); the table is 4-way set associative and a new key replaces the least recently seen of
 * its set. A key evicted and then seen again looks new (over-counting only keys that recur after
 * more distinct keys than the table holds have passed).
 */
export class RecentKeys {
  readonly capacity: number;
  private readonly fingerprints: Uint32Array;
  private readonly lastSeen: Float64Array;
  private readonly setMask: number;

  /** `capacity` entries, rounded up to a power of two (at least 4). */
  constructor(capacity: number) {
    let n = WAYS;
    while (n < capacity) n *= 2;
    this.capacity = n;
    this.fingerprints = new Uint32Array(n);
    this.lastSeen = new Float64Array(n);
    this.setMask = n / WAYS - 1;
  }

  /** Records key `hash` as seen at `t`; returns when it was last seen before, or -Infinity. */
  touch(hash: number, t: number): number {
    const fp = hash === 0 ? 1 : hash;
    const base = ((hash >>> 2) & this.setMask) * WAYS;
    const fps = this.fingerprints;
    const seen = this.lastSeen;
    let victim = base;
    for (let i = base; i < base + WAYS; i++) {
      if (fps[i] === fp) {
        const prev = seen[i];
        if (t > prev) seen[i] = t;
        return prev;
      }
      if (fps[i] === 0) {
        fps[i] = fp;
        seen[i] = t;
        return -Infinity;
      }
      if (seen[i] < seen[victim]) victim = i;
    }
    fps[victim] = fp;
    seen[victim] = t;
    return -Infinity;
  }
}
