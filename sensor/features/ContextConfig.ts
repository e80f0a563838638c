/** Bounds of the context (per host / per pair) statistics. */
export interface ContextConfig {
  /** Hosts tracked at once (as sender and receiver); the clock algorithm evicts when full. */
  maxHosts: number;
  /** Source→destination pairs tracked at once. */
  maxPairs: number;
  /** Entries of the "recently seen" table behind the distinct counts (power of two). */
  recentKeys: number;
  /**
   * A flow refreshes its distinct-count keys (source→port, source→host, source→host:port) at its
   * first packet and then at most once per this many seconds of its traffic.
   */
  keyRefreshS: number;
}

export const DEFAULT_CONTEXT_CONFIG: Readonly<ContextConfig> = Object.freeze({
  maxHosts: 65_536,
  maxPairs: 131_072,
  recentKeys: 1 << 20,
  keyRefreshS: 0.25,
});

/** Defaults overridden by `partial`; throws a RangeError naming the field for a value out of range. */
export function resolveContextConfig(partial: Partial<ContextConfig> = {}): ContextConfig {
  const c: ContextConfig = { ...DEFAULT_CONTEXT_CONFIG };
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue;
    if (!(k in c)) throw new RangeError(`unknown context setting "${k}"`);
    (c as unknown as Record<string, unknown>)[k] = v;
  }
  for (const k of ['maxHosts', 'maxPairs', 'recentKeys'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 4 || c[k] > 1 << 26) {
      throw new RangeError(`${k} must be an integer in [4, ${1 << 26}], got ${String(c[k])}`);
    }
  }
  if (typeof c.keyRefreshS !== 'number' || !Number.isFinite(c.keyRefreshS) || c.keyRefreshS <= 0) {
    throw new RangeError(`keyRefreshS must be a positive number of seconds, got ${String(c.keyRefreshS)}`);
  }
  return c;
}
