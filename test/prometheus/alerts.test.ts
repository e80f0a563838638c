// The alerting rules the chart ships (charts/netids/files/alerts.yaml), checked and unit-tested
// with the real promtool (Debian package `prometheus`): `promtool check rules` and
// `promtool test rules` on test/prometheus/*.test.yaml, which hold for every alert a case that
// fires and a case that must not.
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { registry } from '../../lib/metrics.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const projectRoot = path.resolve(here, '..', '..');
const alertsFile = path.join(projectRoot, 'charts', 'netids', 'files', 'alerts.yaml');
const testFiles = readdirSync(here)
  .filter((f) => f.endsWith('.test.yaml'))
  .map((f) => path.join(here, f));

interface Result {
  code: number;
  output: string;
}

function promtool(args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === 'ENOENT') reject(new Error('promtool not found: install the Debian package `prometheus`'));
      else resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, output: stdout + stderr });
    });
  });
}

interface RulesFile {
  groups: { name: string; rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }[];
}
interface UnitTests {
  rule_files: string[];
  tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const rules = parse(readFileSync(alertsFile, 'utf8')) as RulesFile;
const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert);

describe('alerting rules', () => {
  const tmp: string[] = [];
  afterAll(() => {
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });

  it('promtool check rules accepts the file', async () => {
    const r = await promtool(['check', 'rules', alertsFile]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain(`SUCCESS: ${alerts.length} rules found`);
  });

  it('promtool test rules passes every unit test', async () => {
    expect(testFiles.length).toBeGreaterThanOrEqual(3);
    const r = await promtool(['test', 'rules', ...testFiles]);
    expect(r.code, r.output).toBe(0);
    expect(r.output.match(/SUCCESS/g)?.length).toBe(testFiles.length);
  });

  it('every alert has a case that fires and a case where it must not', () => {
    const cases = testFiles.flatMap((f) => (parse(readFileSync(f, 'utf8')) as UnitTests).tests.flatMap((t) => t.alert_rule_test ?? []));
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${a.alert} never fires in a test`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a.alert} has no must-not-fire case`).toBe(true);
    }
  });

  it('every alert has a severity, a summary and a description', () => {
    for (const a of alerts as { alert: string; labels?: Record<string, string>; annotations?: Record<string, string> }[]) {
      expect(['warning', 'critical'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
    }
  });

  it('uses only metrics that lib/metrics.ts defines (plus Prometheus `up`)', async () => {
    const defined = new Set<string>(['up']);
    for (const m of (await registry.getMetricsAsJSON()) as unknown as { name: string; type: string }[]) {
      defined.add(m.name);
      if (m.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) defined.add(m.name + s);
    }
    const used = new Set(alerts.flatMap((a) => a.expr.match(/\b(?:netids_[a-z0-9_]+|up)\b(?=\s*[{[)\s]|$)/g) ?? []));
    expect(used.size).toBeGreaterThan(10);
    for (const name of used) expect(defined, `${name} is not defined in lib/metrics.ts`).toContain(name);
  });

  it('the unit tests catch a broken rule (they are not vacuous)', async () => {
    // Drop the operand that catches a counter's first anomalous flow: the HostSweep case must now fail.
    const dir = mkdtempSync(path.join(tmpdir(), 'netids-rules-'));
    tmp.push(dir);
    const broken = readFileSync(alertsFile, 'utf8').replace(/\s+or\s+\(netids_anomalous_flows_total unless netids_anomalous_flows_total offset 10m\)/, '');
    expect(broken).not.toBe(readFileSync(alertsFile, 'utf8'));
    mkdirSync(path.join(dir, 'charts', 'netids', 'files'), { recursive: true });
    mkdirSync(path.join(dir, 'test', 'prometheus'), { recursive: true });
    writeFileSync(path.join(dir, 'charts', 'netids', 'files', 'alerts.yaml'), broken);
    const testCopy = path.join(dir, 'test', 'prometheus', 'anomalies.test.yaml');
    copyFileSync(path.join(here, 'anomalies.test.yaml'), testCopy);
    const r = await promtool(['test', 'rules', testCopy]);
    expect(r.code).toBe(1);
    expect(r.output).toMatch(/NetIDSAnomalyDetected/);
    expect(r.output).toMatch(/HostSweep/);
  });
});
