import { describe, expect, it } from 'vitest';
import { AddressFormatter } from '../../../sensor/decode/AddressFormatter.js';

/** An independent RFC 5952 formatter: the WHATWG URL parser's IPv6 serialiser (same rules outside IPv4-mapped addresses). */
function viaUrl(bytes: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

function words(bytes: Uint8Array): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((bytes[4 * i] << 24) | (bytes[4 * i + 1] << 16) | (bytes[4 * i + 2] << 8) | bytes[4 * i + 3]) >>> 0;
  return w;
}

describe('AddressFormatter', () => {
  it('formats IPv6 from bytes and from words as the URL parser does, cached or not', () => {
    const f = new AddressFormatter();
    let seed = 7;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24;
    for (let n = 0; n < 3000; n++) {
      const b = new Uint8Array(16);
      // Random groups, many of them zero (to exercise the :: runs), never IPv4-mapped.
      for (let g = 0; g < 8; g++) {
        if (rnd() < 110) continue;
        b[2 * g] = rnd() < 128 ? 0 : rnd();
        b[2 * g + 1] = rnd();
      }
      if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) continue;
      const want = viaUrl(b);
      expect(f.formatIpv6(b, 0)).toBe(want);
      expect(f.ipv6(b, 0)).toBe(want);
      const w = words(b);
      expect(f.ipv6Words(w[0], w[1], w[2], w[3])).toBe(want);
      expect(f.fromWords(w, 0, 6)).toBe(want);
      expect(f.ipv6(b, 0)).toBe(want); // now from the cache
    }
  });

  it('formats the flow key words of IPv4 and IPv4-mapped IPv6 packets', () => {
    const f = new AddressFormatter();
    const w = Uint32Array.of(0, 0, 0xffff, 0xc0000280, 0, 0, 0xffff, 0x0a000001);
    expect(f.fromWords(w, 0, 4)).toBe('192.0.2.128');
    expect(f.fromWords(w, 4, 4)).toBe('10.0.0.1');
    expect(f.fromWords(w, 0, 6)).toBe('::ffff:192.0.2.128');
    expect(f.ipv4Word(0xffffffff)).toBe('255.255.255.255');
    expect(f.ipv4(Uint8Array.of(9, 0, 0, 1, 2, 3), 2)).toBe('0.1.2.3');
    // An IPv4 packet whose key words are not IPv4-mapped (text parsed elsewhere) still reads as IPv6.
    expect(f.fromWords(Uint32Array.of(0x20010db8, 0, 0, 1), 0, 4)).toBe('2001:db8::1');
  });
});
