// The offline commands (detect, train, eval) as a user runs them: the real CLI in a child process
// over the labeled scenario fixture (real nmap, hping3, curl, dig and hydra traffic).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const pcap = path.join(root, 'test', 'fixtures', 'scenarios', 'full.pcap');
const labels = path.join(root, 'test', 'fixtures', 'scenarios', 'full.labels.csv');
/** The first attack starts here: train on what ended before it. */
const firstAttack = Number(readFileSync(labels, 'utf8').split('\n')[1].split(',')[0]);

function netids(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(root, 'bin', 'netids.js'), ...args], { maxBuffer: 64 << 20, env: { ...process.env, NETIDS_LOG_LEVEL: 'warn' } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('netids detect / train / eval on a labeled capture', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'netids-offline-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('detect --train-until writes one Anomaly per line, and the scan shows up as a PortScan', async () => {
    const out = path.join(dir, 'anomalies.jsonl');
    const r = await netids(['detect', '--pcap', pcap, '--train-until', String(firstAttack), '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; src: string; firstSeen: number; lastSeen: number; reasons: string[] });
    expect(lines.length).toBeGreaterThan(0);
    const scan = lines.find((a) => a.kind === 'PortScan' && a.src === '10.77.0.66');
    expect(scan).toBeDefined();
    expect(scan!.firstSeen).toBeGreaterThanOrEqual(firstAttack - 1);
    expect(scan!.reasons.length).toBeGreaterThan(0);
  });

  it('train saves a model that detect --model loads and scores with', async () => {
    const model = path.join(dir, 'model.json');
    const t = await netids(['train', '--pcap', pcap, '--train-until', String(firstAttack), '--out', model]);
    expect(t.code, t.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(model, 'utf8')) as { format: string; featureSchemaVersion: number; samples: number };
    expect(saved).toMatchObject({ format: 'netids-model', featureSchemaVersion: 1 });
    expect(saved.samples).toBeGreaterThan(10);
    const d = await netids(['detect', '--pcap', pcap, '--model', model]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/"kind":"PortScan"/);
  });

  it('eval --json reports every labeled attack as detected, with ranking figures per model', async () => {
    const r = await netids(['eval', '--pcap', pcap, '--labels', labels, '--train-until', String(firstAttack), '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { attacks: { type: string; detected: boolean }[] };
    expect(report.attacks.length).toBe(readFileSync(labels, 'utf8').trim().split('\n').length - 1);
    expect(report.attacks.filter((a) => !a.detected)).toEqual([]);
  });

  it('bad input gets one clear line, not a stack trace', async () => {
    const early = await netids(['detect', '--pcap', pcap, '--train-until', '1']);
    expect(early.code).toBe(1);
    expect(early.stderr.trim()).toMatch(/^netids: .*flows to train on/);
    expect(early.stderr).not.toMatch(/\n\s+at /);
    const corrupt = path.join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"not": "a model"');
    const bad = await netids(['detect', '--pcap', pcap, '--model', corrupt]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/model/i);
  });
});
