const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const WHOLE = /^(\d+(\.\d+)?(ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/**
 * Seconds in a duration string as the CRD accepts it (pattern `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`,
 * e.g. "10m", "1h30m", "0s"). Throws on anything else (the API server has validated it already).
 */
export function durationSeconds(text: string): number {
  if (!WHOLE.test(text)) throw new Error(`not a duration: "${text}" (expected e.g. 90s, 10m, 1h30m)`);
  let total = 0;
  for (const [, n, unit] of text.matchAll(PART)) total += Number(n) * UNIT_SECONDS[unit];
  return Math.round(total * 1000) / 1000;
}
