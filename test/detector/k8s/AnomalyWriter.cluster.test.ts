// The detector's Anomaly write path against the real test control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Anomaly } from '../../../lib/anomaly.js';
import type { KubeClient } from '../../../lib/k8s/KubeClient.js';
import type { KubeObject } from '../../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../../lib/k8s/resourcePath.js';
import { AnomalyWriter, type AnomalyWriterOptions } from '../../../detector/k8s/AnomalyWriter.js';
import { anomalyResourceName } from '../../../detector/k8s/anomalyResourceName.js';
import { PodResolver } from '../../../detector/k8s/PodResolver.js';
import { StatusSummaryPatcher } from '../../../detector/k8s/StatusSummaryPatcher.js';
import type { NetworkIDS } from '../../../operator/api/NetworkIDS.js';
import {
  applyNetworkIDS,
  clientFor,
  createNamespace,
  deleteNamespace,
  installCrds,
  kubectl,
  kwokTolerations,
  parseTable,
  testCluster,
  testLogger,
  waitFor,
} from '../../operator/support/testCluster.js';

const cluster = testCluster();
/** Longer than any waitFor below, so a timeout reports what was missing. */
const TEST_TIMEOUT_MS = 180_000;
type AnomalyResource = KubeObject & { spec: Anomaly };

let seq = 0;
function anomaly(over: Partial<Anomaly> = {}): Anomaly {
  const src = over.src ?? `10.1.0.${++seq % 250}`;
  const kind = over.kind ?? 'PortScan';
  return {
    id: `${kind}|${src}`,
    firstSeen: 1_700_000_000,
    lastSeen: 1_700_000_010,
    count: 1,
    src,
    dst: '10.2.0.1',
    srcPort: 0,
    dstPort: 0,
    protocol: 'tcp',
    node: 'kwok-node-0',
    kind,
    score: 0.9,
    models: ['iforest'],
    reasons: [{ feature: 'dst_ports_10s', value: 40, baselineP50: 1, baselineP99: 3, text: 'distinct destination ports (10 s): 40, usually 1 (p99 3)' }],
    ...over,
  };
}

describe.skipIf(!cluster)('AnomalyWriter against a real API server', () => {
  let client: KubeClient;
  let ns: string;
  let owner: KubeObject;
  const writers: AnomalyWriter[] = [];

  const list = async () => (await client.list<AnomalyResource>(resourcePath('Anomaly', ns))).items;
  const clear = async () => {
    for (const a of await list()) await client.delete(resourcePath('Anomaly', ns, a.metadata?.name));
    await waitFor('no anomalies', async () => (await list()).length === 0);
  };
  function writer(over: Partial<AnomalyWriterOptions> = {}): AnomalyWriter {
    const w = new AnomalyWriter({ client, namespace: ns, networkIDS: 'ids', writesPerMinute: 6000, maxKept: 100, ttlSeconds: 1e9, pruneIntervalMs: 3_600_000, logger: testLogger, ...over });
    writers.push(w);
    return w;
  }

  beforeAll(async () => {
    client = clientFor(cluster!);
    await installCrds(client);
    ns = await createNamespace(client, 'nids-anom');
    owner = await applyNetworkIDS(client, ns, 'ids', { tolerations: kwokTolerations });
  });

  afterAll(async () => {
    await Promise.all(writers.map((w) => w.stop()));
    if (client) await deleteNamespace(client, ns);
  }, TEST_TIMEOUT_MS);

  it('turns a flood of repeats into one resource with the latest count and lastSeen, owned by the NetworkIDS', async () => {
    const w = writer();
    await w.start();
    for (let i = 1; i <= 500; i++) w.submit(anomaly({ src: '10.9.9.9', count: i, lastSeen: 1_700_000_000 + i }));
    expect(await w.drain(20_000)).toBe(true);
    const items = await list();
    expect(items).toHaveLength(1);
    const a = items[0];
    expect(a.metadata?.name).toBe(anomalyResourceName('PortScan', 'PortScan|10.9.9.9'));
    expect(a.spec.count).toBe(500);
    expect(a.spec.lastSeen).toBe(1_700_000_500);
    expect(a.metadata?.ownerReferences).toEqual([{ apiVersion: 'netids.io/v1alpha1', kind: 'NetworkIDS', name: 'ids', uid: owner.metadata?.uid }]);
    expect(a.metadata?.labels).toMatchObject({ 'netids.io/networkids': 'ids', 'netids.io/kind': 'PortScan' });
    const s = w.stats();
    expect(s.created).toBe(1);
    expect(s.created + s.updated).toBeLessThan(500); // most repeats were coalesced
    expect(s.coalesced).toBeGreaterThan(0);

    // A repeat from another writer (a restart, another replica) updates, never goes backwards.
    const w2 = writer();
    await w2.start();
    w2.submit(anomaly({ src: '10.9.9.9', count: 3, lastSeen: 1_700_000_100, firstSeen: 1_699_999_000 }));
    expect(await w2.drain(10_000)).toBe(true);
    const again = (await list())[0];
    expect(again.metadata?.uid).toBe(a.metadata?.uid);
    expect(again.spec).toMatchObject({ count: 500, lastSeen: 1_700_000_500, firstSeen: 1_699_999_000 });
    expect(w2.stats()).toMatchObject({ created: 0, updated: 1 });
    await Promise.all([w.stop(), w2.stop()]);
    await clear();
  }, TEST_TIMEOUT_MS);

  it('keeps to writesPerMinute, writes the rest later, and counts what overflows', async () => {
    // 600 a minute = 10 a second, burst 5: 25 distinct anomalies take at least 2 s.
    const w = writer({ writesPerMinute: 600, burst: 5, maxPending: 25 });
    await w.start();
    const started = Date.now();
    for (let i = 0; i < 40; i++) w.submit(anomaly({ src: `10.3.0.${i}` }));
    expect(w.stats().dropped.overflow).toBe(15);
    await waitFor('first burst', () => w.stats().created >= 5, 5_000, 20);
    expect(w.stats().created).toBeLessThanOrEqual(7);
    expect(await w.drain(20_000)).toBe(true);
    const elapsed = Date.now() - started;
    expect(w.stats().created).toBe(25);
    expect(elapsed).toBeGreaterThanOrEqual(1_800);
    expect(await list()).toHaveLength(25);
    await w.stop();
    await clear();
  }, TEST_TIMEOUT_MS);

  it('prunes beyond maxKept (oldest lastSeen first) and past the TTL, and reports the summary in status', async () => {
    const status = new StatusSummaryPatcher({ client, namespace: ns, name: 'ids', minIntervalMs: 0 });
    const now = Math.floor(Date.now() / 1000);
    const w = writer({ maxKept: 4, ttlSeconds: 3600, status });
    await w.start();
    // Two expired, six fresh with increasing lastSeen.
    w.submit(anomaly({ src: '10.4.0.100', lastSeen: now - 7200, firstSeen: now - 7300 }));
    w.submit(anomaly({ src: '10.4.0.101', lastSeen: now - 7100, firstSeen: now - 7300, kind: 'HostSweep', dst: '*' }));
    for (let i = 0; i < 6; i++) w.submit(anomaly({ src: `10.4.0.${i}`, lastSeen: now - 60 + i, firstSeen: now - 120, kind: i % 2 ? 'SynFlood' : 'PortScan' }));
    expect(await w.drain(10_000)).toBe(true);
    await w.prune();
    const kept = await list();
    expect(kept.map((a) => a.spec.src).sort()).toEqual(['10.4.0.2', '10.4.0.3', '10.4.0.4', '10.4.0.5']);
    expect(w.stats().deleted).toBe(4);
    await status.flush();
    const n = await client.get<NetworkIDS>(resourcePath('NetworkIDS', ns, 'ids'));
    expect(n.status?.anomalies).toEqual({ total: 4, byKind: { PortScan: 2, SynFlood: 2 }, lastSeen: new Date((now - 55) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z') });
    await w.stop();
  }, TEST_TIMEOUT_MS);

  it('shows the printer columns in kubectl get anomalies -o wide', async () => {
    const out = await kubectl(cluster!, ['get', 'anomalies', '-n', ns, '-o', 'wide', '--sort-by', '.spec.src']);
    expect(out.split('\n')[0].split(/\s{2,}/)).toEqual(['NAME', 'KIND', 'SOURCE', 'DESTINATION', 'SCORE', 'COUNT', 'AGE', 'SOURCE POD', 'DEST POD', 'NODE']);
    const rows = parseTable(out);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({
      NAME: anomalyResourceName('PortScan', 'PortScan|10.4.0.2'),
      KIND: 'PortScan',
      SOURCE: '10.4.0.2',
      DESTINATION: '10.2.0.1',
      SCORE: '0.9',
      COUNT: '1',
      AGE: expect.stringMatching(/^\d+[sm]/),
      'SOURCE POD': '',
      'DEST POD': '',
      NODE: 'kwok-node-0',
    });
  }, TEST_TIMEOUT_MS);

  it('names the pods behind addresses, leaving host-network pods out', async () => {
    await clear();
    const pod = (name: string, hostNetwork: boolean) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: { nodeName: 'kwok-node-1', hostNetwork, tolerations: kwokTolerations, containers: [{ name: 'c', image: 'example.invalid/none' }] },
    });
    await client.create(resourcePath('Pod', ns), pod('web', false));
    await client.create(resourcePath('Pod', ns), pod('hostnet', true));
    const ipOf = (name: string) =>
      waitFor(`IP of ${name}`, async () => (await client.get<KubeObject & { status?: { podIP?: string } }>(resourcePath('Pod', ns, name))).status?.podIP, 60_000);
    const webIp = await ipOf('web');
    const hostIp = await ipOf('hostnet');
    expect(webIp).not.toBe(hostIp);

    const resolver = new PodResolver({ client, logger: testLogger });
    await resolver.start();
    try {
      await waitFor('web resolved', () => resolver.resolve(webIp) === `${ns}/web`, 20_000);
      expect(resolver.resolve(hostIp)).toBeUndefined();
      const w = writer({ podResolver: resolver });
      await w.start();
      w.submit(anomaly({ src: webIp, dst: hostIp }));
      expect(await w.drain(10_000)).toBe(true);
      const [a] = await list();
      expect(a.spec.srcPod).toBe(`${ns}/web`);
      expect(a.spec.dstPod).toBeUndefined();
      // A deleted pod stops resolving.
      await client.delete(`${resourcePath('Pod', ns, 'web')}?gracePeriodSeconds=0`);
      await waitFor('web forgotten', () => resolver.resolve(webIp) === undefined, 30_000);
      await w.stop();
    } finally {
      await resolver.stop();
    }
  }, TEST_TIMEOUT_MS);
});
