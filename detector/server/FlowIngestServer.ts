import * as grpc from '@grpc/grpc-js';
import { EventEmitter } from 'node:events';
import type { Logger } from '../../lib/logger.js';
import { scoringLatency, streamsOpen, vectorsReceived, vectorsRejected } from '../../lib/metrics.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import { FLOW_CONTROL_WINDOW, flowIngestServerDefinition, toNumber } from '../../sensor/transport/FlowIngestProto.js';
import type {
  UndecodableMessage,
  WireFlowBatch,
  WireGetModelRequest,
  WireModelBlob,
  WireSensorMessage,
} from '../../sensor/transport/WireMessages.js';
import type { ModelInfo, ScoredFlow } from '../Detector.js';
import { decodeFlowBatch } from './decodeFlowBatch.js';
import type { RejectReason } from './RejectReason.js';
import { validateHello } from './validateHello.js';

/** What the server hands validated records to: the Detector, or a gate in front of it. */
export interface IngestTarget {
  ingest(records: readonly FlowRecord[], node?: string): ScoredFlow[];
  info(): ModelInfo;
}

export interface FlowIngestServerOptions {
  target: IngestTarget;
  /** Answers GetModel (see ModelShare); without it GetModel answers "no model". */
  getModel?: (knownVersion: string) => WireModelBlob;
  detectorId: string;
  /** Batches a sensor may have unacknowledged (default 8). */
  credit?: number;
  /** A stream message larger than this is skipped and counted ('oversized'); default 4 MiB. */
  maxMessageBytes?: number;
  /** gRPC's own receive limit: beyond it the stream ends with RESOURCE_EXHAUSTED (default 2 × maxMessageBytes). */
  hardMaxMessageBytes?: number;
  /** Records per batch above which a batch is skipped ('too-many-records'); default 4096. */
  maxBatchRecords?: number;
  logger: Logger;
}

/** One accepted batch, for observers (tests, benchmarks, the dashboard). */
export interface IngestedBatch {
  node: string;
  sensorId: string;
  records: FlowRecord[];
  emittedAt: number[];
  scored: ScoredFlow[];
  receivedAt: number;
}

interface StreamState {
  call: grpc.ServerDuplexStream<unknown, unknown>;
  peer: string;
  node: string;
  sensorId: string;
  hello: boolean;
  lastSeq: number;
}

/**
 * The detector's side of FlowIngest: many concurrent sensor streams. The first message must be a
 * valid Hello (else the stream ends with a clear status); every later message is validated and
 * a bad message or record is skipped and counted by reason (netids_vectors_rejected_total) while
 * the stream goes on. Batches are processed synchronously as they arrive and acknowledged with
 * the credit the sensor may use, so nothing queues up inside the detector.
 *
 * Events: 'batch' (IngestedBatch), 'rejected' (reason, count), 'stream-open' / 'stream-close' (node).
 */
export class FlowIngestServer extends EventEmitter {
  private server: grpc.Server | null = null;
  private readonly streams = new Set<StreamState>();
  private draining = false;
  private readonly credit: number;
  private readonly maxMessageBytes: number;
  private readonly hardMaxMessageBytes: number;
  private readonly maxBatchRecords: number;
  private readonly log: Logger;
  readonly counters = { streams: 0, batches: 0, received: 0, accepted: 0, rejected: 0 };

  constructor(private readonly options: FlowIngestServerOptions) {
    super();
    this.credit = options.credit ?? 8;
    this.maxMessageBytes = options.maxMessageBytes ?? 4 * 1024 * 1024;
    this.hardMaxMessageBytes = options.hardMaxMessageBytes ?? 2 * this.maxMessageBytes;
    this.maxBatchRecords = options.maxBatchRecords ?? 4096;
    this.log = options.logger.child({ component: 'flow-ingest' });
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** Binds `host:port` (port 0 picks one) and starts serving; resolves to the bound port. */
  async start(address: string, credentials: grpc.ServerCredentials): Promise<number> {
    const server = new grpc.Server({
      'grpc.max_receive_message_length': this.hardMaxMessageBytes,
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': 5_000,
    });
    server.addService(flowIngestServerDefinition(this.maxMessageBytes), {
      Stream: (call: grpc.ServerDuplexStream<unknown, unknown>) => this.onStream(call),
      GetModel: (call: grpc.ServerUnaryCall<WireGetModelRequest, WireModelBlob>, callback: grpc.sendUnaryData<WireModelBlob>) =>
        this.onGetModel(call, callback),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.server = server;
    widenFlowControlWindow(server);
    this.log.info({ address, port }, 'FlowIngest gRPC server listening');
    return port;
  }

  /**
   * Stops accepting streams, ends the open ones (sensors re-send what was not acknowledged to
   * another replica) and shuts the server down, forcing it after `deadlineMs`.
   */
  async stop(deadlineMs = 5_000): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.draining = true;
    for (const s of this.streams) {
      s.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'detector shutting down' });
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, deadlineMs);
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.server = null;
  }

  private onGetModel(call: grpc.ServerUnaryCall<WireGetModelRequest, WireModelBlob>, callback: grpc.sendUnaryData<WireModelBlob>): void {
    try {
      const known = call.request?.knownVersion ?? '';
      const blob = this.options.getModel?.(known) ?? {
        version: '',
        state: this.options.target.info().state,
        notModified: false,
        modelJson: Buffer.alloc(0),
        trainedAt: 0,
        detectorId: this.options.detectorId,
        trainer: false,
        featureSchemaVersion: 0,
      };
      callback(null, blob);
    } catch (err) {
      this.log.error({ err: (err as Error).message }, 'GetModel failed');
      callback({ code: grpc.status.INTERNAL, details: `cannot export the model: ${(err as Error).message}` });
    }
  }

  private onStream(call: grpc.ServerDuplexStream<unknown, unknown>): void {
    if (this.draining) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'detector shutting down' });
      return;
    }
    const s: StreamState = { call, peer: call.getPeer(), node: '', sensorId: '', hello: false, lastSeq: 0 };
    this.streams.add(s);
    streamsOpen.inc();
    this.counters.streams++;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.streams.delete(s);
      streamsOpen.dec();
      if (s.hello) this.log.info({ node: s.node, sensor: s.sensorId, peer: s.peer }, 'sensor stream closed');
      this.emit('stream-close', s.node);
    };
    call.on('data', (msg: WireSensorMessage | UndecodableMessage) => {
      try {
        this.onMessage(s, msg);
      } catch (err) {
        // A bug in processing must not take the process down: end this stream with INTERNAL.
        this.log.error({ err: (err as Error).stack, node: s.node }, 'processing a sensor message failed');
        call.emit('error', { code: grpc.status.INTERNAL, details: 'detector failed to process a message' });
      }
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('error', () => close());
    call.on('close', () => close());
    call.on('cancelled', () => close());
  }

  private reject(reason: RejectReason, count: number, s: StreamState, detail?: string): void {
    if (count <= 0) return;
    vectorsRejected.inc({ reason }, count);
    this.counters.rejected += count;
    this.emit('rejected', reason, count);
    this.log.debug({ reason, count, node: s.node, peer: s.peer, detail }, 'rejected');
  }

  private onMessage(s: StreamState, msg: WireSensorMessage | UndecodableMessage): void {
    if ('undecodable' in msg) {
      this.reject(msg.undecodable, 1, s, msg.detail);
      this.log.warn({ node: s.node, peer: s.peer, reason: msg.undecodable, bytes: msg.bytes }, 'skipped a sensor message');
      return;
    }
    if (!s.hello) {
      if (msg.body !== 'hello' || !msg.hello) {
        this.reject('no-hello', 1, s);
        s.call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: 'the first message of a stream must be a Hello' });
        return;
      }
      const verdict = validateHello(msg.hello);
      if (!verdict.ok) {
        this.reject(verdict.reason, 1, s);
        this.log.warn({ peer: s.peer, reason: verdict.reason, message: verdict.message }, 'refused a sensor stream');
        s.call.emit('error', { code: verdict.code, details: verdict.message });
        return;
      }
      s.hello = true;
      s.node = msg.hello.node;
      s.sensorId = msg.hello.sensorId;
      const info = this.options.target.info();
      s.call.write({
        welcome: { detectorId: this.options.detectorId, credit: this.credit, modelVersion: info.version, modelState: info.state },
      });
      this.log.info({ node: s.node, sensor: s.sensorId, peer: s.peer }, 'sensor stream open');
      this.emit('stream-open', s.node);
      return;
    }
    if (msg.body === 'hello') {
      this.reject('duplicate-hello', 1, s);
      return;
    }
    if (msg.body !== 'batch' || !msg.batch) {
      this.reject('empty-message', 1, s);
      return;
    }
    this.onBatch(s, msg.batch);
  }

  private onBatch(s: StreamState, batch: WireFlowBatch): void {
    const receivedAt = Date.now() / 1000;
    const decoded = decodeFlowBatch(batch, this.maxBatchRecords);
    const total = batch.records.length;
    this.counters.batches++;
    this.counters.received += total;
    // The Detector counts what it is given; count here only what never reaches it.
    vectorsReceived.inc(decoded.rejectedCount);
    for (const [reason, count] of Object.entries(decoded.rejected)) this.reject(reason as RejectReason, count, s);
    let scored: ScoredFlow[] = [];
    if (decoded.records.length > 0) {
      scored = this.options.target.ingest(decoded.records, s.node);
      this.counters.accepted += decoded.records.length;
      this.observeLatency(decoded.records, decoded.emittedAt, scored);
    }
    const seq = toNumber(batch.seq);
    if (seq > s.lastSeq) s.lastSeq = seq;
    s.call.write({
      ack: {
        seq: s.lastSeq,
        credit: this.draining ? 0 : this.credit,
        accepted: decoded.records.length,
        rejected: decoded.rejectedCount,
      },
    });
    if (this.listenerCount('batch') > 0) {
      this.emit('batch', { node: s.node, sensorId: s.sensorId, records: decoded.records, emittedAt: decoded.emittedAt, scored, receivedAt } satisfies IngestedBatch);
    }
  }

  private observeLatency(records: FlowRecord[], emittedAt: number[], scored: ScoredFlow[]): void {
    if (scored.length === 0) return;
    const now = Date.now() / 1000;
    if (scored.length === records.length && scored[0].record === records[0]) {
      for (let i = 0; i < emittedAt.length; i++) if (emittedAt[i] > 0) scoringLatency.observe(Math.max(0, now - emittedAt[i]));
      return;
    }
    const at = new Map<FlowRecord, number>();
    for (let i = 0; i < records.length; i++) at.set(records[i], emittedAt[i]);
    for (const f of scored) {
      const e = at.get(f.record);
      if (e !== undefined && e > 0) scoringLatency.observe(Math.max(0, now - e));
    }
  }
}

/**
 * grpc-js has no server option for the HTTP/2 flow-control window, and the 64 KiB default makes
 * every 300 KiB batch wait for several window updates. Each new session gets a larger window
 * (connection and stream level). Uses grpc-js internals (its http2 servers); without them it
 * does nothing.
 */
function widenFlowControlWindow(server: grpc.Server): void {
  const servers = (server as unknown as { http2Servers?: Map<import('node:events').EventEmitter, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return;
  for (const h2 of servers.keys()) {
    h2.on('session', (session: import('node:http2').Http2Session) => {
      try {
        session.setLocalWindowSize(FLOW_CONTROL_WINDOW);
        session.settings({ initialWindowSize: FLOW_CONTROL_WINDOW });
      } catch {
        // a session that is already closing
      }
    });
  }
}
