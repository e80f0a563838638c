/** Why a live capture could not start or stopped. */
export type LiveCaptureErrorKind =
  | 'tcpdump-missing'
  | 'no-such-interface'
  | 'no-interfaces'
  | 'permission'
  | 'bad-filter'
  | 'capture-failed'
  | 'stream-corrupt';

/** A live capture failure, with the interface concerned and what to do about it in the message. */
export class LiveCaptureError extends Error {
  override readonly name = 'LiveCaptureError';

  constructor(
    readonly kind: LiveCaptureErrorKind,
    /** Interface concerned, '' when none. */
    readonly iface: string,
    message: string,
    /** What tcpdump said, when it said something. */
    readonly detail = '',
  ) {
    super(message);
  }
}
