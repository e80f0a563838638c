const NONE = -1;

/** Offset in each slot's values of its generation number (a float64 holding an integer). */
export const GENERATION = 0;

/** Per-slot metadata words, before the key words: hash, next slot in the bucket chain. */
const M_HASH = 0;
const M_CHAIN = 1;
const META_WORDS = 2;

/**
 * A bounded hash table of per-key context statistics (hosts, or host pairs) in typed arrays:
 * `keyWords` 32-bit words of key and `stride` float64 values per slot. When full, inserting a new
 * key evicts one chosen by the clock algorithm (second chance: a slot touched since the hand last
 * passed is skipped once), O(1) amortised, and counted in `evictions`.
 *
 * Each slot has a generation number, bumped whenever the slot changes owner, so a cached (slot,
 * generation) pair can be checked for staleness without a lookup. It is the slot's first value
 * (`values[slot * stride + GENERATION]`): the check reads the cache line the caller's update uses
 * next, and owners keep their statistics at offsets from 1. A slot's hash, chain link and key
 * sit together in `meta`, so one step of a bucket chain reads one place in memory.
 */
export class ContextTable {
  readonly capacity: number;
  readonly keyWords: number;
  readonly stride: number;
  readonly values: Float64Array;
  private readonly meta: Uint32Array;
  private readonly metaStride: number;
  private readonly referenced: Uint8Array;
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
    if (stride < 2) throw new RangeError(`context table stride must be ≥ 2 (generation + values), got ${stride}`);
    this.capacity = capacity;
    this.keyWords = keyWords;
    this.stride = stride;
    this.metaStride = META_WORDS + keyWords;
    this.meta = new Uint32Array(capacity * this.metaStride);
    this.values = new Float64Array(capacity * stride);
    this.referenced = new Uint8Array(capacity);
    let nb = 16;
    while (nb < capacity) nb *= 2;
    this.buckets = new Int32Array(nb).fill(NONE);
    this.bucketMask = nb - 1;
  }

  /** Generation of `slot` (changes whenever the slot gets a new key). */
  generation(slot: number): number {
    return this.values[slot * this.stride + GENERATION];
  }

  /** Slot of the key at `words[offset..offset + keyWords)` with hash `hash`, or -1. */
  find(words: Uint32Array, offset: number, hash: number): number {
    const kw = this.keyWords;
    const meta = this.meta;
    const ms = this.metaStride;
    let s = this.buckets[hash & this.bucketMask];
    while (s !== NONE) {
      const m = s * ms;
      if (meta[m + M_HASH] === hash) {
        const k = m + META_WORDS;
        let i = 0;
        while (i < kw && meta[k + i] === words[offset + i]) i++;
        if (i === kw) {
          this.referenced[s] = 1;
          return s;
        }
      }
      s = meta[m + M_CHAIN] | 0;
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
    let generation: number;
    const v = this.values;
    const st = this.stride;
    if (this.size < this.capacity) {
      s = this.size++;
      generation = 1;
    } else {
      while (this.referenced[this.hand] === 1 || this.hand === pinned) {
        this.referenced[this.hand] = 0;
        this.hand = this.hand + 1 === this.capacity ? 0 : this.hand + 1;
      }
      s = this.hand;
      this.hand = this.hand + 1 === this.capacity ? 0 : this.hand + 1;
      this.unchain(s);
      this.evictions++;
      generation = (v[s * st + GENERATION] + 1) % 0x100000000;
    }
    // Zeroed by writing, also a slot never used: a page of the table is first touched by a write
    // (a read first maps the shared zero page, and the write after it costs a second page fault
    // and a TLB flush on every core).
    v.fill(0, s * st, (s + 1) * st);
    v[s * st + GENERATION] = generation;
    const meta = this.meta;
    const m = s * this.metaStride;
    const kw = this.keyWords;
    for (let i = 0; i < kw; i++) meta[m + META_WORDS + i] = words[offset + i];
    meta[m + M_HASH] = hash;
    const b = hash & this.bucketMask;
    meta[m + M_CHAIN] = this.buckets[b];
    this.buckets[b] = s;
    this.referenced[s] = 1;
    return s;
  }

  private unchain(slot: number): void {
    const meta = this.meta;
    const ms = this.metaStride;
    const b = meta[slot * ms + M_HASH] & this.bucketMask;
    let s = this.buckets[b];
    if (s === slot) {
      this.buckets[b] = meta[slot * ms + M_CHAIN] | 0;
      return;
    }
    while ((meta[s * ms + M_CHAIN] | 0) !== slot) s = meta[s * ms + M_CHAIN] | 0;
    meta[s * ms + M_CHAIN] = meta[slot * ms + M_CHAIN];
  }
}
