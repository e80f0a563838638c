import { createHash } from 'node:crypto';
import type { AnomalyKind } from '../../lib/anomaly.js';

/**
 * The Anomaly resource name for an anomaly id: stable (the same id always gives the same name,
 * in every detector replica), DNS-safe and short: `<kind>-<16 hex of sha256(id)>`.
 */
export function anomalyResourceName(kind: AnomalyKind | string, id: string): string {
  const k = kind.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 40) || 'anomaly';
  return `${k}-${createHash('sha256').update(id).digest('hex').slice(0, 16)}`;
}
