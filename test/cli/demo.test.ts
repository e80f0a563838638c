import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../lib/anomaly.js';

// `netids demo` as a new user meets it (the built binary), played at full speed with --exit.
const root = resolve(import.meta.dirname, '..', '..');
const cli = join(root, 'bin', 'netids.js');
const dir = mkdtempSync(join(tmpdir(), 'netids-demo-'));
const labels = readFileSync(join(root, 'test', 'fixtures', 'demo', 'demo.labels.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('netids demo (binary)', () => {
  it('plays the bundled capture, prints the dashboard URL and the attacks as anomalies', () => {
    const out = join(dir, 'demo.jsonl');
    // Run from another directory: the capture is found from the package, not the working directory.
    const r = spawnSync(process.execPath, [cli, 'demo', '--fast', '--exit', '--port', '0', '--out', out], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/netids demo — open http:\/\/127\.0\.0\.1:\d+\//);
    expect(r.stderr).toMatch(/model m-\w+ trained on \d+ flows/);
    const attacker = labels[0][2];
    const anomalies = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Anomaly);
    expect(anomalies.some((a) => a.src === attacker)).toBe(true);
    expect(r.stdout).toContain(`${attacker} → `);
  });

  it('rejects a bad flag with its usage', () => {
    const r = spawnSync(process.execPath, [cli, 'demo', '--speed', '0'], { cwd: dir, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--speed takes a positive number');
    expect(r.stderr).toContain('Usage: netids demo');
  });
});
