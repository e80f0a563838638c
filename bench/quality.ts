// Detection quality on a labeled capture, netids against scikit-learn, in one run:
//   node dist/bench/quality.js PCAP LABELS [BASELINE_SECONDS...]
// For each baseline length: netids's own eval (per model and ensemble, per attack, false alerts
// per 10 minutes); then, with the same baseline period, the seed project's per-packet approach and
// netids's flow features through scikit-learn (bench/quality_sklearn.py, run with $PYTHON or python3).
// Prints one JSON line last.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AttackLabels } from '../detector/eval/AttackLabels.js';
import { evaluate } from '../detector/eval/evaluate.js';
import { readFlows } from '../detector/offline/readFlows.js';
import { DEFAULT_DETECTOR_OPTIONS } from '../detector/Detector.js';
import { trainAndScore } from '../detector/offline/trainAndScore.js';
import { FEATURE_NAMES } from '../sensor/features/schema.js';

const [pcap, labelsFile, ...baselineArgs] = process.argv.slice(2);
if (!pcap || !labelsFile) {
  process.stderr.write('usage: node dist/bench/quality.js PCAP LABELS [BASELINE_SECONDS...]\n');
  process.exit(2);
}
const baselines = baselineArgs.length > 0 ? baselineArgs.map(Number) : [100];
const labels = AttackLabels.load(labelsFile);
const flows = await readFlows(pcap);
const firstAttack = Math.min(...labels.windows.map((w) => w.start));
const start = Math.min(...flows.records.map((r) => r.firstSeen));
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), 'netids-quality-'));
const csv = path.join(dir, 'flows.csv');
writeFileSync(
  csv,
  ['malicious,first_seen,last_seen,' + FEATURE_NAMES.join(','), ...flows.records.map((r) => `${labels.match(r) ? 1 : 0},${r.firstSeen},${r.lastSeen},${Array.from(r.features).join(',')}`)].join('\n'),
);

const results = [];
for (const baseline of baselines) {
  if (start + baseline >= firstAttack) {
    process.stderr.write(`baseline ${baseline} s reaches past the first attack; skipped\n`);
    continue;
  }
  const run = await trainAndScore(flows.records, { kind: 'baseline' }, { training: { durationS: baseline, minSamples: 200, maxSamples: 50_000, retrainIntervalS: 0, maturingS: DEFAULT_DETECTOR_OPTIONS.training.maturingS } });
  const report = evaluate(run, labels);
  const trainUntil = run.trained.reduce((t, r) => Math.max(t, r.lastSeen), 0);
  const sklearn = JSON.parse(
    execFileSync(process.env.PYTHON ?? 'python3', [path.join(here, '..', '..', 'bench', 'quality_sklearn.py'), pcap, labelsFile, csv, String(trainUntil)], { encoding: 'utf8', maxBuffer: 1 << 26 }),
  ) as unknown;
  const m = report.models;
  const summary = {
    baselineS: baseline,
    trainedFlows: report.flows.trained,
    scoredFlows: report.flows.scored,
    netids: {
      ensemble: m.ensemble && { rocAuc: m.ensemble.rocAuc, prAuc: m.ensemble.prAuc, fpr: m.ensemble.atThreshold.fpr, recall: m.ensemble.atThreshold.recall },
      iforest: m.iforest && { rocAuc: m.iforest.rocAuc, prAuc: m.iforest.prAuc, fpr: m.iforest.atThreshold.fpr, recall: m.iforest.atThreshold.recall },
      ocsvm: m.ocsvm && { rocAuc: m.ocsvm.rocAuc, prAuc: m.ocsvm.prAuc, fpr: m.ocsvm.atThreshold.fpr, recall: m.ocsvm.atThreshold.recall },
      attacks: report.attacks.map((a) => ({ type: a.type, detected: a.detected, firstAlertS: a.timeToFirstAlertS, reportedAs: a.kindsReported })),
      attacksDetected: report.attacks.filter((a) => a.detected).length,
      attacks_: report.attacks.length,
      falseAlerts: report.falseAlerts,
      minutes: Number(report.benignMinutes.toFixed(2)),
      falseAlertsPer10Min: Number((report.falseAlertsPerMinute * 10).toFixed(3)),
    },
    sklearn,
  };
  results.push(summary);
  process.stderr.write(JSON.stringify(summary) + '\n');
}
process.stdout.write(JSON.stringify({ pcap: path.basename(pcap), results }) + '\n');
