/**
 * An error that retrying cannot fix (a spec only an edit can correct). The controller records it
 * in status and as an Event and does not requeue; the next change to the resource retries.
 */
export class TerminalError extends Error {
  override name = 'TerminalError';
}
