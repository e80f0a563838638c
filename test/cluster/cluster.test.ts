// Checks the test control plane started by test/cluster/globalSetup.ts: real kube-apiserver,
// controller manager, scheduler and etcd, with kwok simulating the nodes.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const cluster = inject('cluster');
const ns = `netids-cluster-test-${process.pid}`;
const crdName = `widgets.clustertest${process.pid}.netids.test`;
const group = `clustertest${process.pid}.netids.test`;

interface KubectlOptions {
  kubeconfig?: string;
  input?: string;
}

/** Runs the cluster's kubectl; resolves with stdout, rejects with stderr in the message. */
async function kubectl(args: string[], options: KubectlOptions = {}): Promise<string> {
  if (!cluster) throw new Error('no cluster');
  const bin = path.join(cluster.binDir, 'kubectl');
  const kubeconfig = options.kubeconfig ?? cluster.kubeconfig;
  return new Promise((resolve, reject) => {
    const child = execFile(bin, ['--kubeconfig', kubeconfig, ...args], { timeout: 90_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

async function kubectlJson<T>(args: string[], options: KubectlOptions = {}): Promise<T> {
  return JSON.parse(await kubectl([...args, '-o', 'json'], options)) as T;
}

interface Condition {
  type: string;
  status: string;
}
interface NodeList {
  items: { metadata: { name: string; annotations?: Record<string, string> }; status: { conditions: Condition[] } }[];
}
interface PodList {
  items: { spec: { nodeName?: string }; status: { phase: string; podIP?: string; conditions?: Condition[] } }[];
}

const toleration = `
      tolerations:
      - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}`;

describe.skipIf(!cluster)('test control plane', () => {
  beforeAll(async () => {
    await kubectl(['create', 'namespace', ns]);
  });

  afterAll(async () => {
    await kubectl(['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
    await kubectl(['delete', 'crd', crdName, '--wait=false', '--ignore-not-found']);
  });

  it('serves a real API: readyz, server version 1.32', async () => {
    expect((await kubectl(['get', '--raw', '/readyz'])).trim()).toBe('ok');
    const version = await kubectlJson<{ serverVersion: { gitVersion: string } }>(['version']);
    expect(version.serverVersion.gitVersion).toMatch(/^v1\.32\./);
  });

  it.skipIf(!cluster?.kwok)('has 3 Ready fake nodes managed by kwok', async () => {
    const nodes = await kubectlJson<NodeList>(['get', 'nodes', '-l', 'type=kwok']);
    expect(nodes.items).toHaveLength(3);
    for (const node of nodes.items) {
      expect(node.metadata.annotations?.['kwok.x-k8s.io/node']).toBe('fake');
      expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('applies a CRD, validates and stores custom resources', async () => {
    await kubectl(['apply', '-f', '-'], {
      input: `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${crdName}
spec:
  group: ${group}
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size: {type: integer, minimum: 1}
`,
    });
    await kubectl(['wait', '--for=condition=Established', `crd/${crdName}`, '--timeout=30s']);
    await kubectl(['apply', '-n', ns, '-f', '-'], {
      input: `apiVersion: ${group}/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n`,
    });
    const widget = await kubectlJson<{ spec: { size: number } }>(['get', '-n', ns, `widgets.${group}`, 'w1']);
    expect(widget.spec.size).toBe(3);
    // The schema is enforced by the real API server.
    await expect(
      kubectl(['apply', '-n', ns, '-f', '-'], {
        input: `apiVersion: ${group}/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 0}\n`,
      }),
    ).rejects.toThrow(/spec.size/);
  });

  const crdsDir = path.join(projectRoot, 'crds');
  const projectCrds = existsSync(crdsDir) ? readdirSync(crdsDir).filter((f) => /\.ya?ml$/.test(f)) : [];
  it.skipIf(projectCrds.length === 0)('applies the project CRDs from crds/', async () => {
    const out = await kubectl(['apply', '-f', crdsDir]);
    const names = [...out.matchAll(/customresourcedefinition\.apiextensions\.k8s\.io\/(\S+)/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      await kubectl(['wait', '--for=condition=Established', `crd/${name}`, '--timeout=30s']);
    }
  });

  it.skipIf(!cluster?.kwok)('schedules a Deployment onto fake nodes and it becomes Available', async () => {
    await kubectl(['apply', '-n', ns, '-f', '-'], {
      input: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: fake.invalid/web:1}${toleration}
`,
    });
    await kubectl(['wait', '-n', ns, '--for=condition=Available', 'deployment/web', '--timeout=60s']);
    const pods = await kubectlJson<PodList>(['get', 'pods', '-n', ns, '-l', 'app=web']);
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status.phase).toBe('Running');
      expect(pod.status.podIP).toBeTruthy();
    }
  });

  it.skipIf(!cluster?.kwok)('runs a DaemonSet pod Ready on every fake node', async () => {
    await kubectl(['apply', '-n', ns, '-f', '-'], {
      input: `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {type: kwok}
      containers:
      - {name: agent, image: fake.invalid/agent:1}${toleration}
`,
    });
    await kubectl(['wait', '-n', ns, '--for=jsonpath={.status.numberReady}=3', 'daemonset/agent', '--timeout=60s']);
    const pods = await kubectlJson<PodList>(['get', 'pods', '-n', ns, '-l', 'app=agent']);
    expect(new Set(pods.items.map((p) => p.spec.nodeName))).toEqual(new Set(['kwok-node-0', 'kwok-node-1', 'kwok-node-2']));
    for (const pod of pods.items) {
      expect(pod.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    }
  });

  it('issues service-account tokens', async () => {
    const token = (await kubectl(['create', 'token', 'default', '-n', ns])).trim();
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string };
    expect(payload.sub).toBe(`system:serviceaccount:${ns}:default`);
  });

  it('enforces RBAC for a non-admin user minted with the cluster CA', async () => {
    if (!cluster) throw new Error('no cluster');
    const user = `rbac-check-${process.pid}`;
    const { stdout } = await run('bash', [cluster.kubeconfigFor, user]);
    const userConfig = stdout.trim();
    await expect(kubectl(['get', 'pods', '-n', ns], { kubeconfig: userConfig })).rejects.toThrow(/forbidden/i);
    await kubectl(['create', 'rolebinding', 'viewer', '-n', ns, '--clusterrole=view', `--user=${user}`]);
    // RBAC changes take effect once the API server's informer has seen the binding.
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await kubectl(['get', 'pods', '-n', ns], { kubeconfig: userConfig });
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    await expect(kubectl(['get', 'secrets', '-n', ns], { kubeconfig: userConfig })).rejects.toThrow(/forbidden/i);
  });
});
