import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

// `netids run` as a user types it (the built binary): bad usage is exit 2 with a message and the
// usage; input that cannot be read says why.
const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'bin', 'netids.js');

function netids(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
});

describe('netids run (binary)', () => {
  it('prints its usage with --help', () => {
    const r = netids('run', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('netids run --pcap FILE [--realtime | --speed N]');
    expect(r.stdout).toContain('default 127.0.0.1');
  });

  it.each([
    [[], /say what to watch: --iface IF \(live\) or --pcap FILE/],
    [['--pcap', 'no-such-file.pcap'], /no such capture file: no-such-file\.pcap/],
    [['--pcap', 'x', '--speed', 'fast'], /--speed takes a number/],
    [['--pcap', 'x', '--nope'], /nope/],
    [['--pcap', 'x', '--port', '99999'], /dashboard\.port/],
  ])('exits 2 with a message for %j', (args, message) => {
    const r = netids('run', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('explains a model file it cannot use', () => {
    const r = netids('run', '--pcap', join(root, 'test', 'fixtures', 'demo', 'demo.pcap'), '--model', join(root, 'package.json'), '--no-dashboard');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a netids model/);
  });

  it('says what to fix when it cannot capture', () => {
    const r = netids('run', '--iface', 'nosuchif0', '--no-dashboard');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/netids run: cannot capture: .*nosuchif0/);
  });

  it('reports a damaged file after scoring what was read, exit 1', () => {
    const r = netids('run', '--pcap', join(root, 'package.json'), '--no-dashboard', '--exit');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/input error after 0 packets: pcap format error/);
  });
});
