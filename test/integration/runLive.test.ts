import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until as pollUntil } from '../support/until.js';
import type { Anomaly } from '../../lib/anomaly.js';
import type { RunStats } from '../../detector/dashboard/DashboardFeed.js';

// `netids run --iface` live, as a user runs it: the real binary captures on the bridge port of a
// victim namespace while a client namespace makes ordinary HTTP requests to it (the baseline),
// then a third namespace port-scans the victim with nmap. The scan must become an anomaly on the
// API, the terminal and the --out file. Needs root (namespaces, capture), tcpdump and nmap.
const root = resolve(import.meta.dirname, '..', '..');
const id = `nr${process.pid % 100000}`;
const ns = { client: `${id}c`, victim: `${id}v`, attacker: `${id}a` };
const bridge = `${id}br`;
const net = `10.${200 + (process.pid % 50)}.${process.pid % 250}`;
const ip = { client: `${net}.11`, victim: `${net}.21`, attacker: `${net}.66` };
const victimPort = `${id}v0`;
const dir = mkdtempSync(join(tmpdir(), 'netids-runlive-'));
const out = join(dir, 'anomalies.jsonl');
const children: ChildProcess[] = [];
let netids: ChildProcess;
let stderr = '';
let stdout = '';
let url = '';

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function inNs(name: string, args: string[]): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', name, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  return child;
}

/** Polls as ../support/until does, with netids' output in the timeout's message. */
function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs: number): Promise<NonNullable<T>> {
  return pollUntil(what, probe, timeoutMs, { detail: () => `netids said:\n${stderr}` });
}

async function api<T>(path: string): Promise<T> {
  return (await (await fetch(new URL(path, url))).json()) as T;
}

function cleanup(): void {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const name of Object.values(ns)) {
    try {
      sh('ip', ['netns', 'del', name]);
    } catch {
      // not created
    }
  }
  try {
    sh('ip', ['link', 'del', bridge]);
  } catch {
    // not created
  }
}

beforeAll(async () => {
  cleanup();
  sh('ip', ['link', 'add', bridge, 'type', 'bridge']);
  sh('ip', ['link', 'set', bridge, 'up']);
  for (const [role, name] of Object.entries(ns) as [keyof typeof ns, string][]) {
    sh('ip', ['netns', 'add', name]);
    const host = `${id}${role[0]}0`;
    sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    sh('ip', ['link', 'set', host, 'master', bridge, 'up']);
    sh('ip', ['-n', name, 'addr', 'add', `${ip[role]}/24`, 'dev', 'eth0']);
    sh('ip', ['-n', name, 'link', 'set', 'eth0', 'up']);
    sh('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  }
  // The victim serves files of a few sizes; the client fetches them at an irregular, human pace.
  const www = join(dir, 'www');
  execFileSync('mkdir', ['-p', www]);
  for (const [name, size] of [['a', 300], ['b', 4000], ['c', 20000], ['d', 90000]] as const) writeFileSync(join(www, name), 'x'.repeat(size));
  inNs(ns.victim, ['python3', '-m', 'http.server', '8000', '--bind', ip.victim, '--directory', www]);
  const clientScript = join(dir, 'client.py');
  writeFileSync(
    clientScript,
    [
      'import random, time, urllib.request',
      'random.seed(7)',
      'while True:',
      '    try:',
      `        urllib.request.urlopen("http://${ip.victim}:8000/" + random.choice("abcd"), timeout=2).read()`,
      '    except Exception:',
      '        pass',
      '    time.sleep(random.uniform(0.05, 0.4))',
    ].join('\n'),
  );
  await until('the web server', () => {
    try {
      execFileSync('ip', ['netns', 'exec', ns.client, 'python3', '-c', `import urllib.request; urllib.request.urlopen("http://${ip.victim}:8000/a", timeout=1)`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  }, 15_000);
  inNs(ns.client, ['python3', clientScript]);

  netids = spawn(
    process.execPath,
    [join(root, 'bin', 'netids.js'), 'run', '--iface', victimPort, '--baseline-seconds', '15', '--baseline-flows', '40', '--port', '0', '--out', out, '--node', 'live-test'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  netids.stdout?.on('data', (d) => (stdout += d));
  netids.stderr?.on('data', (d) => (stderr += d));
  url = await until('the dashboard URL', () => /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stderr)?.[1], 20_000);
}, 60_000);

afterAll(async () => {
  if (netids && netids.exitCode === null) {
    netids.kill('SIGINT');
    await until('netids to exit', () => netids.exitCode !== null, 20_000).catch(() => netids.kill('SIGKILL'));
  }
  cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('netids run --iface (live, network namespaces)', () => {
  it('learns the normal traffic, then reports an nmap scan as an anomaly', async () => {
    const stats = await api<RunStats>('/api/stats');
    expect(stats.mode).toBe('live');
    expect(stats.source).toBe(victimPort);
    await until('the model to be trained on the baseline', async () => (await api<{ state: string }>('/api/model')).state === 'trained', 60_000);
    const before = (await api<{ anomalies: Anomaly[] }>('/api/anomalies')).anomalies.filter((a) => a.src === ip.attacker);
    expect(before).toEqual([]);

    execFileSync('ip', ['netns', 'exec', ns.attacker, 'nmap', '-sS', '-n', '-Pn', '-T4', '-p', '1-1500', ip.victim], { stdio: 'ignore', timeout: 60_000 });

    const scan = await until(
      'an anomaly from the attacker',
      async () => (await api<{ anomalies: Anomaly[] }>('/api/anomalies')).anomalies.find((a) => a.src === ip.attacker),
      30_000,
    );
    expect(scan.dst).toMatch(new RegExp(`^(${ip.victim.replace(/\./g, '\\.')}|\\*)$`));
    expect(scan.node).toBe('live-test');
    expect(scan.reasons.length).toBeGreaterThan(0);
    const health = (await api<RunStats>('/api/stats')).health;
    expect(health.packets).toBeGreaterThan(1000);
    expect(health.drops).toBe(0);
    expect(stdout).toContain(`${ip.attacker} → `);
  }, 150_000);

  it('stops on Ctrl-C with every anomaly in the --out file', async () => {
    netids.kill('SIGINT');
    await until('netids to exit', () => netids.exitCode !== null, 30_000);
    expect(netids.exitCode).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Anomaly);
    expect(lines.some((a) => a.src === ip.attacker)).toBe(true);
  }, 40_000);
});
