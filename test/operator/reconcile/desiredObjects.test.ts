/* eslint-disable @typescript-eslint/no-explicit-any -- API objects are untyped JSON in these assertions */
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../operator/api/defaults.js';
import type { NetworkIDS } from '../../../operator/api/NetworkIDS.js';
import { desiredObjects } from '../../../operator/reconcile/desiredObjects.js';
import { TerminalError } from '../../../operator/reconcile/TerminalError.js';
import { parse } from 'yaml';
import type { KubeObject } from '../../../lib/k8s/KubeObject.js';

function nids(spec: NetworkIDS['spec'] = {}): NetworkIDS {
  return {
    apiVersion: 'netids.io/v1alpha1',
    kind: 'NetworkIDS',
    metadata: { name: 'demo', namespace: 'sec', uid: 'uid-1', generation: 3 },
    spec,
  };
}
const opts = { defaultImage: 'ghcr.io/example/netids:1.0' };

function byKind(objs: KubeObject[], kind: string, name?: string): KubeObject & { spec: any; data?: any } {
  const found = objs.filter((o) => o.kind === kind && (!name || o.metadata?.name === name));
  expect(found, `${kind} ${name ?? ''}`).toHaveLength(1);
  return found[0] as KubeObject & { spec: any };
}

describe('desiredObjects', () => {
  it('makes every object, each owned by the NetworkIDS and labelled', () => {
    const objs = desiredObjects(nids(), opts);
    expect(objs.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'ConfigMap/demo-config',
      'ServiceAccount/demo-sensor',
      'ServiceAccount/demo-detector',
      'RoleBinding/demo-detector',
      'DaemonSet/demo-sensor',
      'Deployment/demo-detector',
      'Service/demo-detector',
      'Service/demo-detector-headless',
      'PodDisruptionBudget/demo-detector',
    ]);
    for (const o of objs) {
      expect(o.metadata?.namespace).toBe('sec');
      expect(o.metadata?.ownerReferences).toEqual([
        { apiVersion: 'netids.io/v1alpha1', kind: 'NetworkIDS', name: 'demo', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
      ]);
      expect(o.metadata?.labels?.['app.kubernetes.io/managed-by']).toBe('netids-operator');
      expect(o.metadata?.labels?.['app.kubernetes.io/instance']).toBe('demo');
    }
  });

  it('builds a least-privilege host-network sensor DaemonSet', () => {
    const ds = byKind(desiredObjects(nids(), opts), 'DaemonSet');
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
    const c = pod.containers[0];
    expect(c.image).toBe('ghcr.io/example/netids:1.0');
    expect(c.args).toEqual(['sensor', '--config', '/etc/netids/config.yaml']);
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'], add: ['NET_RAW'] });
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(c.securityContext.allowPrivilegeEscalation).toBe(true); // file capabilities need it; the bounding set is NET_RAW alone
    expect(c.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.resources).toEqual(DEFAULTS.sensorResources);
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    expect(env).toEqual({ NODE_NAME: 'spec.nodeName', POD_NAMESPACE: 'metadata.namespace', POD_NAME: 'metadata.name', NETIDS_NETWORKIDS: 'sec/demo' });
    expect(pod.volumes[0]).toEqual({ name: 'config', configMap: { name: 'demo-config' } });
    expect(ds.spec.template.metadata.annotations['netids.io/config-hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(ds.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'netids', 'app.kubernetes.io/instance': 'demo', 'app.kubernetes.io/component': 'sensor' });
  });

  it('builds an unprivileged detector Deployment with services and a PDB', () => {
    const objs = desiredObjects(nids(), opts);
    const dep = byKind(objs, 'Deployment');
    expect(dep.spec.replicas).toBe(DEFAULTS.detectorReplicas);
    const pod = dep.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.hostNetwork).toBeUndefined();
    const c = pod.containers[0];
    expect(c.args).toEqual(['detector', '--config', '/etc/netids/config.yaml']);
    expect(c.ports.map((p: any) => [p.name, p.containerPort])).toEqual([['grpc', 9000], ['metrics', 9090]]);
    expect(c.securityContext.capabilities).toEqual({ drop: ['ALL'] });
    const svc = byKind(objs, 'Service', 'demo-detector');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.selector).toEqual(dep.spec.selector.matchLabels);
    const headless = byKind(objs, 'Service', 'demo-detector-headless');
    expect(headless.spec.clusterIP).toBe('None');
    expect(headless.spec.ports.map((p: any) => p.port)).toEqual([9000, 9090]);
    expect(byKind(objs, 'PodDisruptionBudget').spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: dep.spec.selector.matchLabels } });
    expect(objs.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
  });

  it('renders the spec into the config file with defaults', () => {
    const cm = byKind(desiredObjects(nids(), opts), 'ConfigMap');
    const config = parse(cm.data['config.yaml']);
    expect(config.networkIDS).toBe('sec/demo');
    expect(config.sensor).toEqual({ detectors: ['demo-detector-headless.sec.svc:9000'], metricsPort: 9090, insecure: true });
    expect(config.detector.model).toEqual({ iforest: { trees: 100, sampleSize: 256 }, ocsvm: { nu: 0.01 } });
    expect(config.detector.training).toEqual({ durationS: 600, retrainIntervalS: 86_400, maturingS: 3_600 });
    expect(config.detector.alerting).toEqual({ targetFpr: 0.001, minScore: 0.6 });
    expect(config.detector.anomalies).toEqual({ maxKept: 500, ttlS: 86_400, writesPerMinute: 30 });
    expect(config.detector).toMatchObject({ listen: '0.0.0.0:9000', modelSource: ['demo-detector-headless.sec.svc:9000'], exclusions: { cidrs: [], ports: [9000] } });
  });

  it('maps every spec field onto the objects', () => {
    const spec: NetworkIDS['spec'] = {
      image: 'registry.local/netids:dev',
      imagePullPolicy: 'Always',
      interfaces: ['eth0', 'eth1'],
      bpfFilter: 'not port 22',
      nodeSelector: { role: 'edge' },
      tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
      sensor: { resources: { requests: { cpu: '50m' } } },
      detector: { autoscaling: { minReplicas: 2, maxReplicas: 6 }, resources: { limits: { memory: '2Gi' } } },
      model: { isolationForest: { trees: 200, sampleSize: 512 }, oneClassSvm: { nu: 0.05, gamma: 0.2 } },
      training: { samples: 50_000, retrainInterval: '12h' },
      alerting: { targetFalsePositiveRate: 0.01, minScore: 0.7 },
      anomalies: { maxKept: 100, ttl: '1h', writesPerMinute: 10 },
      exclusions: { cidrs: ['10.0.0.0/8'], ports: [53] },
    };
    const objs = desiredObjects(nids(spec), opts);
    const ds = byKind(objs, 'DaemonSet');
    const pod = ds.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', role: 'edge' });
    expect(pod.tolerations).toEqual(spec.tolerations);
    expect(pod.containers[0].image).toBe('registry.local/netids:dev');
    expect(pod.containers[0].imagePullPolicy).toBe('Always');
    expect(pod.containers[0].resources).toEqual({ requests: { cpu: '50m' } });
    const dep = byKind(objs, 'Deployment');
    expect(dep.spec.replicas).toBeUndefined(); // the HPA owns it
    expect(dep.spec.template.spec.containers[0].resources).toEqual({ limits: { memory: '2Gi' } });
    const hpa = byKind(objs, 'HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6, scaleTargetRef: { kind: 'Deployment', name: 'demo-detector' } });
    expect(hpa.spec.metrics[0].resource.target.averageUtilization).toBe(75);
    const config = parse(byKind(objs, 'ConfigMap').data['config.yaml']);
    expect(config.sensor).toMatchObject({ interfaces: ['eth0', 'eth1'], filter: 'not port 22' });
    expect(config.detector.exclusions).toEqual({ cidrs: ['10.0.0.0/8'], ports: [53, 9000] });
    expect(config.detector.model).toEqual({ iforest: { trees: 200, sampleSize: 512 }, ocsvm: { nu: 0.05, gamma: 0.2 } });
    expect(config.detector.training).toEqual({ durationS: 0, minSamples: 50_000, retrainIntervalS: 43_200, maturingS: 3_600 });
    expect(config.detector.alerting).toEqual({ targetFpr: 0.01, minScore: 0.7 });
    expect(config.detector.anomalies).toEqual({ maxKept: 100, ttlS: 3_600, writesPerMinute: 10 });
  });

  it('changes the config hash when, and only when, the rendered config changes', () => {
    const hash = (s: NetworkIDS['spec']) => byKind(desiredObjects(nids(s), opts), 'DaemonSet').spec.template.metadata.annotations['netids.io/config-hash'];
    expect(hash({})).toBe(hash({}));
    expect(hash({ bpfFilter: 'tcp' })).not.toBe(hash({}));
    expect(hash({ alerting: { minScore: 0.9 } })).not.toBe(hash({}));
    // Scheduling changes roll the pods by themselves; they are not part of the config.
    expect(hash({ nodeSelector: { a: 'b' } })).toBe(hash({}));
  });

  it('is a pure function: same input, same output, input untouched', () => {
    const input = nids({ tolerations: [{ key: 'k', operator: 'Exists' }], exclusions: { ports: [1] } });
    const copy = structuredClone(input);
    expect(desiredObjects(input, opts)).toEqual(desiredObjects(input, opts));
    expect(input).toEqual(copy);
  });

  it('throws a TerminalError when no image is known', () => {
    expect(() => desiredObjects(nids(), { defaultImage: '' })).toThrow(TerminalError);
    expect(() => desiredObjects({ ...nids(), metadata: { name: 'x' } }, opts)).toThrow(/uid/);
  });
});
