/**
 * Sum of every sample of metric `name` in a Prometheus text exposition whose labels include all
 * of `labels` (exact name: `foo` does not match `foo_total`); undefined when there is none.
 */
export function promSum(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(l[1], l[2]);
    if (!Object.entries(labels).every(([k, v]) => have.get(k) === v)) continue;
    const v = Number(m[4]);
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}
