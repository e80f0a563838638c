import type { KubeTools } from './KubeTools.js';
import { type PodObj, podReady } from './kubeObjects.js';
import { waitFor } from './waitFor.js';

/**
 * The bed's workload: a `web` Service over two nginx stand-ins (web-1 on the second node, web-2
 * on the third) and two busybox clients (first and third node) that keep fetching it, so normal
 * traffic crosses nodes. Used by the end-to-end test and the soak benchmark.
 */
function workloadObjects(namespace: string, nodeNames: readonly string[]): object[] {
  const pod = (name: string, node: string, image: string, command: string[] | undefined, labels: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 2,
      containers: [{ name: 'main', image, ...(command ? { command } : {}), ports: image.startsWith('nginx') ? [{ containerPort: 80, name: 'http' }] : [], readinessProbe: image.startsWith('nginx') ? { tcpSocket: { port: 80 }, periodSeconds: 1 } : undefined }],
    },
  });
  const [n1, n2, n3] = nodeNames;
  const loop = `while true; do for i in 1 2 3; do curl -s -o /dev/null --max-time 2 http://web.${namespace}.svc/ ; done; sleep 0.3; done`;
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] } },
    pod('web-1', n2, 'nginx:1.27', undefined, { app: 'web' }),
    pod('web-2', n3, 'nginx:1.27', undefined, { app: 'web' }),
    pod('client-1', n1, 'busybox:1.36', ['sh', '-c', loop], { app: 'client' }),
    pod('client-2', n3, 'busybox:1.36', ['sh', '-c', loop], { app: 'client' }),
  ];
}

/** Creates `namespace` (if missing), applies the workload there and waits for web-1 to be ready; returns web-1. */
export async function deployWorkloads(kube: KubeTools, namespace: string, nodeNames: readonly string[]): Promise<PodObj> {
  await kube.kubectl(['create', 'namespace', namespace]).catch(() => undefined);
  await kube.kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'List', items: workloadObjects(namespace, nodeNames) }));
  return waitFor('web-1 ready', async () => {
    const p = await kube.getJson<PodObj>(['pod', 'web-1', '-n', namespace]);
    return podReady(p) && p;
  }, 60_000);
}

/**
 * The NetworkIDS the bed applies: sensors on eth0 of every node, two detector replicas learning
 * for 60 s. The pods' DNS queries go to the bed's DNS stand-in (as to a cluster DNS): not of
 * interest, so port 53 is excluded.
 */
export function bedNetworkIDS(name: string, namespace: string): object {
  return {
    apiVersion: 'netids.io/v1alpha1',
    kind: 'NetworkIDS',
    metadata: { name, namespace },
    spec: {
      interfaces: ['eth0'],
      bpfFilter: 'not port 443',
      detector: { replicas: 2 },
      training: { duration: '60s', retrainInterval: '24h' },
      anomalies: { maxKept: 100, ttl: '1h', writesPerMinute: 60 },
      exclusions: { ports: [53] },
    },
  };
}
