// The netids chart on the real test control plane (test/cluster: kube-apiserver, controller
// manager, scheduler, etcd; kwok fakes the nodes and the pods on them, so no container runs):
// `helm install` creates the CRDs, the operator Deployment and its RBAC; the real operator
// process then runs here with exactly the Deployment's arguments and the chart's RBAC (a client
// certificate for the operator's ServiceAccount user), reconciles a NetworkIDS, and the detector's
// and sensor's permissions are checked with `kubectl auth can-i`. `helm uninstall` removes what
// the chart made and keeps the CRDs.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Manifest, chartDir, parseManifests, projectRoot } from './Helm.js';
import { waitFor as pollUntil } from '../e2e/bed/waitFor.js';

const cluster = inject('cluster');
// Short names: the operator's user name (system:serviceaccount:NS:SA) must fit a certificate's
// 64-character common name.
const release = 'nchart';
const ns = 'nchart';
const fullname = `${release}-netids`;
const operatorSa = `${fullname}-operator`;
const detectorRole = `${fullname}-detector`;
const podReaderRole = `${fullname}-pod-reader`;
const nidsName = 'chart-ids';
const exampleName = 'chart-example';
const entry = path.join(projectRoot, 'bin', 'netids.js');
const built = existsSync(path.join(projectRoot, 'dist', 'cli', 'main.js'));

interface Opts {
  input?: string;
  kubeconfig?: string;
}

function tool(name: 'kubectl' | 'helm', args: string[], o: Opts = {}): Promise<string> {
  if (!cluster) throw new Error('no cluster');
  const bin = path.join(cluster.binDir, name);
  const kc = name === 'kubectl' ? ['--kubeconfig', o.kubeconfig ?? cluster.kubeconfig] : ['--kubeconfig', cluster.kubeconfig];
  return new Promise((resolve, reject) => {
    const child = execFile(bin, [...kc, ...args], { timeout: 180_000, maxBuffer: 32 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${name} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (o.input !== undefined) child.stdin?.end(o.input);
  });
}
const kubectl = (args: string[], o?: Opts) => tool('kubectl', args, o);
const helm = (args: string[], o?: Opts) => tool('helm', args, o);
const getJson = async <T>(args: string[]) => JSON.parse(await kubectl(['get', ...args, '-o', 'json'])) as T;
const exists = async (args: string[]) => (await kubectl(['get', ...args, '--ignore-not-found', '-o', 'name'])).trim() !== '';

/** The bed's poll (waitFor), every 500 ms, 60 s unless told. */
const waitFor = <T>(what: string, check: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> => pollUntil(what, check, ms, 500);

/** `kubectl auth can-i` as a ServiceAccount (impersonated by the admin): exit 0 "yes", exit 1 "no". */
function canI(sa: string, verb: string, resource: string, namespace: string): Promise<boolean> {
  if (!cluster) throw new Error('no cluster');
  // `networkids.netids.io/status` → the resource with --subresource=status.
  const [res, sub] = resource.split('/');
  const args = ['--kubeconfig', cluster.kubeconfig, 'auth', 'can-i', verb, res, '-n', namespace, `--as=system:serviceaccount:${ns}:${sa}`];
  if (sub) args.push(`--subresource=${sub}`);
  return new Promise((resolve, reject) => {
    execFile(path.join(cluster.binDir, 'kubectl'), args, { timeout: 60_000 }, (err, stdout, stderr) => {
      if (stdout.trim() === 'yes' && !err) resolve(true);
      else if (stdout.trim() === 'no') resolve(false);
      else reject(new Error(`kubectl auth can-i ${verb} ${resource}: ${stderr || err?.message}`));
    });
  });
}

describe.skipIf(!cluster)('helm install on the test control plane', () => {
  let operator: ChildProcess | null = null;
  let operatorLog = '';

  beforeAll(async () => {
    await helm(['uninstall', release, '-n', ns, '--ignore-not-found', '--wait']).catch(() => undefined);
    // CRDs applied by hand (other tests use `kubectl apply -f crds/`) are adopted by the release,
    // the documented Helm way: ownership annotations and label. The chart keeps them on uninstall.
    for (const crd of ['networkids.netids.io', 'anomalies.netids.io']) {
      if (!(await exists(['crd', crd]))) continue;
      await kubectl(['annotate', 'crd', crd, `meta.helm.sh/release-name=${release}`, `meta.helm.sh/release-namespace=${ns}`, '--overwrite']);
      await kubectl(['label', 'crd', crd, 'app.kubernetes.io/managed-by=Helm', '--overwrite']);
    }
  }, 180_000);

  afterAll(async () => {
    operator?.kill('SIGKILL');
    await kubectl(['delete', 'nids', '--all', '-n', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
    await helm(['uninstall', release, '-n', ns, '--ignore-not-found']).catch(() => undefined);
    await kubectl(['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => undefined);
  }, 180_000);

  it('installs CRDs, the operator Deployment (2 ready replicas on fake nodes), RBAC and the example NetworkIDS', async () => {
    await helm([
      'install', release, chartDir, '-n', ns, '--create-namespace', '--wait', '--timeout', '150s',
      '--set', 'image.repository=netids', '--set', 'image.tag=test',
      '--set', 'exampleNetworkIDS.enabled=true', '--set', `exampleNetworkIDS.name=${exampleName}`,
      // kwok's fake nodes carry this taint.
      '--set-json', 'operator.tolerations=[{"key":"kwok.x-k8s.io/node","operator":"Exists","effect":"NoSchedule"}]',
    ]);
    const d = await getJson<{ spec: { replicas: number }; status: { readyReplicas?: number } }>(['deployment', operatorSa, '-n', ns]);
    expect(d.spec.replicas).toBe(2);
    expect(d.status.readyReplicas).toBe(2);
    for (const crd of ['networkids.netids.io', 'anomalies.netids.io']) {
      await kubectl(['wait', '--for=condition=Established', `crd/${crd}`, '--timeout=30s']);
      const c = await getJson<Manifest>(['crd', crd]);
      expect(c.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    }
    expect(await exists(['clusterrole', detectorRole])).toBe(true);
    expect(await exists(['clusterrole', podReaderRole])).toBe(true);
    expect(await exists(['clusterrolebinding', operatorSa])).toBe(true);
    // The chart makes the leader Lease; the operator only renews it.
    expect(await exists(['lease', 'netids-operator', '-n', ns])).toBe(true);
    // The post-install hook created the example after the CRD it needs.
    expect(await exists(['nids', exampleName, '-n', ns])).toBe(true);
  }, 240_000);

  it.skipIf(!built)('the real operator, with the Deployment\'s arguments and only the chart\'s RBAC, reconciles a NetworkIDS', async () => {
    if (!cluster) throw new Error('no cluster');
    // A client certificate for the ServiceAccount's user name: RBAC sees exactly the operator's identity.
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) =>
      execFile('bash', [cluster.kubeconfigFor, `system:serviceaccount:${ns}:${operatorSa}`, 'system:serviceaccounts', `system:serviceaccounts:${ns}`], (err, out, errOut) =>
        err ? reject(new Error(errOut || err.message)) : resolve({ stdout: out }),
      ),
    );
    const kubeconfig = stdout.trim().split('\n').pop() ?? '';

    const manifest = parseManifests(await helm(['get', 'manifest', release, '-n', ns]));
    const dep = manifest.find((m) => m.kind === 'Deployment') as Manifest;
    const container = (dep.spec as { template: { spec: { containers: { args: string[]; env: { name: string; value?: string }[] }[] } } }).template.spec.containers[0];
    const env: Record<string, string> = { POD_NAMESPACE: ns };
    for (const e of container.env) if (e.value !== undefined) env[e.name] = e.value;
    operator = spawn(process.execPath, [entry, ...container.args, '--kubeconfig', kubeconfig, '--metrics-port', '0', '--identity', 'chart-test-operator'], {
      env: { ...process.env, ...env, KUBECONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    operator.stdout?.on('data', (b: Buffer) => (operatorLog += b.toString()));
    operator.stderr?.on('data', (b: Buffer) => (operatorLog += b.toString()));

    // It takes the leader Lease in the release namespace (the Role's resourceName).
    await waitFor('the leader lease', async () => {
      const lease = await getJson<{ spec: { holderIdentity?: string } }>(['lease', 'netids-operator', '-n', ns]);
      return lease.spec.holderIdentity === 'chart-test-operator';
    }, 60_000).catch((err: Error) => {
      throw new Error(`${err.message}\noperator log:\n${operatorLog.slice(-3000)}`);
    });

    // examples/networkids.yaml, moved to the test namespace.
    const example = parse(readFileSync(path.join(projectRoot, 'examples', 'networkids.yaml'), 'utf8')) as Manifest;
    example.metadata = { ...example.metadata, name: nidsName, namespace: ns };
    await kubectl(['apply', '-f', '-'], { input: stringify(example) });

    for (const name of [nidsName, exampleName]) {
      await waitFor(`objects of ${name}`, async () => {
        for (const obj of [['daemonset', `${name}-sensor`], ['deployment', `${name}-detector`], ['service', `${name}-detector`], ['configmap', `${name}-config`], ['serviceaccount', `${name}-sensor`], ['serviceaccount', `${name}-detector`], ['rolebinding', `${name}-detector`], ['pdb', `${name}-detector`]]) {
          if (!(await exists([...obj, '-n', ns]))) return false;
        }
        return true;
      }, 60_000).catch((err: Error) => {
        throw new Error(`${err.message}\noperator log:\n${operatorLog.slice(-3000)}`);
      });
    }
    expect(await exists(['hpa', `${nidsName}-detector`, '-n', ns])).toBe(true);
    const rb = await getJson<{ roleRef: { kind: string; name: string } }>(['rolebinding', `${nidsName}-detector`, '-n', ns]);
    expect(rb.roleRef).toMatchObject({ kind: 'ClusterRole', name: detectorRole });
    // Cluster-wide pod reads for the detector: a ClusterRoleBinding held by a finalizer.
    const crb = await waitFor('the pod-reader ClusterRoleBinding', async () => {
      const l = await getJson<{ items: { roleRef: { name: string }; subjects: { name: string; namespace: string }[] }[] }>(['clusterrolebinding', '-l', `app.kubernetes.io/instance=${nidsName}`]);
      return l.items[0];
    }, 30_000);
    expect(crb.roleRef.name).toBe(podReaderRole);
    expect(crb.subjects).toEqual([{ kind: 'ServiceAccount', name: `${nidsName}-detector`, namespace: ns }]);
    const fin = await getJson<{ metadata: { finalizers?: string[] } }>(['nids', nidsName, '-n', ns]);
    expect(fin.metadata.finalizers).toContain('netids.io/pod-reader-binding');

    // Status written through networkids/status.
    const status = await waitFor('NetworkIDS status', async () => {
      const n = await getJson<{ metadata: { generation: number }; status?: { observedGeneration?: number; conditions?: { type: string }[] } }>(['nids', nidsName, '-n', ns]);
      return n.status?.observedGeneration === n.metadata.generation && n.status?.conditions ? n.status : undefined;
    });
    expect(status.conditions?.map((c) => c.type).sort()).toEqual(['DetectorReady', 'ModelTrained', 'Ready', 'SensorsReady']);
    // Condition transitions were recorded as events.k8s.io Events (the `create` grant).
    await waitFor('an Event about the NetworkIDS', async () => (await kubectl(['get', 'events.events.k8s.io', '-n', ns, '-o', 'name'])).includes(nidsName));
    // Nothing the operator tried was forbidden.
    expect(operatorLog).not.toMatch(/forbidden/i);
  }, 240_000);

  it('the detector may do what its code does in its own namespace only; the sensor may do nothing', async () => {
    const detector = `${nidsName}-detector`;
    for (const [verb, res] of [['create', 'anomalies.netids.io'], ['patch', 'anomalies.netids.io'], ['list', 'anomalies.netids.io'], ['delete', 'anomalies.netids.io'], ['get', 'networkids.netids.io'], ['patch', 'networkids.netids.io/status'], ['list', 'pods'], ['watch', 'pods']]) {
      expect(await canI(detector, verb, res, ns), `${verb} ${res}`).toBe(true);
    }
    for (const [verb, res] of [['update', 'networkids.netids.io'], ['delete', 'networkids.netids.io'], ['update', 'networkids.netids.io/status'], ['get', 'secrets'], ['create', 'pods'], ['create', 'daemonsets.apps']]) {
      expect(await canI(detector, verb, res, ns), `${verb} ${res}`).toBe(false);
    }
    expect(await canI(detector, 'create', 'anomalies.netids.io', 'default')).toBe(false);
    // Pods of every namespace may be read (to name both ends of an anomaly), not changed.
    expect(await canI(detector, 'list', 'pods', 'kube-system')).toBe(true);
    expect(await canI(detector, 'get', 'secrets', 'kube-system')).toBe(false);
    expect(await canI(detector, 'delete', 'pods', 'kube-system')).toBe(false);
    const sensor = `${nidsName}-sensor`;
    for (const [verb, res] of [['list', 'pods'], ['get', 'networkids.netids.io'], ['create', 'anomalies.netids.io']]) {
      expect(await canI(sensor, verb, res, ns), `sensor ${verb} ${res}`).toBe(false);
    }
    const sa = await getJson<{ automountServiceAccountToken?: boolean }>(['serviceaccount', sensor, '-n', ns]);
    expect(sa.automountServiceAccountToken).toBe(false);
  }, 120_000);

  it('deleting a NetworkIDS removes what was made for it (owner references, garbage collector)', async () => {
    await kubectl(['delete', 'nids', nidsName, '-n', ns, '--wait=true', '--timeout=60s']);
    await waitFor('the sensor DaemonSet to be collected', async () => !(await exists(['daemonset', `${nidsName}-sensor`, '-n', ns])), 90_000);
    await waitFor('the detector RoleBinding to be collected', async () => !(await exists(['rolebinding', `${nidsName}-detector`, '-n', ns])), 90_000);
    // Deleted by the operator before it let the NetworkIDS go (the finalizer).
    expect(await exists(['clusterrolebinding', '-l', `app.kubernetes.io/instance=${nidsName}`])).toBe(false);
  }, 200_000);

  it('helm uninstall removes the operator and its RBAC, keeps the CRDs', async () => {
    // NetworkIDS resources go first, while the operator runs to release their finalizers.
    await kubectl(['delete', 'nids', exampleName, '-n', ns, '--ignore-not-found', '--timeout=60s']);
    operator?.kill('SIGTERM');
    operator = null;
    await helm(['uninstall', release, '-n', ns, '--wait', '--timeout', '120s']);
    expect(await exists(['deployment', operatorSa, '-n', ns])).toBe(false);
    expect(await exists(['serviceaccount', operatorSa, '-n', ns])).toBe(false);
    expect(await exists(['clusterrole', operatorSa])).toBe(false);
    expect(await exists(['clusterrole', detectorRole])).toBe(false);
    expect(await exists(['clusterrolebinding', operatorSa])).toBe(false);
    expect(await exists(['role', `${operatorSa}-leader-election`, '-n', ns])).toBe(false);
    expect(await exists(['clusterrole', podReaderRole])).toBe(false);
    expect(await exists(['lease', '-n', ns])).toBe(false);
    expect(await exists(['crd', 'networkids.netids.io'])).toBe(true);
    expect(await exists(['crd', 'anomalies.netids.io'])).toBe(true);
  }, 200_000);
});
