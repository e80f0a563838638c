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
 * with a dotted tail) from packet bytes or from big-endian 32-bit words (the flow key's form).
 * A small direct-mapped cache returns the same flat string for an address seen recently, so the
 * common case allocates nothing.
 */
export class AddressFormatter {
  private readonly v4Keys = new Int32Array(CACHE_SIZE);
  private readonly v4Vals: string[] = new Array<string>(CACHE_SIZE).fill('');
  private readonly v6Keys = new Int32Array(CACHE_SIZE * 4);
  private readonly v6Vals: string[] = new Array<string>(CACHE_SIZE).fill('');
  private readonly groups = new Uint16Array(8);

  /** The IPv4 address in the 4 bytes at `o`. */
  ipv4(b: Uint8Array, o: number): string {
    return this.ipv4Word((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }

  /** The IPv4 address held in one big-endian word. */
  ipv4Word(word: number): string {
    const key = word | 0;
    const slot = (Math.imul(key, 0x9e3779b1) >>> (32 - CACHE_BITS)) & CACHE_MASK;
    const cached = this.v4Vals[slot];
    if (this.v4Keys[slot] === key && cached !== '') return cached;
    const s = DEC[key >>> 24] + '.' + DEC[(key >>> 16) & 255] + '.' + DEC[(key >>> 8) & 255] + '.' + DEC[key & 255];
    this.v4Keys[slot] = key;
    this.v4Vals[slot] = s;
    return s;
  }

  /** The IPv6 address in the 16 bytes at `o`. */
  ipv6(b: Uint8Array, o: number): string {
    return this.ipv6Words(
      (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3],
      (b[o + 4] << 24) | (b[o + 5] << 16) | (b[o + 6] << 8) | b[o + 7],
      (b[o + 8] << 24) | (b[o + 9] << 16) | (b[o + 10] << 8) | b[o + 11],
      (b[o + 12] << 24) | (b[o + 13] << 16) | (b[o + 14] << 8) | b[o + 15],
    );
  }

  /** The IPv6 address held in four big-endian words. */
  ipv6Words(w0: number, w1: number, w2: number, w3: number): string {
    w0 |= 0;
    w1 |= 0;
    w2 |= 0;
    w3 |= 0;
    const h = Math.imul(w0 ^ Math.imul(w1, 0x85ebca6b) ^ Math.imul(w2, 0xc2b2ae35) ^ Math.imul(w3, 0x27d4eb2f), 0x9e3779b1);
    const slot = (h >>> (32 - CACHE_BITS)) & CACHE_MASK;
    const k = slot * 4;
    const keys = this.v6Keys;
    const cached = this.v6Vals[slot];
    if (cached !== '' && keys[k] === w0 && keys[k + 1] === w1 && keys[k + 2] === w2 && keys[k + 3] === w3) return cached;
    const g = this.groups;
    g[0] = w0 >>> 16;
    g[1] = w0;
    g[2] = w1 >>> 16;
    g[3] = w1;
    g[4] = w2 >>> 16;
    g[5] = w2;
    g[6] = w3 >>> 16;
    g[7] = w3;
    const s = this.formatGroups();
    keys[k] = w0;
    keys[k + 1] = w1;
    keys[k + 2] = w2;
    keys[k + 3] = w3;
    this.v6Vals[slot] = s;
    return s;
  }

  /**
   * The address in four big-endian words at `w[o..o+4)` as the flow table keys it: an
   * IPv4-mapped address (::ffff:a.b.c.d) of an IPv4 packet (`ipVersion` 4) as a dotted quad,
   * anything else as IPv6.
   */
  fromWords(w: Uint32Array, o: number, ipVersion: number): string {
    if (ipVersion === 4 && w[o] === 0 && w[o + 1] === 0 && w[o + 2] === 0xffff) return this.ipv4Word(w[o + 3]);
    return this.ipv6Words(w[o], w[o + 1], w[o + 2], w[o + 3]);
  }

  /** RFC 5952 text of the 16 bytes at `o`, uncached. */
  formatIpv6(b: Uint8Array, o: number): string {
    const g = this.groups;
    for (let i = 0; i < 8; i++) g[i] = (b[o + 2 * i] << 8) | b[o + 2 * i + 1];
    return this.formatGroups();
  }

  /** RFC 5952 text of the eight groups in `groups`. */
  private formatGroups(): string {
    const g = this.groups;
    // IPv4-mapped (::ffff:a.b.c.d) keeps its dotted tail.
    if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
      return '::ffff:' + DEC[g[6] >>> 8] + '.' + DEC[g[6] & 255] + '.' + DEC[g[7] >>> 8] + '.' + DEC[g[7] & 255];
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
