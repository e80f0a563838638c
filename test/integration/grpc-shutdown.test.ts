import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, getText, kill, netids, type Proc, projectRoot, until } from './grpcProcesses.js';

// Graceful shutdown of real processes: SIGTERM to a detector ends its streams and the sensor
// moves on; SIGTERM to a sensor stops the replay, flushes flows and delivers the queue in time.

const pcap = resolve(projectRoot, 'test', 'fixtures', 'demo', 'demo.pcap');
const procs: Proc[] = [];
afterAll(async () => {
  for (const p of procs) kill(p, 'SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
});

function start(args: string[], name: string): Proc {
  const p = netids(args, name);
  procs.push(p);
  return p;
}

describe('graceful shutdown', () => {
  it('a detector drains on SIGTERM and the sensor continues on the other replica; the sensor flushes on SIGTERM', async () => {
    const [a, b, am, bm, sm] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const det = (port: number, mport: number, name: string): Proc =>
      start(['detector', '--insecure', '--listen', `127.0.0.1:${port}`, '--metrics-port', String(mport), '--detector-id', name], name);
    const da = det(a, am, 'da');
    const db = det(b, bm, 'db');
    await da.waitLog((l) => l.msg === 'detector service started');
    await db.waitLog((l) => l.msg === 'detector service started');
    const sensor = start(
      ['sensor', '--insecure', '--detectors', `127.0.0.1:${a},127.0.0.1:${b}`, '--pcap', pcap, '--pcap-speed', '10', '--metrics-port', String(sm), '--flush-timeout-ms', '3000'],
      'sensor',
    );
    const first = (await sensor.waitLog((l) => l.msg === 'streaming to detector')).target as string;
    await until(async () => (await getText(`http://127.0.0.1:${sm}/readyz`)).status === 200, 20_000, 'sensor ready');
    const victim = first.endsWith(`:${a}`) ? da : db;
    kill(victim, 'SIGTERM');
    expect(await victim.exited).toBe(0);
    expect(victim.logs.some((l) => l.msg === 'detector service stopped')).toBe(true);
    const ended = await sensor.waitLog((l) => l.msg === 'detector stream ended');
    expect(String(ended.reason)).toMatch(/shutting down|ended the stream|UNAVAILABLE|14/);
    await sensor.waitLog((l) => l.msg === 'streaming to detector' && l.target !== first, 20_000);

    kill(sensor, 'SIGTERM');
    const t = Date.now();
    expect(await sensor.exited).toBe(0);
    expect(Date.now() - t).toBeLessThan(10_000);
    const stopped = await sensor.waitLog((l) => l.msg === 'sensor stopped');
    expect(stopped.how).toBe('signal');
    const done = (await sensor.waitLog((l) => l.msg === 'delivered the replay')).counters as Record<string, number>;
    expect(done.acked + done.droppedQueueFull + done.droppedShutdown).toBe(done.queued);
    expect(done.droppedShutdown).toBe(0); // the surviving replica took everything within the deadline
  }, 120_000);
});
