const CACHE_BITS = 12;
const CACHE_SIZE = 1 << CACHE_BITS;
const CACHE_MASK = CACHE_SIZE - 1;

const HEX: string[] = [];
for (let i = 0; i < 0x10000; i++) HEX.push(i.toString(16));
const DEC: string[] = [];
for (let i = 0; i < 256; i++) DEC.push(String(i));

/**
 * Formats IPv4 (dotted quad) and IPv6 (RFC 5952: lower case, leading zeros dropped, the longest
 * run of two or more zero groups — the first when tied — written `::`, IPv4-mapped addresses
 * with a dotted tail) straight from packet bytes. A small direct-mapped cache returns the same
 * flat string for an address seen recently, so the common case allocates nothing.
 */
export class AddressFormatter {
  private readonly v4Keys = new Int32Array(CACHE_SIZE);
  private readonly v4Vals: string[] = new Array<string>(CACHE_SIZE).fill('');
  private readonly v6Keys = new Int32Array(CACHE_SIZE * 4);
  private readonly v6Vals: string[] = new Array<string>(CACHE_SIZE).fill('');
  private readonly groups = new Uint16Array(8);

  ipv4(b: Uint8Array, o: number): string {
    const key = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
    const slot = (Math.imul(key, 0x9e3779b1) >>> (32 - CACHE_BITS)) & CACHE_MASK;
    const cached = this.v4Vals[slot];
    if (this.v4Keys[slot] === key && cached !== '') return cached;
    const s = DEC[b[o]] + '.' + DEC[b[o + 1]] + '.' + DEC[b[o + 2]] + '.' + DEC[b[o + 3]];
    this.v4Keys[slot] = key;
    this.v4Vals[slot] = s;
    return s;
  }

  ipv6(b: Uint8Array, o: number): string {
    const w0 = (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
    const w1 = (b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7];
    const w2 = (b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11];
    const w3 = (b[o + 12] << 24) | (b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15];
    const h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f), 0x9e3779b1);
    const slot = (h >>> (32 - CACHE_BITS)) & CACHE_MASK;
    const k = slot * 4;
    const keys = this.v6Keys;
    const cached = this.v6Vals[slot];
    if (cached !== '' && keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) return cached;
    const s = this.formatIpv6(b, o);
    keys[k] = w0;
    keys[k + 1] = w1;
    keys[k + 2] = w2;
    keys[k + 3] = w3;
    this.v6Vals[slot] = s;
    return s;
  }

  /** RFC 5952 text of the 16 bytes at `o`, uncached. */
  formatIpv6(b: Uint8Array, o: number): string {
    const g = this.groups;
    for (let i = 0; i < 8; i++) g[i] = (b[o + 2 * i] << 8) | b[o + 2 * i + 1];
    // IPv4-mapped (::ffff:a.b.c.d) keeps its dotted tail.
    if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
      return '::ffff:' + DEC[b[o + 12]] + '.' + DEC[b[o + 13]] + '.' + DEC[b[o + 14]] + '.' + DEC[b[o + 15]];
    }
    let bestStart = -1;
    let bestLen = 0;
    for (let i = 0; i < 8; ) {
      if (g[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && g[j] === 0) j++;
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    if (bestLen < 2) bestStart = -1;
    let s = '';
    for (let i = 0; i < 8; i++) {
      if (i === bestStart) {
        s += '::';
        i += bestLen - 1;
        continue;
      }
      if (s.length > 0 && !s.endsWith(':')) s += ':';
      s += HEX[g[i]];
    }
    return s;
  }
}
