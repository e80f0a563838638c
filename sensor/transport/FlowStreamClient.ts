import type * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../lib/logger.js';
import { reconnects, sendQueueDepth, vectorsDroppedQueue, vectorsSent } from '../../lib/metrics.js';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../features/schema.js';
import type { FlowRecord } from '../flows/FlowRecord.js';
import { backoffDelay } from './backoffDelay.js';
import { encodeFlowBatch } from './encodeFlowBatch.js';
import { createFlowIngestClient, type FlowIngestClient } from './FlowIngestProto.js';
import { RecordQueue } from './RecordQueue.js';
import { type DetectorTarget, resolveTargets } from './resolveTargets.js';
import type { WireDetectorMessage, WireHello } from './WireMessages.js';

export interface FlowStreamClientOptions {
  /** `host:port` entries; a name resolving to many addresses (a headless Service) yields many detectors. */
  endpoints: readonly string[];
  credentials: grpc.ChannelCredentials;
  /** TLS server name to verify when connecting to a resolved address (default: the endpoint's host). */
  tlsServerName?: string;
  sensorId: string;
  node: string;
  networkidsNamespace?: string;
  networkidsName?: string;
  sensorVersion?: string;
  /** Records the queue holds before it drops the oldest (default 65 536). */
  queueSize?: number;
  /** Records per batch (default 512). */
  batchSize?: number;
  /** A partial batch is sent when its oldest record has waited this long (default 200 ms). */
  batchIntervalMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** How long to wait for the detector's Welcome after Hello (default 5 s). */
  helloTimeoutMs?: number;
  /** gRPC max send message size (default 4 MiB); batchSize must fit in it. */
  maxMessageBytes?: number;
  logger: Logger;
}

export interface FlowStreamCounters {
  /** Records handed to send(). */
  queued: number;
  /** Records written to a stream (retransmissions included). */
  written: number;
  /** Records acknowledged by a detector (delivered). */
  acked: number;
  /** Records the detector acknowledged but skipped as invalid. */
  rejectedByDetector: number;
  /** Records dropped because the queue was full (oldest first). */
  droppedQueueFull: number;
  /** Records still unsent when close() hit its deadline. */
  droppedShutdown: number;
  /** Records re-queued after their stream failed before the ack. */
  retransmitted: number;
  batchesSent: number;
  /** Streams that ended or failed (each is followed by a reconnect unless closing). */
  streamFailures: number;
  reconnects: number;
}

interface InFlight {
  seq: number;
  records: FlowRecord[];
  emittedAt: Float64Array;
}

type State = 'idle' | 'connecting' | 'ready' | 'closed';

const BATCH_OVERHEAD_BYTES = 128; // per-record fields besides the vector, generous

/**
 * The sensor's side of FlowIngest.Stream: queues flow records (bounded, drops oldest), batches
 * them (by size and time), sends at most `credit` unacknowledged batches to one detector, and on
 * failure re-queues what was not acknowledged and reconnects, with exponential backoff and
 * jitter, to another detector among the configured endpoints (re-resolved on every connect).
 *
 * Events: 'connected' (target: DetectorTarget, detectorId: string), 'disconnected' (reason: string).
 */
export class FlowStreamClient extends EventEmitter {
  readonly counters: FlowStreamCounters = {
    queued: 0,
    written: 0,
    acked: 0,
    rejectedByDetector: 0,
    droppedQueueFull: 0,
    droppedShutdown: 0,
    retransmitted: 0,
    batchesSent: 0,
    streamFailures: 0,
    reconnects: 0,
  };

  private readonly queue: RecordQueue;
  private readonly batchSize: number;
  private readonly batchIntervalMs: number;
  private readonly backoffMinMs: number;
  private readonly backoffMaxMs: number;
  private readonly helloTimeoutMs: number;
  private readonly maxMessageBytes: number;
  private readonly log: Logger;
  private readonly hello: WireHello;

  private state: State = 'idle';
  private client: FlowIngestClient | null = null;
  private call: grpc.ClientDuplexStream<unknown, unknown> | null = null;
  private target: DetectorTarget | null = null;
  private lastFailed: string | null = null;
  private cursor = Math.floor(Math.random() * 1024);
  private attempt = 0;
  private credit = 0;
  private seq = 0;
  private inFlight: InFlight[] = [];
  private flushDue = false;
  private closing = false;
  private batchTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private helloTimer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  private detectorId = '';

  constructor(private readonly options: FlowStreamClientOptions) {
    super();
    if (options.endpoints.length === 0) throw new Error('at least one detector endpoint is required');
    this.queue = new RecordQueue(options.queueSize ?? 65_536);
    this.batchSize = options.batchSize ?? 512;
    this.batchIntervalMs = options.batchIntervalMs ?? 200;
    this.backoffMinMs = options.backoffMinMs ?? 200;
    this.backoffMaxMs = options.backoffMaxMs ?? 10_000;
    this.helloTimeoutMs = options.helloTimeoutMs ?? 5_000;
    this.maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
    const batchBytes = this.batchSize * (FEATURE_COUNT * 8 + BATCH_OVERHEAD_BYTES);
    if (batchBytes > this.maxMessageBytes) {
      throw new Error(`batch size ${this.batchSize} (about ${batchBytes} bytes) does not fit in max message size ${this.maxMessageBytes}`);
    }
    this.log = options.logger.child({ component: 'flow-stream' });
    this.hello = {
      sensorId: options.sensorId,
      node: options.node,
      networkidsNamespace: options.networkidsNamespace ?? '',
      networkidsName: options.networkidsName ?? '',
      featureSchemaVersion: FEATURE_SCHEMA_VERSION,
      featureNames: [...FEATURE_NAMES],
      sensorVersion: options.sensorVersion ?? '',
    };
  }

  /** Opens the first stream (in the background; send() may be called before it is up). */
  start(): void {
    if (this.state !== 'idle' || this.closing) return;
    void this.connect();
  }

  /** True while a stream to a detector is open and welcomed. */
  get connected(): boolean {
    return this.state === 'ready';
  }

  get connectedTo(): DetectorTarget | null {
    return this.state === 'ready' ? this.target : null;
  }

  get queued(): number {
    return this.queue.length;
  }

  get unacknowledged(): number {
    let n = 0;
    for (const b of this.inFlight) n += b.records.length;
    return n;
  }

  /** Queues one record for sending; never blocks, never throws. */
  send(record: FlowRecord, emittedAt: number = Date.now() / 1000): void {
    if (this.state === 'closed') {
      this.counters.droppedShutdown++;
      vectorsDroppedQueue.inc({ reason: 'shutdown' });
      return;
    }
    this.counters.queued++;
    const dropped = this.queue.push(record, emittedAt);
    if (dropped > 0) this.countQueueDrop(dropped);
    if (this.queue.length >= this.batchSize) this.pump();
    else this.armBatchTimer();
  }

  /**
   * Sends everything queued (partial batches too) and waits until the detector acknowledged it
   * or `deadlineMs` passed; then closes the stream. What was left is counted as dropped
   * ('shutdown'). Resolves to the number of records dropped.
   */
  async close(deadlineMs = 5_000): Promise<number> {
    if (this.state === 'closed') return 0;
    this.closing = true;
    this.flushDue = true;
    this.pump();
    const deadline = Date.now() + deadlineMs;
    while ((this.queue.length > 0 || this.inFlight.length > 0) && Date.now() < deadline) {
      await this.waitForProgress(deadline - Date.now());
    }
    const left = this.queue.clear() + this.unacknowledged;
    this.inFlight = [];
    if (left > 0) {
      this.counters.droppedShutdown += left;
      vectorsDroppedQueue.inc({ reason: 'shutdown' }, left);
      this.log.warn({ dropped: left }, 'closing with records not delivered to any detector');
    }
    sendQueueDepth.set(0);
    this.state = 'closed';
    this.clearTimers();
    const call = this.call;
    const client = this.client;
    this.call = null;
    this.client = null;
    if (call) {
      call.removeAllListeners('data');
      call.on('error', () => undefined);
      call.end();
    }
    client?.close();
    return left;
  }

  // ---- sending ----------------------------------------------------------------------------------

  private pump(): void {
    const call = this.call;
    if (this.state !== 'ready' || call === null) return;
    while (this.inFlight.length < this.credit && this.queue.length > 0) {
      if (this.queue.length < this.batchSize && !this.flushDue) break;
      const { records, emittedAt } = this.queue.shift(this.batchSize);
      const seq = ++this.seq;
      this.inFlight.push({ seq, records, emittedAt });
      call.write(encodeFlowBatch(seq, records, emittedAt));
      this.counters.written += records.length;
      this.counters.batchesSent++;
    }
    if (this.queue.length === 0 && !this.closing) this.flushDue = false;
    sendQueueDepth.set(this.queue.length);
    if (this.queue.length > 0) this.armBatchTimer();
  }

  private armBatchTimer(): void {
    if (this.batchTimer !== null || this.closing) return;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = null;
      this.flushDue = true;
      this.pump();
    }, this.batchIntervalMs);
    this.batchTimer.unref();
  }

  private countQueueDrop(n: number): void {
    this.counters.droppedQueueFull += n;
    vectorsDroppedQueue.inc({ reason: 'queue-full' }, n);
  }

  // ---- connection -------------------------------------------------------------------------------

  private async connect(): Promise<void> {
    this.state = 'connecting';
    let targets: DetectorTarget[];
    let errors: string[];
    try {
      ({ targets, errors } = await resolveTargets(this.options.endpoints));
    } catch (err) {
      targets = [];
      errors = [(err as Error).message];
    }
    if ((this.state as State) === 'closed') return;
    if (targets.length === 0) {
      this.log.warn({ errors }, 'no detector address available');
      this.scheduleReconnect();
      return;
    }
    if (errors.length > 0) this.log.debug({ errors }, 'some detector endpoints did not resolve');
    // Rotate through the addresses; skip the one that just failed when there is another.
    let target = targets[this.cursor % targets.length];
    if (targets.length > 1 && target.address === this.lastFailed) {
      this.cursor++;
      target = targets[this.cursor % targets.length];
    }
    this.target = target;
    const options: grpc.ClientOptions = {
      'grpc.max_send_message_length': this.maxMessageBytes,
      'grpc.max_receive_message_length': 1024 * 1024,
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.enable_retries': 0,
      'grpc.initial_reconnect_backoff_ms': this.backoffMinMs,
    };
    const serverName = this.options.tlsServerName ?? target.host;
    if (serverName) {
      options['grpc.ssl_target_name_override'] = serverName;
      options['grpc.default_authority'] = serverName;
    }
    let client: FlowIngestClient;
    try {
      client = createFlowIngestClient(target.address, this.options.credentials, options);
    } catch (err) {
      this.log.error({ target: target.address, err: (err as Error).message }, 'cannot create gRPC client');
      this.scheduleReconnect();
      return;
    }
    const call = client.Stream();
    this.client = client;
    this.call = call;
    call.on('data', (msg: WireDetectorMessage) => this.onMessage(call, msg));
    call.on('error', (err: grpc.ServiceError) => this.onStreamEnd(call, `${err.code ?? ''} ${err.details ?? err.message}`.trim(), err.code));
    call.on('end', () => this.onStreamEnd(call, 'detector ended the stream'));
    call.write({ hello: this.hello });
    this.helloTimer = setTimeout(() => {
      this.helloTimer = null;
      if (this.call === call && this.state === 'connecting') {
        this.onStreamEnd(call, `no Welcome within ${this.helloTimeoutMs} ms`);
        call.cancel();
      }
    }, this.helloTimeoutMs);
    this.helloTimer.unref();
  }

  private onMessage(call: grpc.ClientDuplexStream<unknown, unknown>, msg: WireDetectorMessage): void {
    if (call !== this.call) return;
    if (msg.body === 'welcome' && msg.welcome) {
      if (this.helloTimer) clearTimeout(this.helloTimer);
      this.helloTimer = null;
      this.state = 'ready';
      this.attempt = 0;
      this.credit = Math.max(1, msg.welcome.credit);
      this.detectorId = msg.welcome.detectorId;
      this.log.info(
        { target: this.target?.address, detector: this.detectorId, credit: this.credit, model: msg.welcome.modelVersion || msg.welcome.modelState },
        'streaming to detector',
      );
      this.emit('connected', this.target, this.detectorId);
      this.pump();
    } else if (msg.body === 'ack' && msg.ack) {
      const { seq, credit, rejected } = msg.ack;
      let delivered = 0;
      while (this.inFlight.length > 0 && this.inFlight[0].seq <= seq) {
        delivered += (this.inFlight.shift() as InFlight).records.length;
      }
      this.counters.acked += delivered;
      this.counters.rejectedByDetector += rejected;
      vectorsSent.inc(delivered);
      this.credit = credit;
      this.notify();
      this.pump();
    }
  }

  private onStreamEnd(call: grpc.ClientDuplexStream<unknown, unknown>, reason: string, code?: number): void {
    if (call !== this.call) return;
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    const wasReady = this.state === 'ready';
    this.call = null;
    this.client?.close();
    this.client = null;
    this.credit = 0;
    this.counters.streamFailures++;
    // Everything not acknowledged goes back to the front of the queue, oldest first.
    const pending = this.inFlight;
    this.inFlight = [];
    if (pending.length > 0) {
      const records = pending.flatMap((b) => b.records);
      const emitted = new Float64Array(records.length);
      let o = 0;
      for (const b of pending) {
        emitted.set(b.emittedAt, o);
        o += b.emittedAt.length;
      }
      this.counters.retransmitted += records.length;
      const dropped = this.queue.unshiftAll(records, emitted);
      if (dropped > 0) this.countQueueDrop(dropped);
    }
    this.lastFailed = this.target?.address ?? null;
    this.cursor++;
    const level = this.closing ? 'info' : 'warn';
    this.log[level]({ target: this.target?.address, reason, code, wasReady, requeued: pending.length }, 'detector stream ended');
    this.emit('disconnected', reason);
    this.notify();
    if (this.state === 'closed') return;
    this.state = 'idle';
    // A detector that refuses our Hello (schema mismatch, bad certificate) will keep refusing: back off hard.
    if (code === 9 /* FAILED_PRECONDITION */ || code === 3 /* INVALID_ARGUMENT */ || code === 16 /* UNAUTHENTICATED */) {
      this.attempt = Math.max(this.attempt, 6);
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state === 'closed' || this.reconnectTimer !== null) return;
    this.state = 'idle';
    const delay = backoffDelay(this.attempt++, this.backoffMinMs, this.backoffMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'closed') return;
      this.counters.reconnects++;
      reconnects.inc();
      void this.connect();
    }, delay);
    // While closing, keep the process alive so close() can still deliver to another detector.
    if (!this.closing) this.reconnectTimer.unref();
  }

  private clearTimers(): void {
    for (const t of [this.batchTimer, this.reconnectTimer, this.helloTimer]) if (t) clearTimeout(t);
    this.batchTimer = this.reconnectTimer = this.helloTimer = null;
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private waitForProgress(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, Math.max(1, Math.min(ms, 100)));
      this.waiters.push(done);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
    });
  }
}
