// The netids Helm chart, offline: real helm (lint --strict, template) with several value sets,
// every rendered object validated against the Kubernetes schemas (kubernetes-models) or the
// project's CRDs (ajv), and the properties the design depends on (CRD copies equal crds/, the
// PrometheusRule is files/alerts.yaml verbatim, least-privilege RBAC, a non-root operator).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Helm, type Manifest, chartDir, parseManifests, projectRoot } from './Helm.js';
import { validateManifest } from './validateManifest.js';

interface Container {
  name: string;
  image: string;
  args: string[];
  resources?: unknown;
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const find = (ms: Manifest[], kind: string, name?: string) => ms.find((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
const kinds = (ms: Manifest[]) => ms.map((m) => m.kind).sort();
const podSpecOf = (d: Manifest) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const rulesOf = (m: Manifest | undefined) => ((m as unknown as { rules: Rule[] })?.rules ?? []) as Rule[];

/** Value sets the chart must render into valid objects. */
const VALUE_SETS: Record<string, string[]> = {
  defaults: [],
  'monitoring on (API present)': ['--api-versions', 'monitoring.coreos.com/v1'],
  'monitoring forced on': ['--set', 'monitoring.serviceMonitor.enabled=true', '--set', 'monitoring.podMonitor.enabled=true', '--set', 'monitoring.prometheusRule.enabled=true'],
  'example NetworkIDS': ['--set', 'exampleNetworkIDS.enabled=true', '--set', 'exampleNetworkIDS.name=demo', '--set-json', 'exampleNetworkIDS.spec={"interfaces":["eth0"],"bpfFilter":"not port 22","detector":{"replicas":3}}'],
  'custom image and resources': [
    '--set', 'image.repository=registry.example.com/sec/netids',
    '--set', 'image.tag=1.2.3',
    '--set', 'operator.workloadImage=registry.example.com/sec/netids-workload:1.2.3',
    '--set', 'operator.resources.requests.cpu=200m',
    '--set', 'operator.resources.limits.memory=1Gi',
    '--set', 'operator.replicas=3',
    '--set', 'logLevel=debug',
    '--set-json', 'imagePullSecrets=[{"name":"regcred"}]',
    '--set-json', 'operator.tolerations=[{"key":"dedicated","operator":"Equal","value":"security","effect":"NoSchedule"}]',
  ],
  'one namespace, single replica': ['--set', 'operator.watchNamespace=apps', '--set', 'operator.replicas=1', '--set', 'operator.leaderElection=false'],
  'digest, no CRDs': ['--set', 'image.digest=sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', '--set', 'crds.install=false'],
};

let helm: Helm;
const rendered = new Map<string, Manifest[]>();

beforeAll(async () => {
  helm = await Helm.locate();
  for (const [name, args] of Object.entries(VALUE_SETS)) rendered.set(name, await helm.template(args));
});

describe('helm lint', () => {
  it('passes --strict with the defaults and with every feature on', async () => {
    for (const args of [[], ['--set', 'exampleNetworkIDS.enabled=true', '--set', 'monitoring.prometheusRule.enabled=true', '--set', 'monitoring.podMonitor.enabled=true']]) {
      const r = await helm.run(['lint', '--strict', chartDir, ...args]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('0 chart(s) failed');
    }
  });

  it('fails --strict on a value the schema refuses', async () => {
    const r = await helm.run(['lint', '--strict', chartDir, '--set', 'operator.replicas=zero']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/replicas/);
  });
});

describe('helm template', () => {
  it.each(Object.keys(VALUE_SETS))('renders only valid objects: %s', (name) => {
    const ms = rendered.get(name) ?? [];
    expect(ms.length).toBeGreaterThan(5);
    for (const m of ms) expect(() => validateManifest(m)).not.toThrow();
  });

  it('the validation catches a broken object (it is not a no-op)', () => {
    const d = structuredClone(find(rendered.get('defaults') ?? [], 'Deployment')) as Manifest;
    (d.spec as { replicas: unknown }).replicas = 'two';
    expect(() => validateManifest(d)).toThrow(/replicas must be integer/);
    const nids = structuredClone(find(rendered.get('example NetworkIDS') ?? [], 'NetworkIDS')) as Manifest;
    (nids.spec as { detector: { replicas: unknown } }).detector.replicas = 'three';
    expect(() => validateManifest(nids)).toThrow(/replicas/);
  });

  it('defaults: CRDs, operator, RBAC and no monitoring objects without the monitoring API', () => {
    expect(kinds(rendered.get('defaults') ?? [])).toEqual([
      'ClusterRole', 'ClusterRole', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'CustomResourceDefinition',
      'Deployment', 'Lease', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount',
    ]);
  });

  it('monitoring objects appear when the API is served ("auto") or when forced', () => {
    for (const set of ['monitoring on (API present)', 'monitoring forced on']) {
      const ms = rendered.get(set) ?? [];
      for (const kind of ['PrometheusRule', 'ServiceMonitor', 'PodMonitor']) expect(find(ms, kind), `${set}: ${kind}`).toBeDefined();
    }
  });

  it('the PrometheusRule is files/alerts.yaml verbatim', () => {
    const rule = find(rendered.get('monitoring on (API present)') ?? [], 'PrometheusRule');
    const alerts = parse(readFileSync(path.join(chartDir, 'files', 'alerts.yaml'), 'utf8')) as unknown;
    expect(rule?.spec).toEqual(alerts);
  });

  it('installs the CRDs as exact copies of crds/, kept on uninstall', () => {
    const crds = (rendered.get('defaults') ?? []).filter((m) => m.kind === 'CustomResourceDefinition');
    for (const file of ['networkids.yaml', 'anomalies.yaml']) {
      const source = readFileSync(path.join(projectRoot, 'crds', file), 'utf8');
      // The chart's copy is byte-for-byte the source of truth (copy crds/*.yaml to charts/netids/files/crds/ when this fails).
      expect(readFileSync(path.join(chartDir, 'files', 'crds', file), 'utf8'), `charts/netids/files/crds/${file} differs from crds/${file}`).toBe(source);
      const want = parse(source) as Manifest;
      const got = crds.find((c) => c.metadata.name === want.metadata.name);
      expect(got, want.metadata.name).toBeDefined();
      expect(got?.spec).toEqual(want.spec);
      expect(got?.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
      expect(got?.metadata.labels).toMatchObject(want.metadata.labels ?? {});
    }
    expect((rendered.get('digest, no CRDs') ?? []).some((m) => m.kind === 'CustomResourceDefinition')).toBe(false);
  });

  it('the operator: 2 replicas with leader election, non-root, read-only, image passed on to the workloads', () => {
    const d = find(rendered.get('defaults') ?? [], 'Deployment') as Manifest;
    expect((d.spec as { replicas: number }).replicas).toBe(2);
    const pod = podSpecOf(d);
    const c = pod.containers[0];
    expect(c.image).toBe('netids:0.1.0');
    expect(c.args.slice(0, 1)).toEqual(['operator']);
    expect(c.args).toEqual(expect.arrayContaining(['--image', 'netids:0.1.0', '--detector-cluster-role', 'netids-detector', '--lease-name', 'netids-operator']));
    expect(c.args).not.toContain('--no-leader-election');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    expect(pod.serviceAccountName).toBe('netids-operator');
  });

  it('custom image, workload image, resources and replicas reach the Deployment', () => {
    const d = find(rendered.get('custom image and resources') ?? [], 'Deployment') as Manifest;
    const c = podSpecOf(d).containers[0];
    expect(c.image).toBe('registry.example.com/sec/netids:1.2.3');
    expect(c.args[c.args.indexOf('--image') + 1]).toBe('registry.example.com/sec/netids-workload:1.2.3');
    expect(c.resources).toEqual({ requests: { cpu: '200m', memory: '96Mi' }, limits: { memory: '1Gi' } });
    expect((d.spec as { replicas: number }).replicas).toBe(3);
    const digest = podSpecOf(find(rendered.get('digest, no CRDs') ?? [], 'Deployment') as Manifest).containers[0];
    expect(digest.image).toBe('netids@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
  });

  it('the example NetworkIDS is a post-install hook in the release namespace', () => {
    const nids = find(rendered.get('example NetworkIDS') ?? [], 'NetworkIDS');
    expect(nids?.metadata).toMatchObject({ name: 'demo', namespace: 'netids-system', annotations: { 'helm.sh/hook': 'post-install' } });
    // --set-json merges into the default spec of values.yaml.
    expect(nids?.spec).toEqual({ interfaces: ['eth0'], bpfFilter: 'not port 22', detector: { replicas: 3 }, training: { duration: '10m' } });
    expect(find(rendered.get('defaults') ?? [], 'NetworkIDS')).toBeUndefined();
  });

  it('refuses several operator replicas without leader election', async () => {
    await expect(helm.template(['--set', 'operator.replicas=2', '--set', 'operator.leaderElection=false'])).rejects.toThrow(/leaderElection/);
  });
});

describe('RBAC', () => {
  const ms = () => rendered.get('defaults') ?? [];

  it('grants no wildcard, no Secrets and no pod exec anywhere', () => {
    for (const m of ms().filter((x) => x.kind === 'ClusterRole' || x.kind === 'Role')) {
      for (const r of rulesOf(m)) {
        for (const field of [r.apiGroups, r.resources, r.verbs]) expect(field, `${m.metadata.name}`).not.toContain('*');
        expect(r.resources).not.toContain('secrets');
        expect(r.resources).not.toContain('pods/exec');
        expect(r.verbs).not.toContain('escalate');
        expect(r.verbs).not.toContain('impersonate');
      }
    }
  });

  it('the operator may bind only the detector and pod-reader ClusterRoles, and reads nothing it does not watch', () => {
    const rules = rulesOf(find(ms(), 'ClusterRole', 'netids-operator'));
    const bind = rules.filter((r) => r.verbs.includes('bind'));
    expect(bind).toEqual([
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['netids-detector'] },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['netids-pod-reader'] },
    ]);
    const verbsFor = (resource: string) => rules.filter((r) => r.resources.includes(resource)).flatMap((r) => r.verbs).sort();
    // patch: the finalizer that holds a NetworkIDS until its pod-reader ClusterRoleBinding is deleted.
    expect(verbsFor('networkids')).toEqual(['list', 'patch', 'watch']);
    expect(verbsFor('clusterrolebindings')).toEqual(['create', 'delete', 'patch']);
    expect(verbsFor('networkids/status')).toEqual(['patch']);
    expect(verbsFor('daemonsets')).toEqual(['create', 'list', 'patch', 'watch']);
    expect(verbsFor('anomalies')).toEqual([]);
    expect(verbsFor('pods')).toEqual([]);
  });

  it('the leader Lease is made by the chart and is the only lease the operator can read or renew; it may create none', () => {
    const role = find(ms(), 'Role') as Manifest;
    expect(role.metadata.namespace).toBe('netids-system');
    expect(rulesOf(role)).toEqual([{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'update'], resourceNames: ['netids-operator'] }]);
    expect(find(ms(), 'Lease')?.metadata).toMatchObject({ name: 'netids-operator', namespace: 'netids-system' });
  });

  it('detectors read pods in every namespace through a pod-reader ClusterRole the operator binds, unless turned off or the operator is confined', () => {
    expect(rulesOf(find(ms(), 'ClusterRole', 'netids-pod-reader'))).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch'] }]);
    expect(podSpecOf(find(ms(), 'Deployment') as Manifest).containers[0].args).toEqual(expect.arrayContaining(['--pod-reader-cluster-role', 'netids-pod-reader']));
    const one = rendered.get('one namespace, single replica') ?? [];
    expect(find(one, 'ClusterRole', 'netids-pod-reader')).toBeUndefined();
    expect(podSpecOf(find(one, 'Deployment') as Manifest).containers[0].args).not.toContain('--pod-reader-cluster-role');
  });

  it('watchNamespace confines the operator to a RoleBinding in that namespace', () => {
    const one = rendered.get('one namespace, single replica') ?? [];
    expect(find(one, 'ClusterRoleBinding')).toBeUndefined();
    const rb = one.find((m) => m.kind === 'RoleBinding' && m.metadata.namespace === 'apps');
    expect(rb).toMatchObject({ roleRef: { kind: 'ClusterRole', name: 'netids-operator' } });
    const args = podSpecOf(find(one, 'Deployment') as Manifest).containers[0].args;
    expect(args).toEqual(expect.arrayContaining(['--watch-namespace', 'apps', '--no-leader-election']));
    expect(find(one, 'PodDisruptionBudget')).toBeUndefined();
  });
});

describe('packaged chart', () => {
  let dir = '';
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('helm package keeps every file the templates read (CRDs, alerts): it renders the same objects', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'netids-chart-'));
    const p = await helm.run(['package', chartDir, '--destination', dir]);
    expect(p.code, p.stderr).toBe(0);
    const args = ['--api-versions', 'monitoring.coreos.com/v1', '--set', 'exampleNetworkIDS.enabled=true'];
    const r = await helm.run(['template', 'netids', path.join(dir, 'netids-0.1.0.tgz'), '--namespace', 'netids-system', '--kube-version', '1.32.0', ...args]);
    expect(r.code, r.stderr).toBe(0);
    expect(parseManifests(r.stdout)).toEqual(await helm.template(args));
  });
});
