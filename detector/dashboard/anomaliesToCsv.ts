import type { Anomaly } from '../../lib/anomaly.js';

export const CSV_COLUMNS = [
  'id',
  'first_seen',
  'last_seen',
  'first_seen_utc',
  'last_seen_utc',
  'count',
  'kind',
  'score',
  'src',
  'src_pod',
  'src_port',
  'dst',
  'dst_pod',
  'dst_port',
  'protocol',
  'node',
  'models',
  'reasons',
] as const;

/**
 * RFC 4180 CSV of anomalies: a header line, CRLF line ends, fields with a comma, quote or line
 * break quoted (quotes doubled). Text fields that a spreadsheet would run as a formula (starting
 * with = + - @ or a tab) get a leading apostrophe.
 */
export function anomaliesToCsv(anomalies: readonly Anomaly[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const a of anomalies) {
    const row: Array<string | number> = [
      text(a.id),
      a.firstSeen,
      a.lastSeen,
      iso(a.firstSeen),
      iso(a.lastSeen),
      a.count,
      text(a.kind),
      round(a.score),
      text(a.src),
      text(a.srcPod ?? ''),
      a.srcPort,
      text(a.dst),
      text(a.dstPod ?? ''),
      a.dstPort,
      text(a.protocol),
      text(a.node),
      text(a.models.join(' ')),
      text(a.reasons.map((r) => r.text).join('; ')),
    ];
    lines.push(row.map((f) => (typeof f === 'number' ? String(f) : quote(f))).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

function quote(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function text(s: string): string {
  return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

function iso(epochS: number): string {
  return Number.isFinite(epochS) ? new Date(epochS * 1000).toISOString() : '';
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
