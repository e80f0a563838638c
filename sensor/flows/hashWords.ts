/** 32-bit finaliser (MurmurHash3 fmix32): spreads every input bit over the result. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hash of one address (four words at `w[o..o+4)`). Bijective on IPv4-mapped addresses. */
export function hashAddress(w: Uint32Array, o: number): number {
  return mix32(
    Math.imul(w[o], 0x9e3779b1) ^ Math.imul(w[o + 1], 0x85ebca77) ^ Math.imul(w[o + 2], 0xc2b2ae3d) ^ w[o + 3],
  );
}
