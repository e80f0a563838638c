import type { Anomaly } from '../../lib/anomaly.js';

/** One readable terminal line for an anomaly: time, kind, who → whom, score, flows, the main reason. */
export function formatAnomalyLine(a: Anomaly, color = false): string {
  const d = new Date(a.lastSeen * 1000);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const src = a.srcPod ? `${a.srcPod} (${a.src})` : a.src;
  const dstHost = a.dst === '*' ? 'many hosts' : a.dstPod ? `${a.dstPod} (${hostPort(a.dst, a.dstPort)})` : hostPort(a.dst, a.dstPort);
  const reason = a.reasons[0]?.text ?? '';
  const kind = a.kind.padEnd(12);
  const parts = [
    time,
    color ? `\x1b[1;31m${kind}\x1b[0m` : kind,
    `${src} → ${dstHost}`,
    `score ${a.score.toFixed(2)}`,
    `${a.count} flow${a.count === 1 ? '' : 's'}`,
  ];
  if (reason) parts.push(color ? `\x1b[2m${reason}\x1b[0m` : reason);
  return parts.join('  ');
}

function hostPort(host: string, port: number): string {
  if (!port) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
