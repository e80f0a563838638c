const WAYS = 4;
/** Sets per block (4 KiB: a memory page) whose first use writes it whole (see touch). */
const BLOCK_SETS = 64;

/**
 * A fixed-size, approximate "when was this key last seen" table, used to count distinct keys in
 * a window in O(1): keys are 32-bit hashes (a collision merges two keys: rare below millions of
 * keys); the table is 4-way set associative and a new key replaces the least recently seen of
 * its set. A key evicted and then seen again looks new (over-counting only keys that recur after
 * more distinct keys than the table holds have passed).
 *
 * A set is 64 contiguous bytes (fingerprint and time of each way, interleaved), so a lookup in a
 * table far larger than the caches costs one or two adjacent cache lines, not one per array.
 *
 * The table's pages become resident as keys land in them, each first touched by a write: a
 * lookup that read a page never touched would map the shared zero page, and the write after it
 * would cost a second page fault and a TLB flush on every core the process runs on (in a virtual
 * machine, about a third of the sensor's first 0.2 s of work).
 */
export class RecentKeys {
  readonly capacity: number;
  /** Per way: fingerprint (as a number, 0 = empty), then last-seen time. */
  private readonly entries: Float64Array;
  private readonly setMask: number;
  /** Per block of BLOCK_SETS sets: 1 once written. */
  private readonly written: Uint8Array;

  /** `capacity` entries, rounded up to a power of two (at least 4). */
  constructor(capacity: number) {
    let n = WAYS;
    while (n < capacity) n *= 2;
    this.capacity = n;
    this.entries = new Float64Array(2 * n);
    this.setMask = n / WAYS - 1;
    this.written = new Uint8Array(Math.ceil(n / WAYS / BLOCK_SETS));
  }

  /** Records key `hash` as seen at `t`; returns when it was last seen before, or -Infinity. */
  touch(hash: number, t: number): number {
    const fp = hash === 0 ? 1 : hash;
    const set = (hash >>> 2) & this.setMask;
    const base = set * (2 * WAYS);
    const e = this.entries;
    const block = (set / BLOCK_SETS) | 0;
    if (this.written[block] === 0) {
      this.written[block] = 1;
      e.fill(0, block * BLOCK_SETS * 2 * WAYS, (block + 1) * BLOCK_SETS * 2 * WAYS);
    }
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
