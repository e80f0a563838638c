import { describe, expect, it } from 'vitest';
import { parseIpWords } from '../../../sensor/flows/parseIpWords.js';

const words = (s: string): number[] | null => {
  const w = new Uint32Array(4);
  return parseIpWords(s, w, 0) ? [...w] : null;
};

describe('parseIpWords', () => {
  it('maps IPv4 to ::ffff:a.b.c.d', () => {
    expect(words('10.1.2.3')).toEqual([0, 0, 0xffff, 0x0a010203]);
    expect(words('255.255.255.255')).toEqual([0, 0, 0xffff, 0xffffffff]);
  });

  it('parses IPv6 with and without compression and with a dotted tail', () => {
    expect(words('2001:db8::1')).toEqual([0x20010db8, 0, 0, 1]);
    expect(words('::')).toEqual([0, 0, 0, 0]);
    expect(words('fe80::1:2')).toEqual([0xfe800000, 0, 0, 0x00010002]);
    expect(words('1:2:3:4:5:6:7:8')).toEqual([0x00010002, 0x00030004, 0x00050006, 0x00070008]);
    expect(words('::ffff:10.1.2.3')).toEqual([0, 0, 0xffff, 0x0a010203]);
  });

  it('rejects what is not an address', () => {
    for (const s of ['', '1.2.3', '1.2.3.256', 'a.b.c.d', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::']) {
      expect(words(s), s).toBeNull();
    }
  });
});
