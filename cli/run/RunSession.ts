import type { Anomaly } from '../../lib/anomaly.js';
import type { Logger } from '../../lib/logger.js';
import type { Detector, ModelInfo } from '../../detector/Detector.js';
import { DashboardFeed, type RunInfo, type SensorHealth } from '../../detector/dashboard/DashboardFeed.js';
import type { PacketSink } from '../../sensor/capture/PacketSink.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import { Sensor, type SensorConfig } from '../../sensor/Sensor.js';

/** Where anomalies go besides the dashboard (terminal, JSONL file). */
export interface AnomalySink {
  anomaly(a: Anomaly, isNew: boolean): void;
  model?(info: ModelInfo): void;
}

export interface RunSessionOptions {
  info: RunInfo;
  detector: Detector;
  sensorConfig?: Partial<SensorConfig>;
  sinks?: AnomalySink[];
  logger?: Logger;
  /** Records handed to the detector at once (also drained after each file chunk and each second). Default 512. */
  batchSize?: number;
  /** Packets lost before decode, where the capture knows it (live). */
  drops?: () => number;
  /** File mode: share read, 0..1. */
  fileProgress?: () => number;
}

/**
 * The sensor and the detector of `netids run`, joined in one process: packets go to the
 * {@link Sensor}, its flow records go (in batches) to the {@link Detector}, and what both do
 * goes to the {@link DashboardFeed} and the anomaly sinks. The capture source (file or live) is
 * the caller's: it feeds `sink`, calls `drain()` between bursts, `advance(now)` when live and
 * quiet, and `finish()` at the end.
 */
export class RunSession {
  readonly sensor: Sensor;
  readonly feed: DashboardFeed;
  readonly detector: Detector;
  /** The PacketSink to give the capture source. */
  readonly sink: PacketSink;
  private pending: FlowRecord[] = [];
  private readonly batchSize: number;
  private bytes = 0;
  private readonly sinks: AnomalySink[];

  constructor(private readonly options: RunSessionOptions) {
    this.detector = options.detector;
    this.batchSize = options.batchSize ?? 512;
    this.sinks = options.sinks ?? [];
    this.sensor = new Sensor(options.sensorConfig ?? {}, (record) => {
      this.pending.push(record);
      if (this.pending.length >= this.batchSize) this.drain();
    });
    this.feed = new DashboardFeed({
      info: options.info,
      health: () => this.health(),
      anomalies: () => this.detector.anomalies(),
      model: () => this.detector.info(),
    });
    const onPacket = this.sensor.onPacket;
    const feed = this.feed;
    this.sink = (linkType, buf, offset, capLen, wireLen, ts) => {
      this.bytes += wireLen;
      feed.packet(ts);
      onPacket(linkType, buf, offset, capLen, wireLen, ts);
    };
    this.detector.on('anomaly', this.onAnomaly);
    this.detector.on('model', this.onModel);
    this.detector.on('scored', this.onScored);
  }

  /** Hands the flow records gathered so far to the detector. */
  drain(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.feed.flows(batch);
    try {
      this.detector.ingest(batch, this.options.info.node);
    } catch (err) {
      // The detector counts bad records itself; anything else is a bug, logged, and the run goes on.
      this.options.logger?.error({ err }, 'detector failed on a batch of flows; batch skipped');
    }
  }

  /** Live mode, once a second: expire idle flows by `now` (epoch seconds) and move the chart on. */
  advance(now: number): void {
    this.sensor.advance(now);
    this.drain();
    this.feed.advanceClock(now);
  }

  /**
   * End of input: emit every open flow, score it, and (if the input ended while the model was
   * still learning, and `trainIfLearning`) train on what was learned so the model can be saved;
   * waits for training.
   * Returns true when a model was trained before the input ended (flows were scored).
   */
  async finish(trainIfLearning = true): Promise<{ scoredBeforeEnd: boolean }> {
    this.sensor.flush();
    this.drain();
    await this.detector.idle();
    const scoredBeforeEnd = this.detector.info().state === 'trained';
    if (!scoredBeforeEnd && trainIfLearning) await this.detector.finishLearning();
    this.feed.end();
    return { scoredBeforeEnd };
  }

  /** Detaches from the detector's events. */
  close(): void {
    this.detector.off('anomaly', this.onAnomaly);
    this.detector.off('model', this.onModel);
    this.detector.off('scored', this.onScored);
  }

  health(): SensorHealth {
    const c = this.sensor.counters();
    let skipped = 0;
    for (const v of Object.values(c.decodeSkipped)) skipped += v;
    let flows = 0;
    for (const v of Object.values(c.flows)) flows += v;
    return {
      packets: c.packets,
      bytes: this.bytes,
      drops: this.options.drops?.() ?? 0,
      skipped,
      flowsActive: c.activeFlows,
      flowsEmitted: flows,
      fileProgress: this.options.fileProgress ? this.options.fileProgress() : null,
    };
  }

  private readonly onAnomaly = (a: Anomaly, isNew: boolean): void => {
    this.feed.anomaly(a, isNew);
    for (const s of this.sinks) {
      try {
        s.anomaly(a, isNew);
      } catch (err) {
        this.options.logger?.error({ err }, 'anomaly sink failed');
      }
    }
  };

  private readonly onModel = (info: ModelInfo): void => {
    this.feed.model(info);
    for (const s of this.sinks) s.model?.(info);
  };

  private readonly onScored = (batch: import('../../detector/Detector.js').ScoredFlow[]): void => {
    this.feed.scored(batch);
  };
}
