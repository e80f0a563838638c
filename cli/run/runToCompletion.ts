import type { ModelInfo } from '../../detector/Detector.js';
import type { RunConfig } from './RunConfig.js';
import { type RunHandle, type RunIo, startRun } from './startRun.js';

export interface RunToCompletionHooks {
  /** Called once the run has started (the dashboard is up); when given, it announces the URL. */
  onStart?: (handle: RunHandle) => void;
  onModel?: (info: ModelInfo, handle: RunHandle) => void;
}

/**
 * `netids run` from start to exit code: starts the run, prints the dashboard URL, handles Ctrl-C
 * (first: stop the input and finish cleanly; second: quit at once), and after a file ends keeps
 * the dashboard up until Ctrl-C unless --exit or --no-dashboard.
 */
export async function runToCompletion(config: RunConfig, io: RunIo, hooks: RunToCompletionHooks = {}): Promise<number> {
  let handle: RunHandle | null = null;
  const handleRef = (): RunHandle => handle as RunHandle;
  handle = await startRun(config, io, { onModel: (info) => hooks.onModel?.(info, handleRef()) });
  const h = handle;
  const { reporter } = h;
  if (h.url && !hooks.onStart) reporter.note(`dashboard: ${h.url}`);
  if (config.dashboard.enabled && !['127.0.0.1', 'localhost', '::1'].includes(config.dashboard.bind)) {
    reporter.note(`the dashboard is reachable from other machines (--bind ${config.dashboard.bind}); it has no login`);
  }
  hooks.onStart?.(h);

  let interrupted = 0;
  let wakeOnSignal: (() => void) | null = null;
  const onSignal = (): void => {
    interrupted += 1;
    if (interrupted > 1) {
      io.err.write('\nnetids: stopping now\n');
      process.exit(130);
    }
    if (wakeOnSignal) wakeOnSignal();
    else void h.close();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const outcome = await h.done;
    const info = h.detector.info();
    const anomalies = h.detector.anomalies().length;
    const health = h.session.health();
    if (outcome.reason === 'end') {
      reporter.note(`end of ${h.session.feed.stats().source}: ${health.packets} packets, ${health.flowsEmitted} flows, ${anomalies} anomalies`);
    } else if (outcome.reason === 'error' && outcome.error) {
      reporter.note(`stopped by an input error after ${health.packets} packets: ${outcome.error.message}`);
    }
    if (!outcome.scoredBeforeEnd && outcome.reason !== 'end') {
      reporter.note(`stopped during the learning phase (${Math.floor(info.progress * 100)}%); nothing was scored`);
    } else if (!outcome.scoredBeforeEnd) {
      reporter.note(
        info.state === 'trained'
          ? `the input ended during the learning phase, so no flow was scored (the model was trained on all ${info.samples} flows); use --baseline-seconds / --baseline-flows below the capture's length, or a longer capture`
          : `the input ended during the learning phase with too few flows to train on (${info.samples}); nothing was scored`,
      );
    }
    const keepServing = h.server !== null && h.file !== null && !config.exitAtEnd && interrupted === 0;
    if (keepServing) {
      reporter.stop();
      reporter.note(`the file has been read; the dashboard stays up at ${h.url} — Ctrl-C to quit (--exit to quit at the end)`);
      await new Promise<void>((resolve) => {
        wakeOnSignal = resolve;
      });
    }
    await h.close();
    return outcome.reason === 'error' ? 1 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
