import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURE_SCHEMA_VERSION } from '../../sensor/features/schema.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import { encodeFlowBatch } from '../../sensor/transport/encodeFlowBatch.js';
import { createFlowIngestClient, type FlowIngestClient } from '../../sensor/transport/FlowIngestProto.js';
import type { WireDetectorMessage } from '../../sensor/transport/WireMessages.js';
import { freePort, getText, kill, metric, netids, type Proc, until } from './grpcProcesses.js';

// A raw grpc-js client sends malformed, oversized and wrong-schema messages to a real detector
// process; each is rejected and counted, and the stream and the process keep running.

const MAX = 64 * 1024; // --max-message-bytes: batches above it are skipped; gRPC's own limit is twice that

function record(i: number, f?: Float64Array): FlowRecord {
  return {
    src: `10.9.0.${i % 250}`,
    dst: '10.9.1.1',
    srcPort: 40000 + i,
    dstPort: 443,
    protocol: 6,
    firstSeen: 1_700_000_000 + i,
    lastSeen: 1_700_000_001 + i,
    endReason: 'fin',
    features: f ?? new Float64Array(FEATURE_COUNT).fill(1 + (i % 7)),
  };
}

const hello = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  hello: { sensorId: 'raw', node: 'raw-node', featureSchemaVersion: FEATURE_SCHEMA_VERSION, featureNames: [...FEATURE_NAMES], ...over },
});

/** An open stream that records what the detector answers. */
function open(client: FlowIngestClient): { call: grpc.ClientDuplexStream<unknown, unknown>; acks: WireDetectorMessage[]; status: Promise<grpc.StatusObject | grpc.ServiceError> } {
  const call = client.Stream();
  const acks: WireDetectorMessage[] = [];
  call.on('data', (m: WireDetectorMessage) => acks.push(m));
  const status = new Promise<grpc.StatusObject | grpc.ServiceError>((res) => {
    call.on('error', (e: grpc.ServiceError) => res(e));
    call.on('status', (s: grpc.StatusObject) => res(s));
  });
  return { call, acks, status };
}

describe('detector rejects bad gRPC input and keeps running', () => {
  let det: Proc;
  let port = 0;
  let mport = 0;
  let client: FlowIngestClient;
  const metrics = async (): Promise<string> => (await getText(`http://127.0.0.1:${mport}/metrics`)).text;

  beforeAll(async () => {
    port = await freePort();
    mport = await freePort();
    det = netids(['detector', '--insecure', '--listen', `127.0.0.1:${port}`, '--metrics-port', String(mport), '--max-message-bytes', String(MAX), '--detector-id', 'rej'], 'detector');
    await det.waitLog((l) => l.msg === 'detector service started');
    client = createFlowIngestClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client?.close();
    kill(det, 'SIGKILL');
    await det.exited;
  });

  it('skips and counts malformed, oversized and invalid messages while the stream goes on', async () => {
    const s = open(client);
    s.call.write(hello());
    await until(async () => s.acks.find((m) => m.body === 'welcome'), 10_000, 'welcome');

    s.call.write(Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01])); // truncated length-delimited field: not protobuf
    s.call.write(encodeFlowBatch(1, Array.from({ length: 150 }, (_, i) => record(i)), new Float64Array(150))); // ~100 KB: > MAX, < 2 × MAX
    const nan = new Float64Array(FEATURE_COUNT).fill(2);
    nan[5] = Number.NaN;
    const mixed = [record(1), record(2, nan), { ...record(3), srcPort: 70000 }, { ...record(4), src: 'not-an-ip' }, record(5)];
    s.call.write(encodeFlowBatch(2, mixed, new Float64Array(mixed.length).fill(Date.now() / 1000)));
    const short = encodeFlowBatch(3, [record(6)], [0]);
    // A batch whose vector bytes do not match the records: cut the features field's 608 bytes to 600.
    s.call.write({ batch: { seq: 3, records: [{ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 2, protocol: 6, firstSeen: 1, lastSeen: 2, endReason: 1, emittedAt: 0 }], features: Buffer.alloc(600) } });
    s.call.write(short);
    s.call.write({}); // a SensorMessage with no body

    // Acks keep coming for the good batches: 2 good records of batch 2, the one record of `short`.
    const acked = await until(async () => s.acks.find((m) => m.body === 'ack' && m.ack && m.ack.seq >= 3 && m.ack.accepted === 1) ?? null, 10_000, 'ack of the last good batch');
    expect(acked.ack?.credit).toBeGreaterThan(0);
    const mixedAck = s.acks.find((m) => m.body === 'ack' && m.ack?.seq === 2)?.ack;
    expect(mixedAck).toMatchObject({ accepted: 2, rejected: 3 });

    const text = await until(async () => {
      const t = await metrics();
      return metric(t, 'netids_vectors_rejected_total', { reason: 'empty-message' }) >= 1 ? t : null;
    }, 10_000, 'rejection metrics');
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'malformed' })).toBe(1);
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'oversized' })).toBe(1);
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'non-finite' })).toBe(1);
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'bad-port' })).toBe(1);
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'bad-address' })).toBe(1);
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'vector-length' })).toBe(1);
    expect(metric(text, 'netids_streams_open')).toBe(1); // still open
    s.call.end();
    expect((await s.status).code).toBe(grpc.status.OK);
  });

  it('refuses a stream whose Hello has an unknown schema, or that does not start with Hello, with a clear status', async () => {
    const wrong = open(client);
    wrong.call.write(hello({ featureSchemaVersion: FEATURE_SCHEMA_VERSION + 41 }));
    const st = await wrong.status;
    expect(st.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(st.details).toMatch(/feature schema version 42 is not known/);

    const names = open(client);
    names.call.write(hello({ featureNames: ['a', 'b'] }));
    expect((await names.status).code).toBe(grpc.status.FAILED_PRECONDITION);

    const noHello = open(client);
    noHello.call.write(encodeFlowBatch(1, [record(1)], [0]));
    const st2 = await noHello.status;
    expect(st2.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(st2.details).toMatch(/first message of a stream must be a Hello/);

    const text = await metrics();
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'schema-version' })).toBe(1);
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'feature-names' })).toBe(1);
    expect(metric(text, 'netids_vectors_rejected_total', { reason: 'no-hello' })).toBe(1);
  });

  it('ends only the stream of a message above the gRPC limit (RESOURCE_EXHAUSTED); the process keeps serving', async () => {
    const big = open(client);
    big.call.write(hello());
    await until(async () => big.acks.find((m) => m.body === 'welcome'), 10_000, 'welcome');
    big.call.write(encodeFlowBatch(1, Array.from({ length: 400 }, (_, i) => record(i)), new Float64Array(400))); // ~260 KB > 2 × MAX
    expect((await big.status).code).toBe(grpc.status.RESOURCE_EXHAUSTED);

    const again = open(client);
    again.call.write(hello());
    again.call.write(encodeFlowBatch(1, [record(9)], [Date.now() / 1000]));
    await until(async () => again.acks.find((m) => m.body === 'ack' && m.ack?.accepted === 1), 10_000, 'a new stream to work');
    again.call.end();
    const r = await getText(`http://127.0.0.1:${mport}/healthz`);
    expect(r.status).toBe(200);
    expect(det.child.exitCode).toBeNull();
  });
});
