import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The committed labeled captures written by test/scenarios/generate.sh: their labels must
// be well formed and must cover every packet from or to the attacker.

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const verifier = path.join(projectRoot, 'test', 'scenarios', 'verify_labels.py');
const header = 'start_epoch,end_epoch,attacker_ip,victim_ip_or_*,attack_type';
const attackTypes = ['PortScan', 'HostSweep', 'SynFlood', 'UdpFlood', 'Exfiltration', 'DnsTunnel', 'BruteForce'];

interface LabelRow {
  start: number;
  end: number;
  attacker: string;
  victim: string;
  type: string;
}

function readLabels(file: string): { header: string; rows: LabelRow[] } {
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const rows = lines.slice(1).map((line) => {
    const [start, end, attacker, victim, type] = line.split(',');
    return { start: Number(start), end: Number(end), attacker, victim, type };
  });
  return { header: lines[0], rows };
}

function verify(pcap: string, labels: string): { status: number | null; summary: Record<string, unknown> } {
  const run = spawnSync('python3', [verifier, pcap, labels], { encoding: 'utf8' });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  return { status: run.status, summary: last.startsWith('{') ? (JSON.parse(last) as Record<string, unknown>) : {} };
}

const fixtures = [
  { name: 'demo', dir: 'demo', maxBytes: 3 * 1024 * 1024, mustHave: ['PortScan', 'SynFlood'] },
  { name: 'full', dir: 'scenarios', maxBytes: 5.5 * 1024 * 1024, mustHave: attackTypes },
];

const scratch = mkdtempSync(path.join(tmpdir(), 'netids-scenarios-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe.each(fixtures)('fixture $name', ({ name, dir, maxBytes, mustHave }) => {
  const base = path.join(projectRoot, 'test', 'fixtures', dir, name);
  const pcap = `${base}.pcap`;
  const labelsFile = `${base}.labels.csv`;

  it('is small enough to commit', () => {
    expect(statSync(pcap).size).toBeLessThanOrEqual(maxBytes);
  });

  it('has well-formed labels in time order with known attack types', () => {
    const { header: h, rows } = readLabels(labelsFile);
    expect(h).toBe(header);
    expect(rows.map((r) => r.type)).toEqual(expect.arrayContaining(mustHave));
    for (const [i, r] of rows.entries()) {
      expect(attackTypes).toContain(r.type);
      expect(r.end).toBeGreaterThan(r.start);
      expect(r.attacker).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(r.victim).toMatch(/^(\*|\d+\.\d+\.\d+\.\d+)$/);
      if (i > 0) expect(r.start).toBeGreaterThan(rows[i - 1].end);
    }
  });

  it('labels every attacker packet and nothing outside the windows', () => {
    const { status, summary } = verify(pcap, labelsFile);
    expect(status).toBe(0);
    expect(summary.ok).toBe(true);
    expect(summary.attackerOutside).toBe(0);
    expect(summary.attackerInside as number).toBeGreaterThan(1000);
  });

  it('fails verification when the windows are moved off the attacks', () => {
    const { rows } = readLabels(labelsFile);
    const shifted = path.join(scratch, `${name}.shifted.csv`);
    const moved = rows.map((r) => [r.start + 5000, r.end + 5000, r.attacker, r.victim, r.type].join(','));
    writeFileSync(shifted, [header, ...moved].join('\n') + '\n');
    const { status, summary } = verify(pcap, shifted);
    expect(status).toBe(1);
    expect(summary.ok).toBe(false);
    expect(summary.attackerInside).toBe(0);
  });
});
