import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import type { Logger } from '../../lib/logger.js';
import { registry } from '../../lib/metrics.js';
import { DashboardServer } from '../../detector/dashboard/DashboardServer.js';
import { DEFAULT_DETECTOR_OPTIONS, Detector, type ModelInfo } from '../../detector/Detector.js';
import { TrainedModel } from '../../detector/ModelFile.js';
import { PacedFileSource } from '../../sensor/capture/PacedFileSource.js';
import { UsageError } from '../Command.js';
import { JsonlAnomalyWriter } from './JsonlAnomalyWriter.js';
import { type LiveInput, startLiveInput } from './startLiveInput.js';
import type { RunConfig } from './RunConfig.js';
import { RunSession } from './RunSession.js';
import { TerminalReporter } from './TerminalReporter.js';

export interface RunIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  logger: Logger;
  /** Force the progress line on or off (default: when err is a TTY). */
  progress?: boolean;
}

/** How the input ended. */
export interface RunOutcome {
  /** 'end' (file read to the end), 'stopped' (Ctrl-C / stop()), 'error' (the input failed). */
  reason: 'end' | 'stopped' | 'error';
  error?: Error;
  /** False when the input ended while the model was still learning (nothing was scored). */
  scoredBeforeEnd: boolean;
}

/** A started run: the pieces, and what to wait for. */
export interface RunHandle {
  session: RunSession;
  detector: Detector;
  reporter: TerminalReporter;
  server: DashboardServer | null;
  /** The dashboard URL, or null with --no-dashboard. */
  url: string | null;
  /** The file source (file mode): its `speed` can be changed while it plays. */
  file: PacedFileSource | null;
  /** Resolves when the input has ended and every flow has been scored. */
  done: Promise<RunOutcome>;
  /** Stops the input (if still running), waits for `done`, then closes the dashboard and files. */
  close(): Promise<RunOutcome>;
}

/**
 * Starts `netids run`: a Detector (learning, or a loaded model), a RunSession joining it to a
 * Sensor, the anomaly sinks (terminal, --out JSONL), the dashboard, and the input (a paced file
 * or live interfaces). Throws before starting anything long-lived when a setting cannot work.
 */
export async function startRun(config: RunConfig, io: RunIo, hooks: { onModel?: (info: ModelInfo) => void } = {}): Promise<RunHandle> {
  const interfaces = config.input.interfaces;
  const pcap = config.input.pcap;
  if (interfaces.length === 0 && pcap === undefined) throw new UsageError('say what to watch: --iface IF (live) or --pcap FILE');
  if (interfaces.length > 0 && pcap !== undefined) throw new UsageError('give --iface or --pcap, not both');
  if (pcap !== undefined && !existsSync(pcap)) throw new UsageError(`no such capture file: ${pcap}`);
  const node = config.node ?? hostname();
  const log = io.logger.child({ component: 'run' });

  const detector = new Detector(
    {
      node,
      training: {
        durationS: config.training.baselineSeconds,
        minSamples: config.training.baselineFlows,
        maxSamples: config.training.maxSamples,
        retrainIntervalS: 0,
        maturingS: DEFAULT_DETECTOR_OPTIONS.training.maturingS,
      },
      alerting: {
        ...DEFAULT_DETECTOR_OPTIONS.alerting,
        targetFpr: config.alerting.targetFpr,
        minScore: config.alerting.minScore ?? DEFAULT_DETECTOR_OPTIONS.alerting.minScore,
      },
    },
    io.logger.child({ component: 'detector' }),
  );
  if (config.model.load) detector.useModel(TrainedModel.load(config.model.load));

  const writer = config.out ? new JsonlAnomalyWriter(config.out) : null;
  if (writer) await writer.ready();
  const reporter = new TerminalReporter({ out: io.out, err: io.err, progress: io.progress });

  const abort = new AbortController();
  let file: PacedFileSource | null = null;
  let live: LiveInput | null = null;
  if (pcap !== undefined) {
    file = new PacedFileSource(pcap, { speed: config.input.speed ?? Infinity, signal: abort.signal, afterChunk: () => session.drain() });
  }
  const session: RunSession = new RunSession({
    info: {
      node,
      mode: pcap !== undefined ? 'file' : 'live',
      source: pcap !== undefined ? basename(pcap) : interfaces.join(', '),
      startedAt: Date.now() / 1000,
    },
    detector,
    sinks: writer ? [reporter, writer] : [reporter],
    logger: log,
    fileProgress: file ? () => (file as PacedFileSource).progress : undefined,
    drops: () => live?.drops() ?? 0,
  });

  let savedVersion = '';
  const saveModel = (): void => {
    const model = detector.currentModel();
    if (!config.model.save || !model || model.version === savedVersion) return;
    try {
      model.save(config.model.save);
      savedVersion = model.version;
      reporter.note(`model saved to ${config.model.save}`);
    } catch (err) {
      reporter.note(`cannot save the model to ${config.model.save}: ${(err as Error).message}`);
    }
  };
  detector.on('model', (info: ModelInfo) => {
    if (info.state === 'trained') saveModel();
    hooks.onModel?.(info);
  });

  let server: DashboardServer | null = null;
  let url: string | null = null;
  if (config.dashboard.enabled) {
    server = new DashboardServer(session.feed, { bind: config.dashboard.bind, port: config.dashboard.port, registry, logger: log });
    url = await server.listen();
  }
  const ticker = setInterval(() => {
    if (live) session.advance(Date.now() / 1000);
    session.feed.tick();
  }, 1000);
  ticker.unref();

  if (interfaces.length > 0) {
    try {
      live = await startLiveInput(interfaces, session.sink, log);
    } catch (err) {
      clearInterval(ticker);
      session.close();
      if (server) await server.close();
      if (writer) await writer.close();
      throw err;
    }
  }

  reporter.start(session);
  if (config.model.load) {
    const info = detector.info();
    reporter.note(`using model ${info.version} from ${config.model.load} (${info.samples} flows, threshold ${info.threshold.toFixed(3)})`);
  }

  const run = async (): Promise<RunOutcome> => {
    let reason: RunOutcome['reason'] = 'end';
    let error: Error | undefined;
    try {
      if (file) {
        const stats = await file.run(session.sink);
        if (stats.aborted) reason = 'stopped';
      } else if (live) {
        await (live as LiveInput).until(abort.signal);
        reason = 'stopped';
      }
    } catch (err) {
      reason = abort.signal.aborted ? 'stopped' : 'error';
      error = err as Error;
      if (reason === 'error') reporter.note(`input failed: ${error.message}`);
    }
    // A file read to its end trains on what it learned (so --save-model has a model); a run
    // stopped early trains only when a model is to be saved.
    const { scoredBeforeEnd } = await session.finish(reason === 'end' || config.model.save !== undefined);
    saveModel();
    return { reason, error, scoredBeforeEnd };
  };
  const done = run();

  let closing: Promise<RunOutcome> | null = null;
  const close = (): Promise<RunOutcome> => {
    closing ??= (async () => {
      abort.abort();
      const outcome = await done;
      clearInterval(ticker);
      reporter.stop();
      session.close();
      if (server) await server.close();
      if (writer) await writer.close();
      return outcome;
    })();
    return closing;
  };
  return { session, detector, reporter, server, url, file, done, close };
}
