import type { Logger } from '../../lib/logger.js';
import { LiveCapture } from '../../sensor/capture/LiveCapture.js';
import type { LiveCaptureError } from '../../sensor/capture/LiveCaptureError.js';
import type { PacketSink } from '../../sensor/capture/PacketSink.js';

/** Live capture on one or more interfaces, as `netids run --iface` uses it. */
export interface LiveInput {
  /** Packets lost before decode (kernel and interface drops), as far as the capture knows. */
  drops(): number;
  /**
   * Resolves when `signal` aborts (the capture is then stopped and what was in flight delivered);
   * rejects when every interface's capture has failed.
   */
  until(signal: AbortSignal): Promise<void>;
}

/**
 * Starts a {@link LiveCapture} on `interfaces` into `sink`; rejects with its LiveCaptureError
 * (which says what to fix: a missing interface, missing privileges) when it cannot start. An
 * interface that fails later is logged; the run goes on while any interface still captures.
 */
export async function startLiveInput(interfaces: string[], sink: PacketSink, log: Logger): Promise<LiveInput> {
  let failure: LiveCaptureError | null = null;
  let wake: (() => void) | null = null;
  const capture: LiveCapture = new LiveCapture(sink, {
    interfaces,
    onError: (err) => {
      log.error({ err, iface: err.iface }, 'capture failed on an interface');
      if (capture.counters().interfaces.every((i) => !i.running)) {
        failure = err;
        wake?.();
      }
    },
  });
  await capture.start();
  return {
    drops: () => {
      const c = capture.counters();
      return c.kernelDrops + c.ifDrops;
    },
    until: (signal) =>
      new Promise<void>((resolve, reject) => {
        let done = false;
        const finish = (): void => {
          if (done) return;
          done = true;
          capture.stop().then(
            () => (failure ? reject(failure) : resolve()),
            (err: unknown) => reject(err as Error),
          );
        };
        if (signal.aborted || failure) return finish();
        signal.addEventListener('abort', finish, { once: true });
        wake = finish;
      }),
  };
}
