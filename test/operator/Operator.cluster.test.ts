/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are untyped JSON in these assertions */
// The operator, in-process, against the real test control plane (kube-apiserver, controller
// manager with the garbage collector, scheduler, kwok fake nodes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FINALIZER_POD_READER, LABEL_MANAGED_BY, MANAGED_BY, NETIDS_API_VERSION, NETWORKIDS_KIND } from '../../lib/k8s/constants.js';
import { KubeApiError } from '../../lib/k8s/KubeApiError.js';
import type { KubeClient } from '../../lib/k8s/KubeClient.js';
import type { KubeObject } from '../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../lib/k8s/resourcePath.js';
import { StatusSummaryPatcher } from '../../detector/k8s/StatusSummaryPatcher.js';
import type { NetworkIDS } from '../../operator/api/NetworkIDS.js';
import type { Operator } from '../../operator/Operator.js';
import {
  applyNetworkIDS,
  clientFor,
  createNamespace,
  deleteNamespace,
  installCrds,
  kubectl,
  kwokTolerations,
  parseTable,
  startTestOperator,
  testCluster,
  waitFor,
} from './support/testCluster.js';

const cluster = testCluster();
/** Longer than any waitFor below, so a timeout reports what was missing. */
const TEST_TIMEOUT_MS = 180_000;
type Obj = KubeObject & { spec?: any; status?: any; data?: any };

describe.skipIf(!cluster)('operator against a real API server', () => {
  let client: KubeClient;
  let ns: string;
  const operators: Operator[] = [];

  const get = (kind: string, name: string) => client.getOrNull<Obj>(resourcePath(kind, ns, name));
  const nidsOf = (name: string) => client.get<NetworkIDS>(resourcePath('NetworkIDS', ns, name));
  const cond = (n: NetworkIDS, type: string) => n.status?.conditions?.find((c) => c.type === type);
  const baseSpec = {
    tolerations: kwokTolerations,
    detector: { replicas: 2, tolerations: kwokTolerations },
  };

  beforeAll(async () => {
    client = clientFor(cluster!);
    await installCrds(client);
    ns = await createNamespace(client, 'nids-op');
  });

  afterAll(async () => {
    await Promise.all(operators.map((o) => o.stop()));
    if (client) await deleteNamespace(client, ns);
  });

  async function operator(identity: string): Promise<Operator> {
    const op = await startTestOperator(cluster!, { leaseNamespace: ns, watchNamespace: ns, identity });
    operators.push(op);
    return op;
  }

  async function stopOperator(op: Operator): Promise<void> {
    await op.stop();
    operators.splice(operators.indexOf(op), 1);
  }

  it('refuses invalid specs with a message that says what is wrong', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ detector: { replicas: 0 } }, /spec\.detector\.replicas.*should be greater than or equal to 1/],
      [{ detector: { autoscaling: { minReplicas: 5, maxReplicas: 2 } } }, /autoscaling\.minReplicas must be less than or equal to autoscaling\.maxReplicas/],
      [{ exclusions: { cidrs: ['10.0.0.0/33'] } }, /spec\.exclusions\.cidrs\[0\].*cidr/],
      [{ training: { duration: '5m', samples: 1000 } }, /set either duration or samples, not both/],
      [{ model: { oneClassSvm: { nu: 0 } } }, /spec\.model\.oneClassSvm\.nu.*greater than 0/],
      [{ anomalies: { ttl: 'one day' } }, /spec\.anomalies\.ttl.*should match/],
      [{ imagePullPolicy: 'Sometimes' }, /spec\.imagePullPolicy.*Unsupported value: "Sometimes"/],
    ];
    for (const [spec, message] of cases) {
      const err = await applyNetworkIDS(client, ns, 'invalid', spec).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, JSON.stringify(spec)).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).statusCode).toBe(422);
      expect((err as KubeApiError).message).toMatch(message);
    }
    expect(await client.getOrNull(resourcePath('NetworkIDS', ns, 'invalid'))).toBeNull();
  }, TEST_TIMEOUT_MS);

  it('creates the sensor DaemonSet, detector Deployment, Services and ConfigMap, and becomes Ready', async () => {
    await operator('op-a');
    const created = await applyNetworkIDS(client, ns, 'ids', { ...baseSpec, bpfFilter: 'tcp', exclusions: { ports: [53] } });
    const uid = created.metadata?.uid;

    const ds = await waitFor('sensor DaemonSet', () => get('DaemonSet', 'ids-sensor'));
    expect(ds.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'NetworkIDS', name: 'ids', uid, controller: true });
    expect(ds.spec.template.spec.hostNetwork).toBe(true);
    expect(ds.spec.template.spec.containers[0].securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_RAW'] });
    const dep = await waitFor('detector Deployment', () => get('Deployment', 'ids-detector'));
    expect(dep.spec.replicas).toBe(2);
    expect(dep.metadata?.ownerReferences?.[0]?.uid).toBe(uid);
    const svc = await waitFor('Service', () => get('Service', 'ids-detector'));
    expect(svc.spec.ports.map((p: any) => p.port)).toEqual([9000, 9090]);
    expect((await waitFor('headless Service', () => get('Service', 'ids-detector-headless'))).spec.clusterIP).toBe('None');
    const cm = await waitFor('ConfigMap', () => get('ConfigMap', 'ids-config'));
    expect(cm.data['config.yaml']).toContain('filter: tcp');
    expect(await waitFor('PDB', () => get('PodDisruptionBudget', 'ids-detector'))).toBeTruthy();

    // kwok runs the pods on its three fake nodes and reports them ready.
    const ready = await waitFor(
      'Ready condition',
      async () => {
        const n = await nidsOf('ids');
        return cond(n, 'Ready')?.status === 'True' ? n : null;
      },
      150_000,
    );
    expect(ready.status?.observedGeneration).toBe(ready.metadata?.generation);
    expect(ready.status?.sensors).toEqual({ desired: 3, ready: 3, summary: '3/3' });
    expect(ready.status?.detector).toEqual({ replicas: 2, ready: 2, summary: '2/2' });
    for (const c of ready.status?.conditions ?? []) expect(c.observedGeneration).toBe(ready.metadata?.generation);
    expect(cond(ready, 'ModelTrained')?.status).toBe('Unknown');

    // Events were recorded for the transitions.
    const events = await waitFor('Ready event', async () => {
      const list = await client.list<Obj & { reason?: string; regarding?: { name?: string } }>(resourcePath('Event', ns));
      const mine = list.items.filter((e) => e.regarding?.name === 'ids');
      return mine.some((e) => e.reason === 'Ready') ? mine : null;
    });
    expect(events.length).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);

  it('follows a spec change: objects change, the config hash rolls the pods, observedGeneration follows', async () => {
    const before = await nidsOf('ids');
    const dsBefore = (await get('DaemonSet', 'ids-sensor'))!;
    const hashBefore = dsBefore.spec.template.metadata.annotations['netids.io/config-hash'];
    await applyNetworkIDS(client, ns, 'ids', { ...baseSpec, bpfFilter: 'udp', exclusions: { ports: [53] }, detector: { ...baseSpec.detector, replicas: 3 } });
    const after = await waitFor('observedGeneration to follow', async () => {
      const n = await nidsOf('ids');
      return n.metadata!.generation! > before.metadata!.generation! && n.status?.observedGeneration === n.metadata?.generation ? n : null;
    });
    expect(cond(after, 'Ready')?.observedGeneration).toBe(after.metadata?.generation);
    const cm = await get('ConfigMap', 'ids-config');
    expect(cm!.data['config.yaml']).toContain('filter: udp');
    const ds = await get('DaemonSet', 'ids-sensor');
    expect(ds!.spec.template.metadata.annotations['netids.io/config-hash']).not.toBe(hashBefore);
    expect((await get('Deployment', 'ids-detector'))!.spec.replicas).toBe(3);
    await waitFor('Ready with 3 detector replicas', async () => {
      const n = await nidsOf('ids');
      return cond(n, 'Ready')?.status === 'True' && n.status?.detector?.ready === 3;
    }, 150_000);

    // Autoscaling on: an HPA appears and the operator stops setting replicas; off: it goes away.
    await applyNetworkIDS(client, ns, 'ids', { ...baseSpec, bpfFilter: 'udp', exclusions: { ports: [53] }, detector: { tolerations: kwokTolerations, autoscaling: { minReplicas: 2, maxReplicas: 5 } } });
    const hpa = await waitFor('HPA', () => get('HorizontalPodAutoscaler', 'ids-detector'));
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 5 });
    await applyNetworkIDS(client, ns, 'ids', { ...baseSpec, bpfFilter: 'udp', exclusions: { ports: [53] }, detector: { ...baseSpec.detector, replicas: 3 } });
    await waitFor('HPA removed', async () => (await get('HorizontalPodAutoscaler', 'ids-detector')) === null);
  }, TEST_TIMEOUT_MS);

  it('leaves the detector-written status alone and derives ModelTrained from it', async () => {
    const patcher = new StatusSummaryPatcher({ client, namespace: ns, name: 'ids', minIntervalMs: 0 });
    patcher.setModel({ state: 'trained', version: 'm-abc', trainedAt: 1_700_000_000, samples: 5000 });
    patcher.setAnomalies({ total: 7, lastSeen: 1_700_000_100, byKind: { PortScan: 7 } });
    await patcher.flush();
    const n = await waitFor('ModelTrained', async () => {
      const x = await nidsOf('ids');
      return cond(x, 'ModelTrained')?.status === 'True' ? x : null;
    });
    expect(n.status?.model).toEqual({ state: 'trained', version: 'm-abc', trainedAt: '2023-11-14T22:13:20Z', samples: 5000 });
    expect(n.status?.anomalies).toEqual({ total: 7, lastSeen: '2023-11-14T22:15:00Z', byKind: { PortScan: 7 } });
    // A spec change makes the operator write status again; the detector's fields survive it.
    await applyNetworkIDS(client, ns, 'ids', { ...baseSpec, bpfFilter: 'icmp', exclusions: { ports: [53] }, detector: { ...baseSpec.detector, replicas: 3 } });
    const later = await waitFor('status after spec change', async () => {
      const x = await nidsOf('ids');
      return x.status?.observedGeneration === x.metadata?.generation ? x : null;
    });
    expect(later.status?.model?.version).toBe('m-abc');
    expect(later.status?.anomalies?.total).toBe(7);
    expect(later.status?.conditions?.length).toBe(4);
  }, TEST_TIMEOUT_MS);

  it('shows the printer columns in kubectl get nids', async () => {
    await waitFor('Ready again after the rollout', async () => cond(await nidsOf('ids'), 'Ready')?.status === 'True', 150_000);
    const out = await kubectl(cluster!, ['get', 'nids', '-n', ns]);
    expect(out.split('\n')[0].split(/\s{2,}/)).toEqual(['NAME', 'READY', 'SENSORS', 'MODEL', 'ANOMALIES', 'AGE']);
    expect(parseTable(out)).toEqual([{ NAME: 'ids', READY: 'True', SENSORS: '3/3', MODEL: 'trained', ANOMALIES: '7', AGE: expect.stringMatching(/^\d+[sm]/) }]);
    // The detector column follows the Deployment, which may still be rolling out.
    const wide = await waitFor('detector 3/3 in kubectl get nids -o wide', async () => {
      const row = parseTable(await kubectl(cluster!, ['get', 'nids', '-n', ns, '-o', 'wide']))[0];
      return row?.DETECTOR === '3/3' ? row : undefined;
    }, 150_000);
    expect(wide).toMatchObject({ DETECTOR: '3/3', 'MODEL-VERSION': 'm-abc' });
  }, TEST_TIMEOUT_MS);

  it('creates no duplicates and rolls nothing when the operator restarts', async () => {
    const uids = async () =>
      Object.fromEntries(
        await Promise.all(
          ['DaemonSet/ids-sensor', 'Deployment/ids-detector', 'Service/ids-detector', 'ConfigMap/ids-config'].map(async (k) => {
            const [kind, name] = k.split('/');
            return [k, (await get(kind, name))?.metadata?.uid] as const;
          }),
        ),
      );
    const before = await uids();
    const replicaSets = async () => (await client.list(resourcePath('ReplicaSet', ns))).items.map((r) => r.metadata?.uid).sort();
    const rsBefore = await replicaSets();
    const dsGen = (await get('DaemonSet', 'ids-sensor'))!.metadata?.generation;
    await Promise.all([...operators].map((o) => stopOperator(o)));
    const op = await operator('op-b');
    await waitFor('new operator leads and reconciles', async () => {
      const n = await nidsOf('ids');
      return op.isLeader && op.activeController && n.status?.observedGeneration === n.metadata?.generation;
    });
    // Give the new operator a full reconcile pass, then compare.
    await op.activeController!.reconcile({ namespace: ns, name: 'ids' }, new AbortController().signal);
    expect(await uids()).toEqual(before);
    expect((await get('DaemonSet', 'ids-sensor'))!.metadata?.generation).toBe(dsGen);
    expect(await replicaSets()).toEqual(rsBefore); // no new rollout
    const dsList = await client.list(resourcePath('DaemonSet', ns));
    const depList = await client.list(resourcePath('Deployment', ns));
    expect(dsList.items).toHaveLength(1);
    expect(depList.items).toHaveLength(1);
  }, TEST_TIMEOUT_MS);

  it('with two replicas, one leads; when it stops, the other takes over', async () => {
    await Promise.all([...operators].map((o) => stopOperator(o)));
    const a = await operator('replica-a');
    const b = await operator('replica-b');
    const leader = await waitFor('one leader', () => (a.isLeader !== b.isLeader ? (a.isLeader ? a : b) : null), 20_000);
    const follower = leader === a ? b : a;
    const lease = await client.get<Obj>(resourcePath('Lease', ns, 'netids-operator'));
    expect(lease.spec.holderIdentity).toBe(leader.identity);
    expect(follower.activeController).toBeNull();
    await stopOperator(leader);
    await waitFor('follower leads', () => follower.isLeader && follower.activeController !== null, 20_000);
    expect((await client.get<Obj>(resourcePath('Lease', ns, 'netids-operator'))).spec.holderIdentity).toBe(follower.identity);
    // And it reconciles: a spec change is picked up.
    await applyNetworkIDS(client, ns, 'ids', { ...baseSpec, bpfFilter: 'arp', exclusions: { ports: [53] }, detector: { ...baseSpec.detector, replicas: 3 } });
    await waitFor('new leader applies the change', async () => (await get('ConfigMap', 'ids-config'))?.data['config.yaml'].includes('filter: arp'));
  }, TEST_TIMEOUT_MS);

  it('lets the garbage collector delete everything it owned when the NetworkIDS is deleted', async () => {
    await client.delete(resourcePath('NetworkIDS', ns, 'ids'));
    await waitFor(
      'owned objects gone',
      async () => {
        const left = await Promise.all(
          [['DaemonSet', 'ids-sensor'], ['Deployment', 'ids-detector'], ['Service', 'ids-detector'], ['Service', 'ids-detector-headless'], ['ConfigMap', 'ids-config'], ['PodDisruptionBudget', 'ids-detector']].map(
            ([k, n]) => get(k, n),
          ),
        );
        return left.every((o) => o === null);
      },
      150_000,
    );
  }, TEST_TIMEOUT_MS);

  it('with a pod-reader ClusterRole, binds it to the detector cluster-wide under a finalizer, and deletes both with the NetworkIDS', async () => {
    await Promise.all([...operators].map((o) => stopOperator(o)));
    operators.push(await startTestOperator(cluster!, { leaseNamespace: ns, watchNamespace: ns, identity: 'pod-reader', podReaderClusterRole: 'netids-test-pod-reader' }));
    await applyNetworkIDS(client, ns, 'readers', baseSpec);
    const bindingPath = resourcePath('ClusterRoleBinding', undefined, `netids-pod-reader.${ns}.readers`);
    const binding = await waitFor('the ClusterRoleBinding', () => client.getOrNull<Obj & { roleRef?: any; subjects?: any }>(bindingPath), 30_000);
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'netids-test-pod-reader' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'readers-detector', namespace: ns }]);
    expect((await nidsOf('readers')).metadata?.finalizers).toEqual([FINALIZER_POD_READER]);
    await client.delete(resourcePath('NetworkIDS', ns, 'readers'));
    await waitFor('the NetworkIDS gone (finalizer released)', async () => (await get('NetworkIDS', 'readers')) === null, 30_000);
    expect(await client.getOrNull(bindingPath)).toBeNull();

    // A binding applied again after that (by a replica still reconciling after losing its lease,
    // say) is deleted by the next reconcile of the gone NetworkIDS: here one set off by an object
    // claiming it as owner.
    await client.apply(bindingPath, { ...binding, metadata: { name: binding.metadata?.name, labels: binding.metadata?.labels } }, 'netids-test');
    await client.apply(resourcePath('Deployment', ns, 'readers-orphan'), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'readers-orphan',
        namespace: ns,
        labels: { [LABEL_MANAGED_BY]: MANAGED_BY },
        ownerReferences: [{ apiVersion: NETIDS_API_VERSION, kind: NETWORKIDS_KIND, name: 'readers', uid: '00000000-0000-0000-0000-000000000001', controller: true }],
      },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'readers-orphan' } },
        template: { metadata: { labels: { app: 'readers-orphan' } }, spec: { containers: [{ name: 'c', image: 'none' }] } },
      },
    }, 'netids-test');
    await waitFor('the stray binding deleted', async () => (await client.getOrNull(bindingPath)) === null, 30_000);
  }, TEST_TIMEOUT_MS);
});
