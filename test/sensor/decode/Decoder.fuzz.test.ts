import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPcapFile } from '../../../sensor/capture/readPcapFile.js';
import { DecodedPacket } from '../../../sensor/decode/DecodedPacket.js';
import { Decoder } from '../../../sensor/decode/Decoder.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/capture');

/** xorshift32: a seeded generator, so a failure reproduces. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const LINK_TYPES = [0, 1, 9, 12, 14, 101, 108, 113, 228, 229, 239, 276, 127, 105];

describe('Decoder fuzz', () => {
  it('never throws and keeps its counters consistent on random and mutated real packets', async () => {
    const real: { lt: number; bytes: Uint8Array; wire: number }[] = [];
    for (const f of readdirSync(fixtures).filter((n) => /\.pcap(ng)?$/.test(n))) {
      await readPcapFile(path.join(fixtures, f), (lt, buf, off, cap, wire) => {
        real.push({ lt, bytes: buf.slice(off, off + cap), wire });
      });
    }
    expect(real.length).toBeGreaterThan(300);
    const rand = rng(0x5eed1234);
    const int = (n: number): number => Math.floor(rand() * n);
    const d = new Decoder();
    const out = new DecodedPacket();
    let ipTrue = 0;
    const runs = 60_000;
    for (let i = 0; i < runs; i++) {
      let lt: number;
      let bytes: Uint8Array;
      let wire: number;
      if (i % 4 === 0) {
        // Pure noise, any length, any link type.
        lt = LINK_TYPES[int(LINK_TYPES.length)];
        bytes = new Uint8Array(int(200));
        for (let j = 0; j < bytes.length; j++) bytes[j] = int(256);
        wire = bytes.length + int(3);
      } else {
        // A real packet, mutated: flipped bytes, truncation, or header fields set to extremes.
        const src = real[int(real.length)];
        lt = rand() < 0.05 ? LINK_TYPES[int(LINK_TYPES.length)] : src.lt;
        bytes = Uint8Array.from(src.bytes);
        wire = src.wire;
        const flips = 1 + int(6);
        for (let j = 0; j < flips && bytes.length > 0; j++) {
          const at = int(Math.min(bytes.length, 80));
          bytes[at] = rand() < 0.3 ? [0, 0xff, 0x2c, 0x00, 0x3c, 0x45, 0x60][int(7)] : int(256);
        }
        if (rand() < 0.4) bytes = bytes.subarray(0, int(bytes.length + 1));
      }
      // Sometimes embed at an offset in a larger buffer, as the file reader does.
      const pad = int(3) * 7;
      const buf = new Uint8Array(pad + bytes.length + int(4));
      buf.set(bytes, pad);
      const ok = d.decode(lt, buf, pad, bytes.length, wire, i, out);
      if (ok) {
        ipTrue++;
        expect(out.ipVersion === 4 || out.ipVersion === 6).toBe(true);
        expect(out.src).not.toBe('');
        expect(out.payloadLen).toBeGreaterThanOrEqual(0);
        expect(out.l3Offset).toBeGreaterThanOrEqual(pad);
        expect(out.l4Offset === -1 || out.l4Offset > out.l3Offset).toBe(true);
        expect(out.srcPort >= 0 && out.srcPort <= 65535 && out.dstPort >= 0 && out.dstPort <= 65535).toBe(true);
      }
    }
    expect(d.packets).toBe(runs);
    expect(d.ip).toBe(ipTrue);
    expect(d.packets).toBe(d.ip + d.nonIp + d.skippedTotal());
    expect(d.skipped['internal-error']).toBeUndefined();
    // Mutations keep many packets decodable and push others into several skip reasons.
    expect(ipTrue).toBeGreaterThan(runs / 4);
    expect(Object.keys(d.skipped).length).toBeGreaterThan(8);
  });
});
