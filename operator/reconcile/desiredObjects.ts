import {
  ANNOTATION_CONFIG_HASH,
  CONFIG_DIR,
  CONFIG_FILE_NAME,
  CONFIG_PATH,
  DETECTOR_GRPC_PORT,
  DETECTOR_GRPC_PORT_NAME,
  ENV_NETWORKIDS,
  ENV_NODE_NAME,
  ENV_POD_NAME,
  ENV_POD_NAMESPACE,
  LABEL_COMPONENT,
  LABEL_INSTANCE,
  LABEL_MANAGED_BY,
  LABEL_NAME,
  MANAGED_BY,
  METRICS_PORT,
  METRICS_PORT_NAME,
  NETIDS_API_VERSION,
  NETWORKIDS_KIND,
} from '../../lib/k8s/constants.js';
import type { KubeObject, OwnerReference } from '../../lib/k8s/KubeObject.js';
import { type ResolvedSpec, resolveSpec } from '../api/defaults.js';
import type { NetworkIDS } from '../api/NetworkIDS.js';
import { TerminalError } from './TerminalError.js';
import { configHash, configText, renderConfig } from './renderConfig.js';

export interface DesiredOptions {
  /** Image used when the spec names none (the operator's own image). */
  defaultImage: string;
  /** ClusterRole (from the chart) that detector pods are bound to in the NetworkIDS namespace. */
  detectorClusterRole?: string;
}

/** Names of the objects made for a NetworkIDS called `name`. */
export function objectNames(name: string) {
  return {
    config: `${name}-config`,
    sensor: `${name}-sensor`,
    detector: `${name}-detector`,
    headless: `${name}-detector-headless`,
  };
}

export function componentLabels(name: string, component: 'sensor' | 'detector' | 'config'): Record<string, string> {
  return { [LABEL_NAME]: 'netids', [LABEL_INSTANCE]: name, [LABEL_COMPONENT]: component, [LABEL_MANAGED_BY]: MANAGED_BY };
}

/** Pod selector: stable across versions (a selector is immutable). */
function selector(name: string, component: 'sensor' | 'detector'): Record<string, string> {
  return { [LABEL_NAME]: 'netids', [LABEL_INSTANCE]: name, [LABEL_COMPONENT]: component };
}

export function ownerReference(nids: NetworkIDS): OwnerReference {
  return {
    apiVersion: NETIDS_API_VERSION,
    kind: NETWORKIDS_KIND,
    name: nids.metadata?.name ?? '',
    uid: nids.metadata?.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** UID the detector runs as, and (where file capabilities allow) the sensor. */
const NONROOT_UID = 65532;

/**
 * The whole desired state for one NetworkIDS: a pure function of the resource and the operator's
 * options, returning fully specified objects for server-side apply (only the fields the
 * operator owns; anything else is left to the API server and other managers). Order: config
 * first, then what mounts it. Throws TerminalError for a spec nothing but an edit can fix.
 */
export function desiredObjects(nids: NetworkIDS, options: DesiredOptions): KubeObject[] {
  const name = nids.metadata?.name;
  const namespace = nids.metadata?.namespace;
  const uid = nids.metadata?.uid;
  if (!name || !namespace || !uid) throw new TerminalError('NetworkIDS has no name, namespace or uid');
  const spec = resolveSpec(nids.spec ?? {}, options.defaultImage);
  if (!spec.image) throw new TerminalError('spec.image is empty and the operator has no default image (--image)');
  const names = objectNames(name);
  const owner = [ownerReference(nids)];
  const meta = (objName: string, component: 'sensor' | 'detector' | 'config') => ({
    name: objName,
    namespace,
    labels: componentLabels(name, component),
    ownerReferences: owner,
  });

  const text = configText(renderConfig(namespace, name, names.headless, spec));
  const hash = configHash(text);
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(names.config, 'config'), data: { [CONFIG_FILE_NAME]: text } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.sensor, 'sensor'), automountServiceAccountToken: false },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta(names.detector, 'detector') },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(names.detector, 'detector'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: options.detectorClusterRole ?? 'netids-detector' },
      subjects: [{ kind: 'ServiceAccount', name: names.detector, namespace }],
    },
    sensorDaemonSet(name, namespace, spec, names, hash, meta(names.sensor, 'sensor')),
    detectorDeployment(name, namespace, spec, names, hash, meta(names.detector, 'detector')),
    detectorService(name, names.detector, false, meta(names.detector, 'detector')),
    detectorService(name, names.headless, true, meta(names.headless, 'detector')),
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta(names.detector, 'detector'),
      spec: { maxUnavailable: 1, selector: { matchLabels: selector(name, 'detector') } },
    },
  ];
  const a = spec.detector.autoscaling;
  if (a) {
    objects.push({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta(names.detector, 'detector'),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.detector },
        minReplicas: a.minReplicas,
        maxReplicas: a.maxReplicas,
        metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: a.targetCPUUtilizationPercentage } } }],
      },
    });
  }
  return objects;
}

function podEnv(namespace: string, name: string) {
  return [
    { name: ENV_NODE_NAME, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    { name: ENV_POD_NAMESPACE, valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
    { name: ENV_POD_NAME, valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    { name: ENV_NETWORKIDS, value: `${namespace}/${name}` },
  ];
}

function probes() {
  return {
    livenessProbe: { httpGet: { path: '/healthz', port: METRICS_PORT_NAME }, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
    readinessProbe: { httpGet: { path: '/readyz', port: METRICS_PORT_NAME }, periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
  };
}

function configVolume(configMap: string) {
  return [
    { name: 'config', configMap: { name: configMap } },
    { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
  ];
}

const volumeMounts = [
  { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
  { name: 'tmp', mountPath: '/tmp' },
];

function sensorDaemonSet(
  name: string,
  namespace: string,
  spec: ResolvedSpec,
  names: ReturnType<typeof objectNames>,
  hash: string,
  metadata: KubeObject['metadata'],
): KubeObject {
  const args = ['sensor', '--config', CONFIG_PATH];
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata,
    spec: {
      selector: { matchLabels: selector(name, 'sensor') },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
      template: {
        metadata: { labels: componentLabels(name, 'sensor'), annotations: { [ANNOTATION_CONFIG_HASH]: hash } },
        spec: {
          serviceAccountName: names.sensor,
          automountServiceAccountToken: false,
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          nodeSelector: { 'kubernetes.io/os': 'linux', ...spec.nodeSelector },
          tolerations: spec.tolerations,
          terminationGracePeriodSeconds: 30,
          // Capture needs CAP_NET_RAW in the effective set. Kubernetes cannot grant ambient
          // capabilities, so a non-root process only gets it from file capabilities on its binary;
          // the sensor therefore runs as UID 0 with every capability dropped except NET_RAW (no
          // other root power), a read-only root filesystem and no privilege escalation.
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'sensor',
              image: spec.image,
              imagePullPolicy: spec.imagePullPolicy,
              args,
              env: podEnv(namespace, name),
              ports: [{ name: METRICS_PORT_NAME, containerPort: METRICS_PORT, protocol: 'TCP' }],
              resources: spec.sensor.resources,
              ...probes(),
              // Non-root: the image gives tcpdump alone the NET_RAW file capability, so the Node
              // process that parses untrusted packets holds none. File capabilities need
              // allowPrivilegeEscalation (no_new_privs would ignore them); the bounding set
              // still caps it at NET_RAW. (tcpdump as root with only NET_RAW fails: it drops to
              // its own user, which needs SETUID/SETGID.)
              securityContext: {
                runAsUser: NONROOT_UID,
                runAsGroup: NONROOT_UID,
                runAsNonRoot: true,
                allowPrivilegeEscalation: true,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
              },
              volumeMounts,
            },
          ],
          volumes: configVolume(names.config),
        },
      },
    },
  };
}

function detectorDeployment(
  name: string,
  namespace: string,
  spec: ResolvedSpec,
  names: ReturnType<typeof objectNames>,
  hash: string,
  metadata: KubeObject['metadata'],
): KubeObject {
  const deploymentSpec: Record<string, unknown> = {
    selector: { matchLabels: selector(name, 'detector') },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    template: {
      metadata: { labels: componentLabels(name, 'detector'), annotations: { [ANNOTATION_CONFIG_HASH]: hash } },
      spec: {
        serviceAccountName: names.detector,
        nodeSelector: { 'kubernetes.io/os': 'linux', ...spec.detector.nodeSelector },
        tolerations: spec.detector.tolerations,
        terminationGracePeriodSeconds: 30,
        securityContext: { runAsNonRoot: true, runAsUser: NONROOT_UID, runAsGroup: NONROOT_UID, seccompProfile: { type: 'RuntimeDefault' } },
        affinity: {
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: selector(name, 'detector') } } },
            ],
          },
        },
        containers: [
          {
            name: 'detector',
            image: spec.image,
            imagePullPolicy: spec.imagePullPolicy,
            args: ['detector', '--config', CONFIG_PATH],
            env: podEnv(namespace, name),
            ports: [
              { name: DETECTOR_GRPC_PORT_NAME, containerPort: DETECTOR_GRPC_PORT, protocol: 'TCP' },
              { name: METRICS_PORT_NAME, containerPort: METRICS_PORT, protocol: 'TCP' },
            ],
            resources: spec.detector.resources,
            ...probes(),
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
            volumeMounts,
          },
        ],
        volumes: configVolume(names.config),
      },
    },
  };
  // With autoscaling the HPA owns the replica count; applying one here would fight it.
  if (!spec.detector.autoscaling) deploymentSpec.replicas = spec.detector.replicas;
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata, spec: deploymentSpec };
}

function detectorService(name: string, serviceName: string, headless: boolean, metadata: KubeObject['metadata']): KubeObject {
  const spec: Record<string, unknown> = {
    selector: selector(name, 'detector'),
    ports: [
      { name: DETECTOR_GRPC_PORT_NAME, port: DETECTOR_GRPC_PORT, targetPort: DETECTOR_GRPC_PORT_NAME, protocol: 'TCP' },
      { name: METRICS_PORT_NAME, port: METRICS_PORT, targetPort: METRICS_PORT_NAME, protocol: 'TCP' },
    ],
  };
  if (headless) {
    spec.clusterIP = 'None';
    spec.publishNotReadyAddresses = false;
  } else {
    spec.type = 'ClusterIP';
  }
  return { apiVersion: 'v1', kind: 'Service', metadata: { ...metadata, name: serviceName }, spec };
}
