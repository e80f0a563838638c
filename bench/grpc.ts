/**
 * gRPC transport benchmark: vectors/s from a FlowStreamClient (this process) to a
 * FlowIngestServer (a child process) over loopback with the full feature schema, latency from
 * flow emission to the scored result (the real Detector, trained) at a paced rate, and the two vector encodings of the proto
 * (one `bytes` per batch vs `repeated double` per record) serialised + deserialised in process.
 *
 *   node dist/bench/grpc.js [--vectors 1000000] [--rate 5000] [--seconds 5]
 *
 * Last line of output: one JSON object of figures.
 */
import * as grpc from '@grpc/grpc-js';
import { fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLogger } from '../lib/logger.js';
import { FEATURE_COUNT } from '../sensor/features/schema.js';
import type { FlowRecord } from '../sensor/flows/FlowRecord.js';
import { encodeFlowBatch } from '../sensor/transport/encodeFlowBatch.js';
import { flowIngestDefinition, sensorMessageType } from '../sensor/transport/FlowIngestProto.js';
import { FlowStreamClient } from '../sensor/transport/FlowStreamClient.js';
import { FlowIngestServer, type IngestTarget } from '../detector/server/FlowIngestServer.js';
import { Detector, type ModelInfo, type ScoredFlow } from '../detector/Detector.js';

const log = createLogger(process.env.NETIDS_LOG_LEVEL ?? 'warn');

function makeRecords(n: number, seed = 1): FlowRecord[] {
  let s = seed;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const now = Date.now() / 1000;
  const out: FlowRecord[] = [];
  for (let i = 0; i < n; i++) {
    const f = new Float64Array(FEATURE_COUNT);
    for (let k = 0; k < FEATURE_COUNT; k++) f[k] = rnd() * (k % 5 === 0 ? 1500 : 10);
    out.push({
      src: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      dst: `10.200.${(i >> 4) & 255}.${(i * 7) & 255}`,
      srcPort: 1024 + (i % 60000),
      dstPort: [80, 443, 53, 22][i % 4],
      protocol: i % 4 === 2 ? 17 : 6,
      firstSeen: now - 3,
      lastSeen: now,
      endReason: 'fin',
      features: f,
    });
  }
  return out;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

// ---- server process -------------------------------------------------------------------------

/** Receipt only: what the transport alone costs (the throughput phase). */
function receiptOnly(): IngestTarget {
  const info: ModelInfo = { state: 'trained', progress: 1, version: 'receipt', trainedAt: null, samples: 0, featureSchemaVersion: 1, threshold: 1 };
  return {
    ingest: (records): ScoredFlow[] => records.map((record) => ({ record, node: '', score: 0, anomalous: false, alerted: false, models: [] })),
    info: () => info,
  };
}

/** The real Detector, trained on synthetic flows (the latency phase: emission to scored result). */
async function trainedDetector(): Promise<Detector> {
  const detector = new Detector({ role: 'trainer', training: { durationS: 0, minSamples: 2000, maxSamples: 5000, retrainIntervalS: 0, maturingS: 0 } });
  const train = makeRecords(5000, 7);
  for (let i = 0; i < train.length && detector.info().state === 'learning'; i += 500) detector.ingest(train.slice(i, i + 500), 'bench');
  await detector.finishLearning();
  await detector.idle();
  if (detector.info().state !== 'trained') throw new Error('the bench detector did not train');
  return detector;
}

async function serverMain(): Promise<void> {
  const receipt = receiptOnly();
  const detector = await trainedDetector();
  let current: IngestTarget = receipt;
  const target: IngestTarget = { ingest: (r, n) => current.ingest(r, n), info: () => current.info() };
  const scoring = true;
  const note = 'emission (sensor queue) to scored result by the trained real Detector, default batching';
  const server = new FlowIngestServer({ target, detectorId: 'bench', logger: log });
  let latencies: number[] = [];
  let cpu0 = process.cpuUsage();
  let received = 0;
  server.on('batch', (b: { emittedAt: number[]; scored: ScoredFlow[] }) => {
    const now = Date.now() / 1000;
    received += b.emittedAt.length;
    if (b.scored.length > 0 && latencies.length < 2_000_000) for (const e of b.emittedAt) latencies.push((now - e) * 1000);
  });
  const port = await server.start('127.0.0.1:0', grpc.ServerCredentials.createInsecure());
  process.send?.({ port, scoring, note });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'score') {
      current = detector;
      process.send?.({ scoring: true });
    } else if (m.cmd === 'reset') {
      cpu0 = process.cpuUsage();
      latencies = [];
      received = 0;
      process.send?.({ reset: true });
    } else if (m.cmd === 'stats') {
      const sorted = Float64Array.from(latencies).sort();
      const c = process.cpuUsage(cpu0);
      process.send?.({ received, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), n: sorted.length, cpuS: (c.user + c.system) / 1e6 });
    } else if (m.cmd === 'exit') {
      void server.stop(1000).then(() => process.exit(0));
    }
  });
}

// ---- client process -------------------------------------------------------------------------

function ask<T>(child: ReturnType<typeof fork>, cmd: string, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: Record<string, unknown>): void => {
      if (key in m) {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.send({ cmd });
  });
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return true;
}

function codecFigures(records: FlowRecord[]): Record<string, number> {
  const loader = flowIngestDefinition().Stream as grpc.MethodDefinition<unknown, unknown>;
  const direct = sensorMessageType();
  const batchSize = 512;
  const batches = Math.floor(records.length / batchSize);
  const emitted = new Float64Array(batchSize).fill(Date.now() / 1000);
  type Way = 'hand+protobufjs' | 'loader-bytes' | 'loader-packed';
  const run = (way: Way): { encodeVps: number; decodeVps: number; bytesPerVector: number } => {
    const encoded: Buffer[] = [];
    const cpuSeconds = (since: NodeJS.CpuUsage): number => {
      const c = process.cpuUsage(since);
      return (c.user + c.system) / 1e6;
    };
    let t = process.cpuUsage();
    for (let b = 0; b < batches; b++) {
      const slice = records.slice(b * batchSize, (b + 1) * batchSize);
      if (way === 'hand+protobufjs') {
        encoded.push(encodeFlowBatch(b + 1, slice, emitted));
        continue;
      }
      const records_ = slice.map((r, i) => ({
        src: r.src, dst: r.dst, srcPort: r.srcPort, dstPort: r.dstPort, protocol: r.protocol,
        firstSeen: r.firstSeen, lastSeen: r.lastSeen, endReason: 1, emittedAt: emitted[i],
        features: way === 'loader-packed' ? Array.from(r.features) : [],
      }));
      let features = Buffer.alloc(0);
      if (way === 'loader-bytes') {
        features = Buffer.alloc(slice.length * FEATURE_COUNT * 8);
        slice.forEach((r, i) => Buffer.from(r.features.buffer, r.features.byteOffset, r.features.byteLength).copy(features, i * FEATURE_COUNT * 8));
      }
      encoded.push(loader.requestSerialize({ batch: { seq: b + 1, records: records_, features } }));
    }
    const encS = cpuSeconds(t);
    t = process.cpuUsage();
    let check = 0;
    for (const buf of encoded) {
      const msg = (way === 'hand+protobufjs' ? direct.decode(buf) : loader.requestDeserialize(buf)) as unknown as {
        batch: { records: { features: number[] }[]; features: Buffer };
      };
      check += way === 'loader-packed' ? msg.batch.records[0].features.length : msg.batch.features.length;
    }
    const decS = cpuSeconds(t);
    if (check === 0) throw new Error('decode produced nothing');
    const n = batches * batchSize;
    return { encodeVps: Math.round(n / encS), decodeVps: Math.round(n / decS), bytesPerVector: Math.round(encoded.reduce((a, b) => a + b.length, 0) / n) };
  };
  const ways: Way[] = ['hand+protobufjs', 'loader-bytes', 'loader-packed'];
  for (const w of ways) run(w); // warm up
  const out: Record<string, number> = {};
  for (const w of ways) {
    const key = { 'hand+protobufjs': 'codecHand', 'loader-bytes': 'codecLoaderBytes', 'loader-packed': 'codecLoaderPacked' }[w];
    // CPU time, best of three: the figures are per core, whatever else the machine is doing.
    const r = [run(w), run(w), run(w)].reduce((a, b) => ({
      encodeVps: Math.max(a.encodeVps, b.encodeVps),
      decodeVps: Math.max(a.decodeVps, b.decodeVps),
      bytesPerVector: a.bytesPerVector,
    }));
    out[`${key}EncodeVectorsPerS`] = r.encodeVps;
    out[`${key}DecodeVectorsPerS`] = r.decodeVps;
    out[`${key}BytesPerVector`] = r.bytesPerVector;
  }
  return out;
}

async function clientMain(): Promise<void> {
  const { values } = parseArgs({
    options: { vectors: { type: 'string', default: '1000000' }, rate: { type: 'string', default: '5000' }, seconds: { type: 'string', default: '5' } },
  });
  const total = Number(values.vectors);
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const pool = makeRecords(65_536);

  const codec = codecFigures(pool.slice(0, 32_768));
  process.stdout.write(`codec: ${JSON.stringify(codec)}\n`);

  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const hello = await new Promise<{ port: number; scoring: boolean; note: string }>((resolve) => child.once('message', resolve as never));
  const client = new FlowStreamClient({
    endpoints: [`127.0.0.1:${hello.port}`],
    credentials: grpc.credentials.createInsecure(),
    sensorId: 'bench',
    node: 'bench',
    queueSize: 1 << 18,
    logger: log,
  });
  client.start();
  if (!(await waitFor(() => client.connected, 10_000))) throw new Error('client did not connect');

  // Throughput: keep the queue topped up, never overflowing, and time until everything is acknowledged.
  await ask(child, 'reset', 'reset');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let sent = 0;
  while (sent < total) {
    const room = (1 << 18) - client.queued - 1024;
    const n = Math.min(total - sent, room, 16_384);
    for (let i = 0; i < n; i++) client.send(pool[(sent + i) & 65_535]);
    sent += n;
    await new Promise((r) => setImmediate(r));
  }
  await waitFor(() => client.counters.acked >= total, 120_000);
  const seconds1 = Number(process.hrtime.bigint() - t0) / 1e9;
  const vectorsPerS = Math.round(client.counters.acked / seconds1);
  const cpu1 = process.cpuUsage(cpu0);
  const clientCpuS = (cpu1.user + cpu1.system) / 1e6;
  const serverCpuS = (await ask<{ cpuS: number }>(child, 'stats', 'cpuS')).cpuS;
  process.stdout.write(`cpu: client ${clientCpuS.toFixed(2)} s, server ${serverCpuS.toFixed(2)} s\n`);
  process.stdout.write(`throughput: ${client.counters.acked} vectors in ${seconds1.toFixed(2)} s = ${vectorsPerS}/s (dropped ${client.counters.droppedQueueFull})\n`);

  // Latency at a paced rate with the default batching (512 vectors or 200 ms), scored by the real Detector.
  await ask(child, 'score', 'scoring');
  await ask(child, 'reset', 'reset');
  const before = client.counters.acked;
  const tick = 10; // ms
  const perTick = Math.max(1, Math.round((rate * tick) / 1000));
  const end = Date.now() + seconds * 1000;
  let i = 0;
  while (Date.now() < end) {
    const emittedAt = Date.now() / 1000;
    for (let k = 0; k < perTick; k++) client.send(pool[i++ & 65_535], emittedAt);
    await new Promise((r) => setTimeout(r, tick));
  }
  await waitFor(() => client.counters.acked - before >= i, 30_000);
  const stats = await ask<{ received: number; p50: number; p99: number; n: number }>(child, 'stats', 'received');
  process.stdout.write(`latency at ${rate}/s: p50 ${stats.p50.toFixed(1)} ms, p99 ${stats.p99.toFixed(1)} ms over ${stats.n} vectors (${hello.note})\n`);

  await client.close(2000);
  child.send({ cmd: 'exit' });
  await new Promise((r) => child.once('exit', r));
  process.stdout.write(
    JSON.stringify({
      bench: 'grpc',
      loadAvg1: Number(loadavg()[0].toFixed(2)),
      cpus: cpus().length,
      featureCount: FEATURE_COUNT,
      vectors: total,
      vectorsPerS,
      // CPU per vector on each side: the capacity of one core each, whatever the load.
      clientCoreVectorsPerS: Math.round(total / clientCpuS),
      serverCoreVectorsPerS: Math.round(total / serverCpuS),
      throughputSeconds: Number(seconds1.toFixed(3)),
      clientCpuSecondsPerMillion: Number(((clientCpuS / total) * 1e6).toFixed(2)),
      serverCpuSecondsPerMillion: Number(((serverCpuS / total) * 1e6).toFixed(2)),
      droppedQueueFull: client.counters.droppedQueueFull,
      latencyRate: rate,
      latencyP50Ms: Number(stats.p50.toFixed(2)),
      latencyP99Ms: Number(stats.p99.toFixed(2)),
      latencyTo: hello.scoring ? 'scored' : 'receipt',
      latencyNote: hello.note,
      ...codec,
    }) + '\n',
  );
}

if (process.argv.includes('--server')) void serverMain();
else
  clientMain().catch((err: unknown) => {
    process.stderr.write(`bench grpc: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
