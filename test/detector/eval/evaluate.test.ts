// Detection quality on the committed labeled capture (real nmap, hping3, dig and hydra traffic),
// as a live detector would see it: learn from the first 100 s, then score.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { AttackLabels } from '../../../detector/eval/AttackLabels.js';
import { evaluate, type EvalReport } from '../../../detector/eval/evaluate.js';
import { readFlows } from '../../../detector/offline/readFlows.js';
import { trainAndScore, type OfflineRun } from '../../../detector/offline/trainAndScore.js';
import { makeFlow } from '../flowRecordFactory.js';

const dir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'scenarios');
const labels = AttackLabels.load(path.join(dir, 'full.labels.csv'));

describe('evaluate on the labeled fixture', () => {
  let run: OfflineRun;
  let report: EvalReport;
  beforeAll(async () => {
    const flows = await readFlows(path.join(dir, 'full.pcap'));
    run = await trainAndScore(flows.records, { kind: 'baseline' });
    report = evaluate(run, labels);
  });

  it('alerts on every attack as its kind within 10 s, with at most one false alert', () => {
    for (const a of report.attacks) {
      expect(a.detected, a.type).toBe(true);
      expect(a.kindsReported, a.type).toContain(a.type);
      expect(a.timeToFirstAlertS, a.type).toBeLessThanOrEqual(10);
    }
    expect(report.falseAlerts).toBeLessThanOrEqual(1);
    // Aggregated: eight attacks (thousands of flows) are a handful of anomalies, not one per host or port.
    expect(report.anomalies).toBeLessThanOrEqual(16);
    expect(report.models.ensemble?.prAuc).toBeGreaterThan(0.9);
  });

  it('counts an attack as detected only when an anomaly was raised, not when a flow merely scored high', () => {
    const w = labels.windows[0];
    const flow = makeFlow({ src: w.attacker, dst: w.victim, firstSeen: w.start, lastSeen: w.start + 0.1 });
    const r = evaluate({ ...run, scored: [{ record: flow, node: 'n', score: 1, anomalous: true, alerted: false, models: ['ocsvm'] }] }, labels);
    expect(r.attacks[0]).toMatchObject({ flows: 1, flaggedFlows: 0, detected: false, timeToFirstAlertS: null });
  });
});
