/** The REST resource (plural) of each kind netids reads or writes. */
const RESOURCES: Record<string, { apiVersion: string; plural: string; namespaced: boolean }> = {
  NetworkIDS: { apiVersion: 'netids.io/v1alpha1', plural: 'networkids', namespaced: true },
  Anomaly: { apiVersion: 'netids.io/v1alpha1', plural: 'anomalies', namespaced: true },
  ConfigMap: { apiVersion: 'v1', plural: 'configmaps', namespaced: true },
  Service: { apiVersion: 'v1', plural: 'services', namespaced: true },
  ServiceAccount: { apiVersion: 'v1', plural: 'serviceaccounts', namespaced: true },
  Pod: { apiVersion: 'v1', plural: 'pods', namespaced: true },
  Node: { apiVersion: 'v1', plural: 'nodes', namespaced: false },
  Namespace: { apiVersion: 'v1', plural: 'namespaces', namespaced: false },
  Event: { apiVersion: 'events.k8s.io/v1', plural: 'events', namespaced: true },
  DaemonSet: { apiVersion: 'apps/v1', plural: 'daemonsets', namespaced: true },
  Deployment: { apiVersion: 'apps/v1', plural: 'deployments', namespaced: true },
  ReplicaSet: { apiVersion: 'apps/v1', plural: 'replicasets', namespaced: true },
  PodDisruptionBudget: { apiVersion: 'policy/v1', plural: 'poddisruptionbudgets', namespaced: true },
  HorizontalPodAutoscaler: { apiVersion: 'autoscaling/v2', plural: 'horizontalpodautoscalers', namespaced: true },
  Lease: { apiVersion: 'coordination.k8s.io/v1', plural: 'leases', namespaced: true },
  RoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'rolebindings', namespaced: true },
  ClusterRoleBinding: { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings', namespaced: false },
  CustomResourceDefinition: { apiVersion: 'apiextensions.k8s.io/v1', plural: 'customresourcedefinitions', namespaced: false },
};

export function apiVersionOf(kind: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new Error(`unknown kind ${kind}`);
  return r.apiVersion;
}

/**
 * The REST path of a kind's collection (no name) or of one object, optionally a subresource:
 * resourcePath('Deployment', 'ns', 'web') → /apis/apps/v1/namespaces/ns/deployments/web.
 * With no namespace for a namespaced kind, the all-namespaces collection.
 */
export function resourcePath(kind: string, namespace?: string, name?: string, subresource?: string): string {
  const r = RESOURCES[kind];
  if (!r) throw new Error(`unknown kind ${kind}`);
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  let path = base;
  if (r.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${r.plural}`;
  if (name) path += `/${encodeURIComponent(name)}`;
  if (name && subresource) path += `/${subresource}`;
  return path;
}
