import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { Detector } from '../../../detector/Detector.js';
import { FlowIngestServer } from '../../../detector/server/FlowIngestServer.js';
import { createLogger } from '../../../lib/logger.js';
import { FEATURE_COUNT } from '../../../sensor/features/schema.js';
import type { FlowRecord } from '../../../sensor/flows/FlowRecord.js';
import { FlowStreamClient, type FlowStreamClientOptions } from '../../../sensor/transport/FlowStreamClient.js';
import { freePort, until } from '../../integration/grpcProcesses.js';

const log = createLogger('silent');
const rec = (i: number): FlowRecord => ({
  src: '10.1.0.1', dst: '10.1.0.2', srcPort: 1024 + (i % 60000), dstPort: 443, protocol: 6, firstSeen: 1_700_000_000 + i, lastSeen: 1_700_000_001 + i,
  endReason: 'fin', features: new Float64Array(FEATURE_COUNT).fill(i % 5),
});

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
});

async function server(credit = 8): Promise<{ server: FlowIngestServer; port: number; detector: Detector }> {
  const detector = new Detector({ role: 'trainer' });
  const s = new FlowIngestServer({ target: detector, detectorId: 'unit', credit, logger: log });
  const port = await s.start('127.0.0.1:0', grpc.ServerCredentials.createInsecure());
  cleanup.push(() => s.stop(500));
  return { server: s, port, detector };
}

function client(endpoints: string[], over: Partial<FlowStreamClientOptions> = {}): FlowStreamClient {
  const c = new FlowStreamClient({ endpoints, credentials: grpc.credentials.createInsecure(), sensorId: 'unit', node: 'unit-node', logger: log, backoffMinMs: 20, backoffMaxMs: 200, ...over });
  cleanup.push(() => c.close(200));
  return c;
}

describe('FlowStreamClient against a real FlowIngestServer and Detector', () => {
  it('batches by size and by time, and every record is acknowledged', async () => {
    const { server: s, port, detector } = await server();
    const sizes: number[] = [];
    s.on('batch', (b: { records: FlowRecord[] }) => sizes.push(b.records.length));
    const c = client([`127.0.0.1:${port}`], { batchSize: 100, batchIntervalMs: 50 });
    c.start();
    await until(async () => c.connected, 10_000, 'connect');
    for (let i = 0; i < 250; i++) c.send(rec(i));
    await until(async () => c.counters.acked === 250, 10_000, 'all acknowledged');
    expect(sizes).toEqual([100, 100, 50]); // the last, partial batch left after batchIntervalMs
    expect(detector.counters.received).toBe(250);
  });

  it('bounds the queue: the oldest records are dropped and counted while no detector is reachable', async () => {
    const { port } = await server();
    const c = client([`127.0.0.1:${port}`], { queueSize: 100, batchSize: 10 });
    for (let i = 0; i < 250; i++) c.send(rec(i));
    expect(c.counters.droppedQueueFull).toBe(150);
    expect(c.queued).toBe(100);
    c.start();
    await until(async () => c.counters.acked === 100, 10_000, 'the newest 100 delivered');
  });

  it('never has more batches in flight than the detector granted', async () => {
    const { server: s, port } = await server(1);
    const c = client([`127.0.0.1:${port}`], { batchSize: 50 });
    let worst = 0;
    s.on('batch', () => (worst = Math.max(worst, c.unacknowledged)));
    c.start();
    await until(async () => c.connected, 10_000, 'connect');
    for (let i = 0; i < 2000; i++) c.send(rec(i));
    await until(async () => c.counters.acked === 2000, 10_000, 'all acknowledged');
    expect(worst).toBeLessThanOrEqual(50);
    expect(worst).toBeGreaterThan(0);
  });

  it('moves past an endpoint that is down and re-sends what was not acknowledged when a stream dies', async () => {
    const dead = await freePort();
    const first = await server();
    const c = client([`127.0.0.1:${dead}`, `127.0.0.1:${first.port}`], { batchSize: 100, batchIntervalMs: 20 });
    c.start();
    await until(async () => c.connected, 10_000, 'connect to the live endpoint');
    for (let i = 0; i < 500; i++) c.send(rec(i));
    await until(async () => c.counters.acked === 500, 10_000, 'delivered');
    // The detector goes away; a second one appears at the dead endpoint's port.
    await first.server.stop(100);
    const second = new FlowIngestServer({ target: new Detector({ role: 'trainer' }), detectorId: 'second', logger: log });
    await second.start(`127.0.0.1:${dead}`, grpc.ServerCredentials.createInsecure());
    cleanup.push(() => second.stop(500));
    for (let i = 0; i < 300; i++) c.send(rec(i));
    await until(async () => c.counters.acked === 800, 20_000, 'delivered to the second detector');
    expect(c.counters.streamFailures).toBeGreaterThanOrEqual(1);
    expect(c.counters.droppedQueueFull + c.counters.droppedShutdown).toBe(0);
  });

  it('close() keeps its deadline when no detector answers, counting what is left', async () => {
    const dead = await freePort();
    const c = client([`127.0.0.1:${dead}`]);
    c.start();
    for (let i = 0; i < 30; i++) c.send(rec(i));
    const t = Date.now();
    expect(await c.close(300)).toBe(30);
    expect(Date.now() - t).toBeLessThan(2000);
    expect(c.counters.droppedShutdown).toBe(30);
    c.send(rec(1));
    expect(c.counters.droppedShutdown).toBe(31);
  });
});

