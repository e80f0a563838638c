import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PacedFileSource } from '../../../sensor/capture/PacedFileSource.js';

const dir = mkdtempSync(join(tmpdir(), 'netids-paced-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A classic pcap (Ethernet) of `n` 60-byte frames, one every `gap` seconds from t0. */
function writePcap(name: string, n: number, t0: number, gap: number): string {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const parts = [header];
  for (let i = 0; i < n; i++) {
    const rec = Buffer.alloc(16 + 60);
    const ts = t0 + i * gap;
    rec.writeUInt32LE(Math.floor(ts), 0);
    rec.writeUInt32LE(Math.round((ts % 1) * 1e6), 4);
    rec.writeUInt32LE(60, 8);
    rec.writeUInt32LE(60, 12);
    parts.push(rec);
  }
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

async function play(path: string, speed: number | undefined, chunkSize?: number): Promise<{ seconds: number; ts: number[] }> {
  const ts: number[] = [];
  const src = new PacedFileSource(path, { speed, chunkSize });
  const t = performance.now();
  await src.run((_l, _b, _o, _c, _w, time) => ts.push(time));
  expect(src.progress).toBe(1);
  return { seconds: (performance.now() - t) / 1000, ts };
}

describe('PacedFileSource', () => {
  // 401 packets over 2 s of capture time (about 30 KB: eight 4 KiB chunks for pacing to step through).
  const path = writePcap('two-seconds.pcap', 401, 1_700_000_000, 0.005);

  it('replays at capture pace times the speed, handing out the file\'s own timestamps', async () => {
    const fast = await play(path, undefined);
    const paced = await play(path, 4, 4096);
    expect(paced.ts).toEqual(fast.ts);
    expect(paced.ts[0]).toBe(1_700_000_000);
    // 2 s of capture at 4x is 0.5 s of wall time (less the last chunk's share); unpaced is far quicker.
    expect(paced.seconds).toBeGreaterThan(0.4);
    expect(paced.seconds).toBeLessThan(1.5);
    expect(fast.seconds).toBeLessThan(0.4);
  });

  it('can change speed while playing', async () => {
    const src = new PacedFileSource(path, { speed: 1, chunkSize: 4096 });
    let n = 0;
    const t = performance.now();
    await src.run(() => {
      if (++n === 100) src.speed = 1000;
    });
    expect(n).toBe(401);
    expect((performance.now() - t) / 1000).toBeLessThan(1);
  });

  it('stops when aborted and rejects a speed that is not positive', async () => {
    const ac = new AbortController();
    const src = new PacedFileSource(path, { speed: 0.5, chunkSize: 4096, signal: ac.signal });
    let n = 0;
    const stats = await src.run(() => {
      if (++n === 3) ac.abort();
    });
    expect(stats.aborted).toBe(true);
    expect(n).toBeLessThan(401);
    expect(() => new PacedFileSource(path, { speed: 0 })).toThrow(/positive/);
    expect(() => new PacedFileSource(path, { speed: -1 })).toThrow(/positive/);
  });
});
