import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsonlAnomalyWriter } from '../../../cli/run/JsonlAnomalyWriter.js';
import type { Anomaly } from '../../../lib/anomaly.js';
import { sampleAnomalies } from '../../detector/dashboard/sampleAnomalies.js';

const dir = mkdtempSync(join(tmpdir(), 'netids-jsonl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('JsonlAnomalyWriter', () => {
  it('writes a line when raised and the final state at close, not a line per update', async () => {
    const path = join(dir, 'a.jsonl');
    const w = new JsonlAnomalyWriter(path, 60_000);
    await w.ready();
    const [a, b] = sampleAnomalies();
    w.anomaly(a, true);
    w.anomaly(b, true);
    for (let i = 2; i <= 1000; i++) w.anomaly({ ...a, count: i }, false);
    await w.close();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Anomaly);
    expect(lines.map((l) => [l.id, l.count])).toEqual([
      [a.id, a.count],
      [b.id, b.count],
      [a.id, 1000],
    ]);
  });

  it('fails clearly when the file cannot be written', async () => {
    const w = new JsonlAnomalyWriter(join(dir, 'no', 'such', 'dir.jsonl'));
    await expect(w.ready()).rejects.toThrow(/cannot write anomalies to .*no\/such\/dir\.jsonl/);
    await w.close().catch(() => {});
  });
});
