/**
 * A small deterministic PRNG (mulberry32) for model training: the same seed gives the same
 * trees, samples and splits on every machine. Not for anything security-related.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    this.state = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of randomness. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  gaussian(): number {
    let u = this.next();
    while (u <= 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** `k` distinct indices from [0, n) in random order (partial Fisher–Yates); k is clamped to n. */
  sample(n: number, k: number): Int32Array {
    const m = Math.min(k, n);
    if (m * 4 < n) {
      // Sparse case: rejection with a set keeps memory O(k).
      const seen = new Set<number>();
      const out = new Int32Array(m);
      let i = 0;
      while (i < m) {
        const j = this.int(n);
        if (!seen.has(j)) {
          seen.add(j);
          out[i++] = j;
        }
      }
      return out;
    }
    const all = new Int32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    for (let i = 0; i < m; i++) {
      const j = i + this.int(n - i);
      const t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    return all.slice(0, m);
  }
}
