import { readFileSync } from 'node:fs';
import { ANOMALY_KINDS, type AnomalyKind } from '../../lib/anomaly.js';

/** One labeled attack window: traffic from or to the attacker within [start, end] is malicious. */
export interface AttackWindow {
  start: number;
  end: number;
  attacker: string;
  /** Victim address, or '*' for any. */
  victim: string;
  type: AnomalyKind;
}

/**
 * Labels of a capture: CSV `start_epoch,end_epoch,attacker_ip,victim_ip_or_*,attack_type`, with a
 * header line. A malformed line is an error that names the line.
 */
export class AttackLabels {
  constructor(readonly windows: AttackWindow[]) {}

  static parse(text: string, source = 'labels'): AttackLabels {
    const windows: AttackWindow[] = [];
    const lines = text.split(/\r?\n/);
    lines.forEach((line, i) => {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#') || (i === 0 && /^start/i.test(trimmed))) return;
      const cols = trimmed.split(',').map((c) => c.trim());
      const where = `${source}:${i + 1}`;
      if (cols.length !== 5) throw new Error(`${where}: expected 5 columns (start_epoch,end_epoch,attacker_ip,victim_ip_or_*,attack_type), got ${cols.length}`);
      const [start, end] = [Number(cols[0]), Number(cols[1])];
      if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) throw new Error(`${where}: start and end must be epoch seconds with start ≤ end`);
      const type = cols[4] as AnomalyKind;
      if (!ANOMALY_KINDS.includes(type)) throw new Error(`${where}: attack_type "${cols[4]}" is not one of ${ANOMALY_KINDS.join(', ')}`);
      windows.push({ start, end, attacker: cols[2], victim: cols[3], type });
    });
    return new AttackLabels(windows);
  }

  static load(file: string): AttackLabels {
    return AttackLabels.parse(readFileSync(file, 'utf8'), file);
  }

  /** The attack a flow belongs to: it involves the attacker (and the victim, unless '*') and overlaps the window. */
  match(flow: { src: string; dst: string; firstSeen: number; lastSeen: number }): AttackWindow | undefined {
    for (const w of this.windows) {
      if (flow.lastSeen < w.start || flow.firstSeen > w.end) continue;
      const peer = flow.src === w.attacker ? flow.dst : flow.dst === w.attacker ? flow.src : undefined;
      if (peer === undefined) continue;
      if (w.victim === '*' || peer === w.victim) return w;
    }
    return undefined;
  }

  /** Traffic involving any attacker address at any time (excluded from "benign" when counting false alerts). */
  involvesAttacker(flow: { src: string; dst: string }): boolean {
    return this.windows.some((w) => flow.src === w.attacker || flow.dst === w.attacker);
  }
}
