import type { AnomalyKind } from '../../lib/anomaly.js';
import { FEATURE_COUNT } from '../../sensor/features/schema.js';
import type { OfflineRun } from '../offline/trainAndScore.js';
import type { AttackLabels } from './AttackLabels.js';
import { averagePrecision, confusion, rocAuc, type Confusion } from './rankingMetrics.js';

export interface ModelQuality {
  rocAuc: number;
  prAuc: number;
  /** At the alert threshold (the ensemble's) or the model's own flag level (1 − target FPR). */
  atThreshold: Confusion;
}

export interface AttackResult {
  type: AnomalyKind;
  attacker: string;
  victim: string;
  start: number;
  end: number;
  flows: number;
  /** Flows that became part of an anomaly (an anomalous flow the detector did not raise is not one). */
  flaggedFlows: number;
  /** Some flow of the attack raised (or joined) an anomaly. */
  detected: boolean;
  /** Seconds from the attack's start to the first alert on it (stream time when that flow was scored). */
  timeToFirstAlertS: number | null;
  /** Kinds of the anomalies raised on this attack. */
  kindsReported: AnomalyKind[];
}

export interface EvalReport {
  flows: { trained: number; scored: number; malicious: number; benign: number };
  models: Record<'iforest' | 'ocsvm' | 'ensemble', ModelQuality | null>;
  attacks: AttackResult[];
  /** Anomalies (after aggregation) that involve no attacker. */
  falseAlerts: number;
  /** Minutes of scored traffic (first to last scored flow). */
  benignMinutes: number;
  falseAlertsPerMinute: number;
  anomalies: number;
  threshold: number;
}

/**
 * Quality of an offline run against labels: per flow (ranking and at the threshold) for each
 * model and the ensemble; per attack (detected, time to first alert); and false alerts per minute.
 */
export function evaluate(run: OfflineRun, labels: AttackLabels): EvalReport {
  const { scored, detector } = run;
  const model = detector.currentModel();
  if (!model) throw new Error('evaluate: the detector has no model');
  const n = scored.length;
  const truth = scored.map((s) => labels.match(s.record) !== undefined);
  const rows = new Float64Array(n * FEATURE_COUNT);
  scored.forEach((s, i) => rows.set(s.record.features, i * FEATURE_COUNT));
  const scores = model.ensemble.score(rows, n);
  const flagLevel = 1 - model.ensemble.params.targetFpr;
  const threshold = detector.info().threshold;
  const quality = (s: Float64Array | null, level: number): ModelQuality | null =>
    s ? { rocAuc: rocAuc(s, truth), prAuc: averagePrecision(s, truth), atThreshold: confusion(Array.from(s, (v) => v >= level), truth) } : null;

  const attacks: AttackResult[] = labels.windows.map((w) => ({
    type: w.type,
    attacker: w.attacker,
    victim: w.victim,
    start: w.start,
    end: w.end,
    flows: 0,
    flaggedFlows: 0,
    detected: false,
    timeToFirstAlertS: null,
    kindsReported: [],
  }));
  // Flows are scored in the order the sensor emits them; the alert is raised at the stream's time
  // then (the latest packet time seen), which for a flow ended by a timeout is after its last packet.
  let streamTime = -Infinity;
  scored.forEach((s) => {
    streamTime = Math.max(streamTime, s.record.lastSeen);
    const w = labels.match(s.record);
    if (!w) return;
    const a = attacks[labels.windows.indexOf(w)];
    a.flows++;
    if (!s.alerted) return;
    a.flaggedFlows++;
    a.detected = true;
    const t = Math.max(0, streamTime - w.start);
    if (a.timeToFirstAlertS === null || t < a.timeToFirstAlertS) a.timeToFirstAlertS = t;
  });
  const anomalies = detector.anomalies();
  let falseAlerts = 0;
  for (const an of anomalies) {
    const involved = labels.windows.filter(
      (w) => (an.src === w.attacker || an.dst === w.attacker) && an.lastSeen >= w.start && an.firstSeen <= w.end,
    );
    if (!labels.involvesAttacker(an)) falseAlerts++;
    for (const w of involved) {
      const a = attacks[labels.windows.indexOf(w)];
      if (!a.kindsReported.includes(an.kind)) a.kindsReported.push(an.kind);
    }
  }
  const times = scored.map((s) => s.record.lastSeen);
  const minutes = n > 0 ? (Math.max(...times) - Math.min(...times)) / 60 : 0;
  const malicious = truth.filter(Boolean).length;
  return {
    flows: { trained: run.trained.length, scored: n, malicious, benign: n - malicious },
    models: {
      iforest: quality(scores.quantiles.iforest, flagLevel),
      ocsvm: quality(scores.quantiles.ocsvm, flagLevel),
      ensemble: quality(scores.combined, threshold),
    },
    attacks,
    falseAlerts,
    benignMinutes: minutes,
    falseAlertsPerMinute: minutes > 0 ? falseAlerts / minutes : 0,
    anomalies: anomalies.length,
    threshold,
  };
}

/** The report as a table for people. */
export function formatReport(r: EvalReport): string {
  const pct = (v: number) => (Number.isNaN(v) ? '  n/a' : `${(v * 100).toFixed(1).padStart(5)}%`);
  const num = (v: number) => (Number.isNaN(v) ? ' n/a ' : v.toFixed(3));
  const lines = [
    `flows: ${r.flows.scored} scored (${r.flows.malicious} attack, ${r.flows.benign} benign), ${r.flows.trained} trained on; threshold ${r.threshold.toFixed(4)}`,
    '',
    'model      ROC-AUC  PR-AUC  precision  recall    FPR     FNR',
  ];
  for (const [name, q] of Object.entries(r.models)) {
    if (!q) continue;
    const c = q.atThreshold;
    lines.push(`${name.padEnd(9)}  ${num(q.rocAuc)}    ${num(q.prAuc)}   ${pct(c.precision)}   ${pct(c.recall)}  ${pct(c.fpr)}  ${pct(c.fnr)}`);
  }
  lines.push('', 'attack        attacker → victim                 flows  alerted  detected  first alert  reported as');
  for (const a of r.attacks) {
    lines.push(
      `${a.type.padEnd(12)}  ${`${a.attacker} → ${a.victim}`.padEnd(32)}  ${String(a.flows).padStart(5)}  ${String(a.flaggedFlows).padStart(7)}  ${(a.detected ? 'yes' : 'NO').padEnd(8)}  ${
        a.timeToFirstAlertS === null ? '       -' : `${a.timeToFirstAlertS.toFixed(1).padStart(7)}s`
      }     ${a.kindsReported.join(', ') || '-'}`,
    );
  }
  lines.push(
    '',
    `anomalies: ${r.anomalies}; false alerts: ${r.falseAlerts} in ${r.benignMinutes.toFixed(1)} min of traffic (${(r.falseAlertsPerMinute * 10).toFixed(2)} per 10 min)`,
  );
  return lines.join('\n');
}
