import { ANOMALY_KINDS, type Anomaly, type AnomalyKind } from '../../lib/anomaly.js';

/** A bad query parameter: answered with HTTP 400 and this message. */
export class QueryError extends Error {
  override name = 'QueryError';
}

/** Filters of GET /api/anomalies (and the CSV export). */
export interface AnomalyQuery {
  /** Only anomalies last seen at or after this time (epoch seconds). */
  since: number | null;
  kind: AnomalyKind | null;
  limit: number;
}

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 10_000;
const KNOWN = new Set(['since', 'kind', 'limit']);

/** Validates the query string; throws a {@link QueryError} naming the parameter and what is allowed. */
export function parseAnomalyQuery(params: URLSearchParams): AnomalyQuery {
  for (const key of params.keys()) {
    if (!KNOWN.has(key)) throw new QueryError(`unknown parameter "${key}"; allowed: since, kind, limit`);
  }
  for (const key of KNOWN) {
    if (params.getAll(key).length > 1) throw new QueryError(`parameter "${key}" given more than once`);
  }
  const q: AnomalyQuery = { since: null, kind: null, limit: DEFAULT_LIMIT };
  const since = params.get('since');
  if (since !== null) {
    if (!/^\d+(\.\d+)?$/.test(since) || !Number.isFinite(Number(since))) {
      throw new QueryError(`since must be a time in epoch seconds (e.g. ${Math.floor(Date.now() / 1000)}), got "${since}"`);
    }
    q.since = Number(since);
  }
  const kind = params.get('kind');
  if (kind !== null) {
    if (!(ANOMALY_KINDS as readonly string[]).includes(kind)) {
      throw new QueryError(`kind must be one of ${ANOMALY_KINDS.join(', ')}; got "${kind}"`);
    }
    q.kind = kind as AnomalyKind;
  }
  const limit = params.get('limit');
  if (limit !== null) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_LIMIT) {
      throw new QueryError(`limit must be a whole number from 1 to ${MAX_LIMIT}, got "${limit}"`);
    }
    q.limit = n;
  }
  return q;
}

/** Applies the filters; newest (by last seen) first. */
export function applyAnomalyQuery(all: readonly Anomaly[], q: AnomalyQuery): Anomaly[] {
  return all
    .filter((a) => (q.since === null || a.lastSeen >= q.since) && (q.kind === null || a.kind === q.kind))
    .sort((a, b) => b.lastSeen - a.lastSeen || b.score - a.score)
    .slice(0, q.limit);
}
