import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, getText, kill, metric, netids, type Proc, projectRoot, until } from './grpcProcesses.js';

// Real processes on loopback: a trainer and a follower detector, a sensor replaying the demo
// capture into them; the detector the sensor streams to is killed mid-stream, then restarted.
// Needs `npx tsc -p tsconfig.json` first (spawns dist/cli/main.js).

const pcap = resolve(projectRoot, 'test', 'fixtures', 'demo', 'demo.pcap');
const procs: Proc[] = [];
let dir = '';

function detector(name: string, grpcPort: number, metricsPort: number, extra: string[]): Proc {
  const p = netids(
    ['detector', '--insecure', '--listen', `127.0.0.1:${grpcPort}`, '--metrics-port', String(metricsPort), '--detector-id', name,
      '--training-duration', '60', '--training-min-samples', '50', '--model-poll-ms', '300', ...extra],
    name,
  );
  procs.push(p);
  return p;
}

async function ready(metricsPort: number): Promise<Record<string, unknown>> {
  const r = await getText(`http://127.0.0.1:${metricsPort}/readyz`);
  return JSON.parse(r.text) as Record<string, unknown>;
}

describe('gRPC transport between real sensor and detector processes', () => {
  const ports = { a: 0, am: 0, b: 0, bm: 0, sm: 0 };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'netids-grpc-'));
    for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  });
  afterAll(async () => {
    for (const p of procs) kill(p, 'SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails over to the other replica with a counted, bounded loss, and a restarted replica comes back with the shared model', async () => {
    const modelFile = join(dir, 'model.json');
    const trainerArgs = ['--role', 'trainer', '--model-file', modelFile, '--model-source', `127.0.0.1:${ports.b}`];
    const followerArgs = ['--role', 'follower', '--model-source', `127.0.0.1:${ports.a}`];
    let a = detector('det-a', ports.a, ports.am, trainerArgs);
    let b = detector('det-b', ports.b, ports.bm, followerArgs);
    await a.waitLog((l) => l.msg === 'detector service started');
    await b.waitLog((l) => l.msg === 'detector service started');

    // 1. Teach the trainer with one fast replay; the follower fetches the model.
    const teach = netids(['sensor', '--insecure', '--detectors', `127.0.0.1:${ports.a}`, '--pcap', pcap, '--metrics-port', '0', '--node', 'teach'], 'teach');
    procs.push(teach);
    expect(await teach.exited).toBe(0);
    const trained = await until(async () => {
      const r = await ready(ports.am);
      return r.model === 'trained' ? r : null;
    }, 60_000, 'the trainer to train');
    const version = trained.version as string;
    expect(version).toMatch(/^m-/);
    await until(async () => (await ready(ports.bm)).version === version, 20_000, 'the follower to load the shared model');

    // 2. A paced replay (about 10 s) to both replicas; kill the one it streams to mid-stream.
    const sensor = netids(
      ['sensor', '--insecure', '--detectors', `127.0.0.1:${ports.a},127.0.0.1:${ports.b}`, '--pcap', pcap, '--pcap-speed', '20',
        '--metrics-port', String(ports.sm), '--node', 'node-1', '--batch-interval-ms', '50'],
      'sensor',
    );
    procs.push(sensor);
    const connected = (await sensor.waitLog((l) => l.msg === 'streaming to detector')).target as string;
    const victimIsA = connected.endsWith(`:${ports.a}`);
    // Let some batches through, then kill the victim without warning.
    await until(async () => metric((await getText(`http://127.0.0.1:${ports.sm}/metrics`)).text, 'netids_vectors_sent_total') > 0, 30_000, 'first batches delivered');
    kill(victimIsA ? a : b, 'SIGKILL');
    await (victimIsA ? a : b).exited;

    // The sensor moves to the other replica and finishes the replay without crashing.
    await sensor.waitLog((l) => l.msg === 'streaming to detector' && l.target !== connected, 30_000);
    expect(await sensor.exited).toBe(0);
    const done = (await sensor.waitLog((l) => l.msg === 'delivered the replay')).counters as Record<string, number>;
    console.log('failover counters', JSON.stringify(done));
    // Every record is accounted for: delivered, or dropped and counted; the loss is bounded by the queue.
    expect(done.acked + done.droppedQueueFull + done.droppedShutdown).toBe(done.queued);
    expect(done.droppedQueueFull + done.droppedShutdown).toBeLessThanOrEqual(65_536);
    expect(done.streamFailures).toBeGreaterThanOrEqual(1);
    expect(done.acked).toBeGreaterThan(0);
    const survivor = victimIsA ? ports.bm : ports.am;
    const survivorMetrics = (await getText(`http://127.0.0.1:${survivor}/metrics`)).text;
    expect(metric(survivorMetrics, 'netids_vectors_scored_total')).toBeGreaterThan(0);

    // 3. Restart the killed replica: it comes back with the shared model (from its file or its peer).
    if (victimIsA) a = detector('det-a', ports.a, ports.am, trainerArgs);
    else b = detector('det-b', ports.b, ports.bm, followerArgs);
    const back = await until(async () => {
      const r = await ready(victimIsA ? ports.am : ports.bm);
      return r.version === version ? r : null;
    }, 30_000, 'the restarted replica to use the shared model');
    expect(back.model).toBe('trained');
  }, 180_000);
});
