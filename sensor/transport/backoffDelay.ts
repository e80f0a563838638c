/**
 * Exponential backoff with full jitter: a random delay in [0, min(maxMs, minMs · 2^attempt)],
 * never below minMs / 2 so a flapping endpoint is not hammered. `attempt` counts from 0.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return Math.max(minMs / 2, Math.round(random() * ceiling));
}
