import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers for the gRPC integration tests: real `netids sensor` / `netids detector` processes. */
export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const mainJs = resolve(projectRoot, 'dist', 'cli', 'main.js');

export interface Proc {
  child: ChildProcess;
  /** Parsed JSON log lines (stderr) so far. */
  logs: Record<string, unknown>[];
  exited: Promise<number | null>;
  /** Waits until a log line satisfies `pred`; rejects after `ms`. */
  waitLog(pred: (l: Record<string, unknown>) => boolean, ms?: number): Promise<Record<string, unknown>>;
}

export function netids(args: string[], name: string): Proc {
  const child = spawn(process.execPath, [mainJs, ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NETIDS_LOG_LEVEL: 'info' } });
  const logs: Record<string, unknown>[] = [];
  let waiters: (() => void)[] = [];
  let buf = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ raw: line, proc: name });
      }
    }
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const waitLog = async (pred: (l: Record<string, unknown>) => boolean, ms = 30_000): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = logs.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline || child.exitCode !== null) {
        throw new Error(`${name}: no matching log line within ${ms} ms (exit ${child.exitCode}); last lines:\n${logs.slice(-8).map((l) => JSON.stringify(l)).join('\n')}`);
      }
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 100);
      });
    }
  };
  return { child, logs, exited, waitLog };
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

export async function getText(url: string): Promise<{ status: number; text: string }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text() };
}

/** Polls `probe` until it returns a truthy value; throws after `ms`. */
export async function until<T>(probe: () => Promise<T | undefined | null | false>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The value of one sample of a metric in Prometheus text, e.g. metric(text, 'netids_vectors_rejected_total', {reason: 'malformed'}). */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? ([-+0-9.eE]+|NaN)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const l = m[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`))) {
      sum += Number(m[3]);
      found = true;
    }
  }
  return found ? sum : 0;
}

export function kill(p: Proc, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
}
