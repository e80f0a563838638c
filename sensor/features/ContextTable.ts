const NONE = -1;

/**
 * A bounded hash table of per-key context statistics (hosts, or host pairs) in typed arrays:
 * `keyWords` 32-bit words of key and `stride` float64 values per slot. When full, inserting a new
 * key evicts one chosen by the clock algorithm (second chance: a slot touched since the hand last
 * passed is skipped once), O(1) amortised, and counted in `evictions`. Each slot has a generation
 * number, bumped whenever the slot changes owner, so a cached (slot, generation) pair can be
 * checked for staleness without a lookup.
 */
export class ContextTable {
  readonly capacity: number;
  readonly keyWords: number;
  readonly stride: number;
  readonly keys: Uint32Array;
  readonly values: Float64Array;
  readonly generation: Uint32Array;
  private readonly referenced: Uint8Array;
  private readonly hashOf: Uint32Array;
  private readonly chain: Int32Array;
  private readonly buckets: Int32Array;
  private readonly bucketMask: number;
  private hand = 0;
  /** Slots in use. */
  size = 0;
  /** Keys dropped to make room. */
  evictions = 0;

  constructor(capacity: number, keyWords: number, stride: number) {
    if (!Number.isInteger(capacity) || capacity < 2) {
      throw new RangeError(`context table capacity must be an integer ≥ 2, got ${capacity}`);
    }
    this.capacity = capacity;
    this.keyWords = keyWords;
    this.stride = stride;
    this.keys = new Uint32Array(capacity * keyWords);
    this.values = new Float64Array(capacity * stride);
    this.generation = new Uint32Array(capacity);
    this.referenced = new Uint8Array(capacity);
    this.hashOf = new Uint32Array(capacity);
    this.chain = new Int32Array(capacity);
    let nb = 16;
    while (nb < capacity) nb *= 2;
    this.buckets = new Int32Array(nb).fill(NONE);
    this.bucketMask = nb - 1;
  }

  /** Slot of the key at `words[offset..offset + keyWords)` with hash `hash`, or -1. */
  find(words: Uint32Array, offset: number, hash: number): number {
    const kw = this.keyWords;
    const keys = this.keys;
    let s = this.buckets[hash & this.bucketMask];
    while (s !== NONE) {
      if (this.hashOf[s] === hash) {
        const k = s * kw;
        let i = 0;
        while (i < kw && keys[k + i] === words[offset + i]) i++;
        if (i === kw) {
          this.referenced[s] = 1;
          return s;
        }
      }
      s = this.chain[s];
    }
    return NONE;
  }

  /** Marks `slot` as recently used (for slots reached through a cache rather than find()). */
  touch(slot: number): void {
    this.referenced[slot] = 1;
  }

  /**
   * Slot of the key, inserted (values zeroed, generation bumped) when absent. Slot `pinned` is
   * never the one evicted (a slot the caller is still using).
   */
  acquire(words: Uint32Array, offset: number, hash: number, pinned = NONE): number {
    const found = this.find(words, offset, hash);
    if (found !== NONE) return found;
    let s: number;
    if (this.size < this.capacity) {
      s = this.size++;
    } else {
      while (this.referenced[this.hand] === 1 || this.hand === pinned) {
        this.referenced[this.hand] = 0;
        this.hand = this.hand + 1 === this.capacity ? 0 : this.hand + 1;
      }
      s = this.hand;
      this.hand = this.hand + 1 === this.capacity ? 0 : this.hand + 1;
      this.unchain(s);
      this.evictions++;
      this.values.fill(0, s * this.stride, (s + 1) * this.stride);
    }
    const kw = this.keyWords;
    for (let i = 0; i < kw; i++) this.keys[s * kw + i] = words[offset + i];
    this.hashOf[s] = hash;
    const b = hash & this.bucketMask;
    this.chain[s] = this.buckets[b];
    this.buckets[b] = s;
    this.generation[s]++;
    this.referenced[s] = 1;
    return s;
  }

  private unchain(slot: number): void {
    const b = this.hashOf[slot] & this.bucketMask;
    let s = this.buckets[b];
    if (s === slot) {
      this.buckets[b] = this.chain[slot];
      return;
    }
    while (this.chain[s] !== slot) s = this.chain[s];
    this.chain[s] = this.chain[slot];
  }
}
