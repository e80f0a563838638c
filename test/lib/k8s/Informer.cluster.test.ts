// The list-watch cache against the real test control plane.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Informer } from '../../../lib/k8s/Informer.js';
import type { KubeClient } from '../../../lib/k8s/KubeClient.js';
import type { KubeObject } from '../../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../../lib/k8s/resourcePath.js';
import { watchRestarts } from '../../../lib/metrics.js';
import { clientFor, createNamespace, deleteNamespace, testCluster, waitFor } from '../../operator/support/testCluster.js';

const cluster = testCluster();
/** Longer than any waitFor below, so a timeout reports what was missing. */
const TEST_TIMEOUT_MS = 180_000;

describe.skipIf(!cluster)('Informer against a real API server', () => {
  let client: KubeClient;
  let ns: string;

  beforeAll(async () => {
    client = clientFor(cluster!);
    ns = await createNamespace(client, 'nids-inf');
  });
  afterAll(async () => {
    if (client) await deleteNamespace(client, ns);
  }, TEST_TIMEOUT_MS);

  it('lists, then delivers adds, updates and deletes from the watch', async () => {
    const cm = (name: string, v: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns, labels: { t: 'inf' } }, data: { v } });
    await client.create(resourcePath('ConfigMap', ns), cm('before', '1'));
    const seen: string[] = [];
    const inf = new Informer<KubeObject & { data?: { v?: string } }>(client, resourcePath('ConfigMap', ns), { name: 'test-configmaps', labelSelector: 't=inf' });
    inf.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    inf.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
    inf.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await inf.start();
    expect(inf.hasSynced).toBe(true);
    expect(inf.get(`${ns}/before`)?.data?.v).toBe('1');
    await client.create(resourcePath('ConfigMap', ns), cm('after', '1'));
    await client.apply(resourcePath('ConfigMap', ns, 'after'), cm('after', '2'), 'netids-tests');
    await client.delete(resourcePath('ConfigMap', ns, 'before'));
    await waitFor('events', () => seen.length >= 4, 10_000);
    expect(seen).toEqual(['add before', 'add after', 'update after 2', 'delete before']);
    expect(inf.list().map((o) => o.metadata?.name)).toEqual(['after']);
    await inf.stop();
  }, TEST_TIMEOUT_MS);

  it('backs off instead of spinning when the watch fails at once', async () => {
    const name = `missing-${process.pid}`;
    const restarts = async () => (await watchRestarts.get()).values.filter((v) => v.labels.resource === name).reduce((s, v) => s + v.value, 0);
    // A resource that does not exist: every list fails with 404.
    const inf = new Informer(client, `/apis/nothing.netids.test/v1/namespaces/${ns}/things`, { name, backoffBaseMs: 100, backoffMaxMs: 1_000 });
    void inf.start();
    const t = Date.now();
    await waitFor('a few attempts', async () => (await restarts()) >= 3, 10_000, 50);
    await new Promise((r) => setTimeout(r, 2_000));
    const attempts = await restarts();
    const elapsed = Date.now() - t;
    await inf.stop();
    // Backoff 100, 200, 400, 800, 1000, ... ms: about 6 attempts in 2.7 s, where a tight loop makes hundreds.
    expect(attempts).toBeLessThanOrEqual(Math.ceil(elapsed / 1000) * 2 + 4);
    expect(inf.hasSynced).toBe(false);
  }, TEST_TIMEOUT_MS);
});
