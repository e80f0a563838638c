import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../lib/anomaly.js';
import { createLogger } from '../../lib/logger.js';
import { loadConfig } from '../../lib/config.js';
import type { RunStats } from '../../detector/dashboard/DashboardFeed.js';
import { RunConfigSchema } from '../../cli/run/RunConfig.js';
import { type RunHandle, type RunOutcome, startRun } from '../../cli/run/startRun.js';

// `netids run --pcap` in process, end to end with the real sensor, detector and dashboard server,
// on the labeled demo capture (normal traffic, then a port scan, a host sweep and a SYN flood).
const root = resolve(import.meta.dirname, '..', '..');
const demo = join(root, 'test', 'fixtures', 'demo', 'demo.pcap');
const attackers = new Set(
  readFileSync(join(root, 'test', 'fixtures', 'demo', 'demo.labels.csv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',')[2]),
);
const dir = mkdtempSync(join(tmpdir(), 'netids-runfile-'));

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  return { io: { out, err, logger: createLogger('silent'), progress: false }, text: () => ({ stdout, stderr }) };
}

function config(flags: Record<string, unknown>) {
  return loadConfig(RunConfigSchema, { flags: { 'dashboard.port': 0, node: 'it', ...flags } });
}

let handle: RunHandle;
let outcome: RunOutcome;
let streams: ReturnType<typeof io>;
const out = join(dir, 'anomalies.jsonl');
const modelFile = join(dir, 'model.json');

beforeAll(async () => {
  streams = io();
  handle = await startRun(config({ 'input.pcap': demo, out, 'model.save': modelFile }), streams.io);
  outcome = await handle.done;
}, 120_000);

afterAll(async () => {
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function api<T>(path: string): Promise<T> {
  const res = await fetch(new URL(path, handle.url as string));
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

describe('netids run --pcap (in process)', () => {
  it('reads the whole file, learns, then scores and raises anomalies from the attacker', async () => {
    expect(outcome.reason).toBe('end');
    expect(outcome.scoredBeforeEnd).toBe(true);
    const tcpdumpCount = execFileSync('tcpdump', ['-nn', '-r', demo], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 })
      .toString()
      .trim()
      .split('\n').length;
    const stats = await api<RunStats>('/api/stats');
    expect(stats.health.packets).toBe(tcpdumpCount);
    expect(stats.finished).toBe(true);
    expect(stats.health.fileProgress).toBe(1);
    expect(stats.flowsScored).toBeGreaterThan(0);
    expect(stats.series.length).toBeGreaterThan(100);
    expect(stats.topTalkers.length).toBeGreaterThan(3);
    const { anomalies } = await api<{ anomalies: Anomaly[] }>('/api/anomalies');
    expect(anomalies.some((a) => attackers.has(a.src))).toBe(true);
    const model = await api<{ state: string; version: string }>('/api/model');
    expect(model.state).toBe('trained');
    expect(model.version).toMatch(/^m-/);
  });

  it('prints one readable line per new anomaly', () => {
    const lines = streams.text().stdout.trim().split('\n');
    expect(lines.length).toBe(handle.detector.anomalies().length);
    expect(lines.some((l) => /^\d\d:\d\d:\d\d {2}\w+ +10\.77\.0\.66 → \S+ {2}score \d\.\d\d {2}\d+ flows?/.test(l))).toBe(true);
  });

  it('filters by kind, and the CSV export has a row per JSON anomaly', async () => {
    const all = (await api<{ anomalies: Anomaly[] }>('/api/anomalies')).anomalies;
    const kind = all[0].kind;
    const some = (await api<{ anomalies: Anomaly[] }>(`/api/anomalies?kind=${kind}`)).anomalies;
    expect(some.length).toBeGreaterThan(0);
    expect(some.every((a) => a.kind === kind)).toBe(true);
    const csv = await (await fetch(new URL(`/api/anomalies.csv?kind=${kind}`, handle.url as string))).text();
    expect(csv.trimEnd().split('\r\n').length - 1).toBe(some.length);
    const bad = await fetch(new URL('/api/anomalies?limit=0', handle.url as string));
    expect(bad.status).toBe(400);
  });

  it('exposes the run in Prometheus metrics', async () => {
    const text = await (await fetch(new URL('/metrics', handle.url as string))).text();
    expect(text).toMatch(/netids_anomalies_total\{kind="\w+"\} [1-9]/);
    expect(text).toMatch(/netids_model_trained 1/);
  });

  it('writes every anomaly to --out as JSON lines, the last line of each id being its final state', async () => {
    await handle.close();
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Anomaly);
    const last = new Map(lines.map((a) => [a.id, a]));
    const final = handle.detector.anomalies();
    expect(last.size).toBe(final.length);
    for (const a of final) expect(last.get(a.id)).toEqual(a);
  });

  it('saves the model, and a run with --model scores from the first flow without learning', async () => {
    const saved = JSON.parse(readFileSync(modelFile, 'utf8')) as { format: string; version: string };
    expect(saved.format).toBe('netids-model');
    const s = io();
    const h = await startRun(config({ 'input.pcap': demo, 'model.load': modelFile, 'dashboard.enabled': false }), s.io);
    expect(h.detector.info().state).toBe('trained');
    const o = await h.done;
    await h.close();
    expect(o.scoredBeforeEnd).toBe(true);
    expect(h.url).toBeNull();
    const c = h.detector.counters;
    expect(c.learned).toBe(0);
    expect(c.scored).toBe(c.received - c.excluded - Object.values(c.rejected).reduce((x, y) => x + y, 0));
    expect(h.detector.info().version).toBe(saved.version);
    expect(s.text().stderr).toContain(`using model ${saved.version}`);
  });

  it('says so when the file ends before the learning phase does', async () => {
    const s = io();
    const h = await startRun(config({ 'input.pcap': demo, 'training.baselineSeconds': 100_000, 'dashboard.enabled': false }), s.io);
    const o = await h.done;
    await h.close();
    expect(o.scoredBeforeEnd).toBe(false);
    expect(h.detector.counters.scored).toBe(0);
  });
});
