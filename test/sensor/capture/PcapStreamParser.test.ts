import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PcapFormatError } from '../../../sensor/capture/PcapFormatError.js';
import { PcapStreamParser } from '../../../sensor/capture/PcapStreamParser.js';
import { concatBytes, epb, idb, otherBlock, pb, pcapFile, pcapToBigEndian, shb, spb } from './captureFileBuilders.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/capture');

interface Got {
  lt: number;
  hex: string;
  cap: number;
  wire: number;
  ts: number;
}

/** Parse `bytes` pushed in chunks of `chunk` bytes (0 = one chunk); returns packets and the error, if any. */
function parse(bytes: Uint8Array, chunk = 0): { pkts: Got[]; err?: PcapFormatError; parser: PcapStreamParser } {
  const pkts: Got[] = [];
  const parser = new PcapStreamParser((lt, buf, off, cap, wire, ts) => {
    pkts.push({ lt, hex: Buffer.from(buf.subarray(off, off + cap)).toString('hex'), cap, wire, ts });
  });
  try {
    const step = chunk > 0 ? chunk : bytes.length || 1;
    for (let o = 0; o < bytes.length; o += step) {
      // A fresh copy per chunk, then scribbled over after push: packets must not outlive the call uncopied.
      const c = Uint8Array.from(bytes.subarray(o, o + step));
      parser.push(c);
      c.fill(0xaa);
    }
    parser.end();
    return { pkts, parser };
  } catch (err) {
    if (!(err instanceof PcapFormatError)) throw err;
    return { pkts, err, parser };
  }
}

const pkt = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('PcapStreamParser: pcap', () => {
  const recs = [
    { sec: 1700000000, frac: 123456, data: pkt(60, 1) },
    { sec: 1700000001, frac: 999999, data: pkt(1514, 2), orig: 1514 },
    { sec: 1700000002, frac: 0, data: pkt(96, 3), orig: 1500 },
  ];

  it('reads both byte orders and micro/nanosecond timestamps alike', () => {
    for (const le of [true, false]) {
      const { pkts, err } = parse(pcapFile({ le, linkType: 113, records: recs }));
      expect(err).toBeUndefined();
      expect(pkts.map((p) => [p.lt, p.cap, p.wire])).toEqual([[113, 60, 60], [113, 1514, 1514], [113, 96, 1500]]);
      expect(pkts[0].ts).toBeCloseTo(1700000000.123456, 6);
      expect(pkts[1].hex).toBe('02'.repeat(1514));
    }
    const nano = parse(pcapFile({ le: false, nano: true, records: [{ sec: 1700000000, frac: 123456789, data: pkt(60, 1) }] }));
    expect(nano.pkts[0].ts).toBeCloseTo(1700000000 + 0.123456789, 6);
  });

  it('gives the same packets whatever the chunking, and hands whole-chunk packets out uncopied', () => {
    const file = readFileSync(path.join(fixtures, 'http.pcap'));
    const whole = parse(file);
    expect(whole.pkts.length).toBe(62);
    for (const chunk of [1, 3, 16, 17, 100, 1500, 4096]) expect(parse(file, chunk).pkts).toEqual(whole.pkts);
    const chunk = Uint8Array.from(file);
    let sameBuffer = 0;
    const parser = new PcapStreamParser((_lt, buf) => {
      if (buf === chunk) sameBuffer++;
    });
    parser.push(chunk);
    parser.end();
    expect(sameBuffer).toBe(62);
    expect(parser.packets).toBe(62);
  });

  it('reads a recorded big-endian rewrite and a recorded nanosecond capture', () => {
    const le = readFileSync(path.join(fixtures, 'scan.pcap'));
    expect(parse(pcapToBigEndian(le), 999).pkts).toEqual(parse(le).pkts);
    const dns = parse(readFileSync(path.join(fixtures, 'dns.pcap')), 50);
    expect(dns.err).toBeUndefined();
    expect(dns.pkts.length).toBe(6);
    // dns.pcap is nanosecond: sub-microsecond digits survive.
    expect(dns.pkts.some((p) => Math.round((p.ts % 1) * 1e9) % 1000 !== 0)).toBe(true);
  });

  it('yields every packet before a truncated final record, then a clear error', () => {
    const file = pcapFile({ le: true, records: recs });
    const recEnds = [24 + 16 + 60, 24 + 16 + 60 + 16 + 1514, file.length];
    for (const cut of [file.length - 1, file.length - 50, recEnds[1] + 5, recEnds[0] + 3, 30, 10]) {
      for (const chunk of [0, 7, 4096]) {
        const { pkts, err } = parse(file.subarray(0, cut), chunk);
        const good = recEnds.filter((e) => e <= cut).length;
        expect(pkts.length).toBe(good);
        expect(err).toBeInstanceOf(PcapFormatError);
        expect(err?.message).toMatch(/truncated (record|file header)/);
        expect(err?.packetsBefore).toBe(good);
        expect(err?.offset).toBe(cut < 24 ? 0 : good === 0 ? 24 : recEnds[good - 1]);
      }
    }
  });

  it('stops at an insane record length with its offset', () => {
    const file = pcapFile({ le: true, records: recs });
    const bad = Uint8Array.from(file);
    new DataView(bad.buffer).setUint32(24 + 16 + 60 + 8, 10_000_000, true);
    const { pkts, err } = parse(bad, 64);
    expect(pkts.length).toBe(1);
    expect(err?.offset).toBe(24 + 16 + 60);
    expect(err?.reason).toMatch(/captured length 10000000 is beyond sanity/);
    // The same with the whole file in one chunk, the bad record right after a good one.
    const whole = parse(bad);
    expect(whole.pkts.length).toBe(1);
    expect(whole.err?.offset).toBe(24 + 16 + 60);
    expect(whole.err?.reason).toMatch(/captured length 10000000 is beyond sanity/);
    // Beyond the snaplen by far, but under the absolute maximum.
    const snapped = pcapFile({ le: true, snaplen: 96, records: [recs[0], { sec: 1, frac: 0, data: pkt(200000, 9) }] });
    expect(parse(snapped).err?.reason).toMatch(/far beyond the file's snaplen 96/);
  });

  it('rejects bad magic, an empty stream, and reuse after an error', () => {
    const { pkts, err } = parse(Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]));
    expect(pkts.length).toBe(0);
    expect(err?.message).toMatch(/pcap format error at byte 0: bad magic 0xdeadbeef/);
    expect(parse(new Uint8Array(0)).err?.reason).toMatch(/empty stream/);
    const p = new PcapStreamParser(() => undefined);
    expect(() => p.push(Uint8Array.from([1, 2, 3, 4]))).toThrow(PcapFormatError);
    expect(() => p.push(Uint8Array.from([1]))).toThrow(/bad magic/);
  });
});

describe('PcapStreamParser: pcapng', () => {
  const data = [pkt(60, 1), pkt(1514, 2), pkt(42, 3)];

  function twoSections(): Uint8Array {
    return concatBytes(
      shb(true),
      idb(true, 1), // microseconds
      idb(true, 113, 9), // nanoseconds
      otherBlock(true, 0x00000004, 30), // name resolution: skipped
      epb(true, 0, 1700000000123456n, data[0]),
      epb(true, 1, 1700000000123456789n, data[1], 2000),
      otherBlock(true, 0x00000bad, 70000), // unknown: skipped unread
      otherBlock(true, 0x00000005, 20), // interface statistics
      shb(false), // second section, big-endian, fresh interface ids
      idb(false, 101, 0x80 | 20, 1000), // 2^-20 s units, +1000 s offset
      epb(false, 0, 3n << 20n, data[2]),
      spb(false, data[0]),
      pb(false, 0, 5n << 20n, data[1]),
    );
  }

  it('reads sections in both byte orders, per-interface link types and resolutions, all packet blocks', () => {
    const file = twoSections();
    const { pkts, err, parser } = parse(file);
    expect(err).toBeUndefined();
    expect(parser.sections).toBe(2);
    expect(pkts.map((p) => [p.lt, p.cap, p.wire])).toEqual([[1, 60, 60], [113, 1514, 2000], [101, 42, 42], [101, 60, 60], [101, 1514, 1514]]);
    expect(pkts[0].ts).toBeCloseTo(1700000000.123456, 6);
    expect(pkts[1].ts).toBeCloseTo(1700000000 + 0.123456789, 6);
    expect(pkts[2].ts).toBe(1003);
    expect(pkts[3].ts).toBe(1003); // a simple packet block inherits the last timestamp
    expect(pkts[4].ts).toBe(1005);
    expect(pkts[1].hex).toBe('02'.repeat(1514));
    for (const chunk of [1, 5, 13, 100, 4096]) expect(parse(file, chunk).pkts).toEqual(pkts);
  });

  it('reads the recorded two-interface dumpcap capture', () => {
    const { pkts, err, parser } = parse(readFileSync(path.join(fixtures, 'multi.pcapng')), 100);
    expect(err).toBeUndefined();
    expect(parser.format).toBe('pcapng');
    expect(pkts.length).toBe(10);
  });

  it('yields every packet before damage: truncation, bad trailer, undescribed interface, bad length', () => {
    const file = twoSections();
    const truncated = parse(file.subarray(0, file.length - 3), 64);
    expect(truncated.pkts.length).toBe(4);
    expect(truncated.err?.reason).toMatch(/truncated block/);
    expect(truncated.err?.offset).toBe(file.length - pb(false, 0, 0n, data[1]).length);

    const ep = epb(true, 0, 1n, data[0]);
    const badTrailer = Uint8Array.from(concatBytes(shb(true), idb(true, 1), ep, ep));
    new DataView(badTrailer.buffer).setUint32(badTrailer.length - 4, 12, true);
    const t = parse(badTrailer);
    expect(t.pkts.length).toBe(1);
    expect(t.err?.reason).toMatch(/trailing length 12 differs/);

    const noIdb = parse(concatBytes(shb(true), epb(true, 0, 1n, data[0])));
    expect(noIdb.err?.reason).toMatch(/interface 0, which was never described/);

    const badLen = Uint8Array.from(concatBytes(shb(true), idb(true, 1), ep, ep));
    new DataView(badLen.buffer).setUint32(shb(true).length + idb(true, 1).length + ep.length + 4, 13, true);
    const b = parse(badLen, 7);
    expect(b.pkts.length).toBe(1);
    expect(b.err?.reason).toMatch(/block length 13 is not a multiple of 4/);

    const badBom = Uint8Array.from(shb(true));
    badBom[8] = 0x99;
    expect(parse(badBom).err?.reason).toMatch(/bad byte-order magic/);
  });
});

describe('PcapStreamParser fuzz', () => {
  it('on mutated and truncated files either reads or raises a PcapFormatError, never anything else', () => {
    let s = 0x2545f491;
    const rand = (n: number): number => {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      return s % n;
    };
    const files = ['http.pcap', 'dns.pcap', 'multi.pcapng', 'any-sll2.pcap'].map((f) => readFileSync(path.join(fixtures, f)));
    let errors = 0;
    for (let i = 0; i < 800; i++) {
      const src = files[rand(files.length)];
      const bytes = Uint8Array.from(src.subarray(0, rand(4) === 0 ? rand(src.length + 1) : src.length));
      const flips = rand(4);
      for (let j = 0; j < flips && bytes.length > 0; j++) {
        // Aim at headers: the first 200 bytes, or anywhere.
        bytes[rand(4) ? rand(Math.min(200, bytes.length)) : rand(bytes.length)] = rand(256);
      }
      const { pkts, err, parser } = parse(bytes, [0, 7, 64, 1000][rand(4)]);
      expect(pkts.length).toBe(parser.packets);
      if (err) {
        errors++;
        expect(err.offset).toBeGreaterThanOrEqual(0);
        expect(err.offset).toBeLessThanOrEqual(bytes.length);
        expect(err.packetsBefore).toBe(pkts.length);
      }
      for (const p of pkts) expect(p.cap).toBeLessThanOrEqual(262144);
    }
    expect(errors).toBeGreaterThan(50);
  });
});
