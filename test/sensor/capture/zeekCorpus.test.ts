import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPcapFile } from '../../../sensor/capture/readPcapFile.js';
import { DecodedPacket } from '../../../sensor/decode/DecodedPacket.js';
import { Decoder } from '../../../sensor/decode/Decoder.js';

/**
 * Robustness over the shared corpus of real captures (Zeek's test traces): every file is read
 * without a crash or a hang, and our packet count equals tshark's (from the manifest).
 */
const projectRoot = path.resolve(import.meta.dirname, '../../..');
const pcaps = path.resolve(projectRoot, '..', 'shared', 'pcaps');
const corpus = path.join(pcaps, 'zeek');
const manifest = path.join(pcaps, 'zeek-manifest.tsv');

/**
 * Files where our count may differ from tshark's, with the reason. Empty: on the corpus as
 * recorded, every file's count matches. Add an entry only with a reason.
 */
const COUNT_DIFFERENCES_ALLOWED: Record<string, string> = {};

/** No single file (the largest is under 3 MB) may take longer than this. */
const PER_FILE_MS = 5000;

describe.skipIf(!existsSync(manifest))('zeek capture corpus', () => {
  it('reads every file with tshark\'s packet count, within the time bound, and decodes without a throw', async () => {
    const want = new Map<string, number>();
    for (const line of readFileSync(manifest, 'utf8').trim().split('\n').slice(1)) {
      const [file, , packets] = line.split('\t');
      want.set(file, Number(packets));
    }
    const files = readdirSync(corpus).filter((f) => want.has(f)).sort();
    expect(files.length).toBe(want.size);
    const decoder = new Decoder();
    const out = new DecodedPacket();
    const mismatches: string[] = [];
    const slow: string[] = [];
    let packets = 0;
    for (const file of files) {
      let n = 0;
      let error = '';
      const t0 = performance.now();
      try {
        await readPcapFile(path.join(corpus, file), (lt, buf, off, cap, wire, ts) => {
          n++;
          decoder.decode(lt, buf, off, cap, wire, ts, out);
        });
      } catch (err) {
        error = (err as Error).message;
      }
      const ms = performance.now() - t0;
      if (ms > PER_FILE_MS) slow.push(`${file}: ${ms.toFixed(0)} ms`);
      packets += n;
      if ((n !== want.get(file) || error) && !(file in COUNT_DIFFERENCES_ALLOWED)) {
        mismatches.push(`${file}: ours ${n}, tshark ${want.get(file)}${error ? `, error: ${error}` : ''}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(slow).toEqual([]);
    expect(decoder.packets).toBe(packets);
    expect(decoder.packets).toBe(decoder.ip + decoder.nonIp + decoder.skippedTotal());
    // The corpus is overwhelmingly IP over link types we read; skips are the exception.
    expect(decoder.ip / decoder.packets).toBeGreaterThan(0.95);
    const reasons = Object.keys(decoder.skipped);
    expect(reasons.filter((r) => r === 'internal-error')).toEqual([]);
    console.log(
      `zeek corpus: ${files.length} files, ${decoder.packets} packets, ip ${decoder.ip}, non-ip ${decoder.nonIp} ${JSON.stringify(decoder.nonIpByKind)}, ` +
        `fragments ${decoder.fragments}, skipped ${JSON.stringify(decoder.skipped)}`,
    );
  }, 120_000);
});
