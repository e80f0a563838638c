/**
 * The reconcile contract (level-based, as in controller-runtime): a Request names an object,
 * never the event that caused it. reconcile() reads the current state, makes the world match the
 * desired state and says when to look again. It may be called any number of times for the same
 * key, for any reason, in any order; it must be idempotent. Throwing a TerminalError means
 * retrying will not help (no requeue); any other throw is retried with backoff.
 */
export interface Request {
  namespace: string;
  name: string;
}

export interface Result {
  /** Look at this key again after this many ms even if nothing changes (0 or absent: don't). */
  requeueAfterMs?: number;
}

export interface Reconciler {
  reconcile(request: Request, signal: AbortSignal): Promise<Result>;
}

/** Adapter: a plain function as a Reconciler. */
export function reconcilerFunc(fn: (request: Request, signal: AbortSignal) => Promise<Result>): Reconciler {
  return { reconcile: fn };
}
