import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PcapFormatError } from '../../../sensor/capture/PcapFormatError.js';
import { PcapStreamParser } from '../../../sensor/capture/PcapStreamParser.js';
import { readPcapFile } from '../../../sensor/capture/readPcapFile.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/capture');
const tmp = mkdtempSync(path.join(tmpdir(), 'nicap-read-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('readPcapFile', () => {
  it('streams every fixture with the same packets whatever the chunk size', async () => {
    for (const f of ['http.pcap', 'scan.pcap', 'multi.pcapng', 'any-sll2.pcap']) {
      const file = path.join(fixtures, f);
      const sums: string[][] = [];
      for (const chunkSize of [1 << 20, 4096, 333]) {
        const seen: string[] = [];
        const stats = await readPcapFile(file, (lt, buf, off, cap, wire, ts) => {
          let h = 0;
          for (let i = off; i < off + cap; i++) h = (h * 31 + buf[i]) | 0;
          seen.push(`${lt}/${cap}/${wire}/${ts}/${h}`);
        }, { chunkSize });
        expect(stats.packets).toBe(seen.length);
        expect(stats.fileBytes).toBe(readFileSync(file).length);
        expect(stats.aborted).toBe(false);
        sums.push(seen);
      }
      expect(sums[1]).toEqual(sums[0]);
      expect(sums[2]).toEqual(sums[0]);
    }
  });

  it('rejects a damaged file after delivering every good packet', async () => {
    const whole = readFileSync(path.join(fixtures, 'scan.pcap'));
    const cut = path.join(tmp, 'cut.pcap');
    writeFileSync(cut, whole.subarray(0, whole.length - 10));
    let n = 0;
    const err = await readPcapFile(cut, () => n++, { chunkSize: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PcapFormatError);
    expect(n).toBe(263);
    expect((err as PcapFormatError).packetsBefore).toBe(263);
    await expect(readPcapFile(path.join(tmp, 'missing.pcap'), () => undefined)).rejects.toThrow(/ENOENT/);
  });

  it('stops between chunks when aborted, and lets a hook pause between chunks', async () => {
    const ac = new AbortController();
    let chunks = 0;
    const stats = await readPcapFile(path.join(fixtures, 'http.pcap'), () => undefined, {
      chunkSize: 4096,
      afterChunk: async (p) => {
        chunks++;
        expect(p.packets).toBeGreaterThanOrEqual(0);
        await Promise.resolve();
        if (chunks === 2) ac.abort();
      },
      signal: ac.signal,
    });
    expect(stats.aborted).toBe(true);
    expect(stats.fileBytes).toBe(8192);
  });

  it('holds memory constant on a stream far larger than its buffers', () => {
    // 256 MiB of pcap records (1016 bytes each) pushed through one parser in 1 MiB chunks that
    // cut records at every possible place; memory must not grow with the stream.
    const rec = 16 + 1000;
    const chunk = new Uint8Array((1 << 20) + 7);
    let n = 0;
    const parser = new PcapStreamParser(() => n++);
    const header = new Uint8Array(24);
    const hv = new DataView(header.buffer);
    hv.setUint32(0, 0xa1b2c3d4, true);
    hv.setUint16(4, 2, true);
    hv.setUint32(16, 65535, true);
    hv.setUint32(20, 1, true);
    parser.push(header);
    const total = 256 * 1024 ** 2;
    let rss0 = 0;
    for (let pos = 0; pos < total; pos += chunk.length) {
      for (let i = 0; i < chunk.length; i++) {
        const at = (pos + i) % rec;
        // Record header: ts 0.0, captured and wire length 1000 (0x03e8) little-endian; then payload.
        chunk[i] = at >= 8 && at < 16 ? [0xe8, 3, 0, 0][(at - 8) % 4] : at < 8 ? 0 : 0x55;
      }
      parser.push(chunk);
      if (pos === 16 * chunk.length) rss0 = process.memoryUsage().rss; // after warm-up
    }
    const grown = process.memoryUsage().rss - rss0;
    expect(n).toBe(Math.floor((Math.ceil(total / chunk.length) * chunk.length) / rec));
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  });
});
