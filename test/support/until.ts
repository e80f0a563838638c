/**
 * Polls `probe` every `intervalMs` until it returns a truthy value, and returns that value. An
 * error thrown by the probe fails at once; after `timeoutMs` it throws, naming `what` and adding
 * `detail()` (a child process's output, say).
 */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs: number,
  { intervalMs = 100, detail }: { intervalMs?: number; detail?: () => string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${detail ? `; ${detail()}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
