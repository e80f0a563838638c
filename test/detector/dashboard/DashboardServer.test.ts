import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../lib/anomaly.js';
import { registry } from '../../../lib/metrics.js';
import { DashboardFeed, type RunStats } from '../../../detector/dashboard/DashboardFeed.js';
import { DashboardServer } from '../../../detector/dashboard/DashboardServer.js';
import type { ModelInfo } from '../../../detector/Detector.js';
import { collectSse } from './sseClient.js';
import { sampleAnomalies } from './sampleAnomalies.js';

// The server and feed are real; the anomalies and model info are plain data (the real detector
// drives them in test/integration/runFile.test.ts and test/e2e/dashboard.test.ts).
const anomalies: Anomaly[] = sampleAnomalies();
const model: ModelInfo = { state: 'trained', progress: 1, version: 'm-0123456789ab', trainedAt: 90, samples: 500, featureSchemaVersion: 1, threshold: 0.8 };
const feed = new DashboardFeed({
  info: { node: 'n1', mode: 'file', source: 'x.pcap', startedAt: 1 },
  health: () => ({ packets: 10, bytes: 1000, drops: 0, skipped: 1, flowsActive: 2, flowsEmitted: 3, fileProgress: 0.5 }),
  anomalies: () => anomalies,
  model: () => model,
});
let server: DashboardServer;
let base: string;

beforeAll(async () => {
  server = new DashboardServer(feed, { bind: '127.0.0.1', port: 0, registry });
  base = await server.listen();
});
afterAll(async () => {
  await server.close();
});

async function get(path: string): Promise<{ status: number; type: string; body: string; headers: Headers }> {
  const res = await fetch(new URL(path, base));
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text(), headers: res.headers };
}

describe('DashboardServer', () => {
  it('binds where it was told and reports its URL', () => {
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('serves the page and its assets as plain files, with a strict content policy', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.body).toContain('<canvas id="chart"');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    for (const asset of ['/assets/app.js', '/assets/style.css', '/assets/favicon.svg']) {
      const r = await get(asset);
      expect(r.status, asset).toBe(200);
    }
    expect((await get('/assets/app.js')).type).toContain('javascript');
  });

  it('does not serve files outside the assets', async () => {
    expect((await get('/assets/../../package.json')).status).toBe(404);
    expect((await get('/assets/%2e%2e%2fDashboardServer.ts')).status).toBe(404);
    expect((await get('/nope')).status).toBe(404);
  });

  it('answers only GET and HEAD', async () => {
    const res = await fetch(new URL('/api/anomalies', base), { method: 'POST', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('lists anomalies newest first, with filters; /anomalies is the same', async () => {
    const all = JSON.parse((await get('/api/anomalies')).body) as { anomalies: Anomaly[]; total: number; returned: number };
    expect(all.total).toBe(3);
    expect(all.anomalies.map((a) => a.kind)).toEqual(['Unknown', 'SynFlood', 'PortScan']);
    const legacy = JSON.parse((await get('/anomalies')).body) as { anomalies: Anomaly[] };
    expect(legacy.anomalies).toEqual(all.anomalies);
    const scans = JSON.parse((await get('/api/anomalies?kind=PortScan')).body) as { anomalies: Anomaly[] };
    expect(scans.anomalies.map((a) => a.id)).toEqual(['portscan-10-0-0-66-10-0-0-21-100']);
    const recent = JSON.parse((await get('/api/anomalies?since=200&limit=1')).body) as { anomalies: Anomaly[]; returned: number };
    expect(recent.returned).toBe(1);
    expect(recent.anomalies[0].lastSeen).toBe(300.5);
  });

  it.each([
    ['since=today', 'since must be a time in epoch seconds'],
    ['kind=Nope', 'kind must be one of'],
    ['limit=0', 'limit must be a whole number from 1 to 10000'],
    ['limit=99999', 'limit must be'],
    ['sort=score', 'unknown parameter "sort"'],
  ])('answers 400 with a message for %s', async (query, message) => {
    for (const path of ['/api/anomalies', '/api/anomalies.csv']) {
      const r = await get(`${path}?${query}`);
      expect(r.status).toBe(400);
      expect(r.type).toContain('application/json');
      expect((JSON.parse(r.body) as { error: string }).error).toContain(message);
    }
  });

  it('exports CSV as an attachment, with the same filters', async () => {
    const r = await get('/api/anomalies.csv?kind=SynFlood');
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/csv');
    expect(r.headers.get('content-disposition')).toContain('attachment; filename="netids-anomalies.csv"');
    const lines = r.body.trimEnd().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('"SYN packets: 1, usually 0, ""quoted"", with, commas"');
  });

  it('serves stats, model, kinds, health and Prometheus metrics', async () => {
    const stats = JSON.parse((await get('/api/stats')).body) as RunStats;
    expect(stats.node).toBe('n1');
    expect(stats.health.packets).toBe(10);
    expect(stats.threshold).toBe(0.8);
    expect(JSON.parse((await get('/api/model')).body)).toEqual(model);
    expect(JSON.parse((await get('/api/kinds')).body)).toContain('HostSweep');
    expect(JSON.parse((await get('/healthz')).body)).toEqual({ status: 'ok', model: 'trained', finished: false });
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('netids_packets_captured_total');
  });

  it('streams a snapshot, then new anomalies at once and updates at the next tick', async () => {
    const extra: Anomaly = { ...sampleAnomalies()[0], id: 'hostsweep-x', kind: 'HostSweep', dst: '*', lastSeen: 400, count: 1 };
    const stream = collectSse(new URL('/api/events', base).href, (ev) => ev.some((e) => e.event === 'stats'));
    // Wait until the client is connected (its snapshot has been sent) before publishing.
    const deadline = Date.now() + 10_000;
    while (server.eventClients === 0) {
      if (Date.now() > deadline) throw new Error('the event stream never connected');
      await new Promise((r) => setImmediate(r));
    }
    anomalies.push(extra);
    feed.anomaly(extra, true);
    const updated = { ...extra, count: 7 };
    feed.anomaly(updated, false);
    feed.anomaly({ ...extra, count: 9 }, false);
    feed.tick();
    const events = await stream;
    expect(events[0].event).toBe('snapshot');
    const snap = events[0].data as { anomalies: Anomaly[]; model: ModelInfo; stats: RunStats };
    expect(snap.anomalies).toHaveLength(3);
    expect(snap.model.version).toBe('m-0123456789ab');
    const a = events.filter((e) => e.event === 'anomaly').map((e) => e.data as { anomaly: Anomaly; isNew: boolean });
    expect(a.map((x) => [x.anomaly.id, x.isNew, x.anomaly.count])).toEqual([
      ['hostsweep-x', true, 1],
      ['hostsweep-x', false, 9],
    ]);
  });

  it('explains a port that is taken', async () => {
    const other = new DashboardServer(feed, { bind: '127.0.0.1', port: server.port, registry });
    await expect(other.listen()).rejects.toThrow(/already in use.*--port/);
  });
});
