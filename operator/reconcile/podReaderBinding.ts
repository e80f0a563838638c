import { LABEL_COMPONENT, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_NAME, MANAGED_BY } from '../../lib/k8s/constants.js';
import type { KubeObject } from '../../lib/k8s/KubeObject.js';
import { objectNames } from './desiredObjects.js';

/** Name of the ClusterRoleBinding that lets a NetworkIDS's detector read pods in every namespace. */
export function podReaderBindingName(namespace: string, name: string): string {
  return `netids-pod-reader.${namespace}.${name}`;
}

/**
 * Binds `clusterRole` (the chart's pod reader: pods list/watch) cluster-wide to a NetworkIDS's
 * detector ServiceAccount, so its anomalies name workload pods in any namespace, not only its
 * own. Cluster-scoped, so it cannot carry an owner reference to the NetworkIDS: the operator
 * deletes it under a finalizer (FINALIZER_POD_READER) when the NetworkIDS goes.
 */
export function podReaderBinding(namespace: string, name: string, clusterRole: string): KubeObject {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: {
      name: podReaderBindingName(namespace, name),
      labels: { [LABEL_NAME]: 'netids', [LABEL_INSTANCE]: name, [LABEL_COMPONENT]: 'detector', [LABEL_MANAGED_BY]: MANAGED_BY },
      annotations: { 'netids.io/networkids': `${namespace}/${name}` },
    },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
    subjects: [{ kind: 'ServiceAccount', name: objectNames(name).detector, namespace }],
  };
}
