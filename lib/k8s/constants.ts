/**
 * Names, ports and identities shared by the operator, the sensor, the detector and the chart.
 * Change them here only.
 */
export const NETIDS_GROUP = 'netids.io';
export const NETIDS_VERSION = 'v1alpha1';
export const NETIDS_API_VERSION = `${NETIDS_GROUP}/${NETIDS_VERSION}`;
export const NETWORKIDS_KIND = 'NetworkIDS';
export const NETWORKIDS_PLURAL = 'networkids';
export const ANOMALY_KIND = 'Anomaly';
export const ANOMALY_PLURAL = 'anomalies';

/** Detector gRPC port (sensors stream feature vectors to it). */
export const DETECTOR_GRPC_PORT = 9000;
export const DETECTOR_GRPC_PORT_NAME = 'grpc';
/** Metrics, /healthz and /readyz port of the sensor, the detector and the operator. */
export const METRICS_PORT = 9090;
export const METRICS_PORT_NAME = 'metrics';

/** Where the rendered configuration is mounted in sensor and detector pods. */
export const CONFIG_DIR = '/etc/netids';
export const CONFIG_FILE_NAME = 'config.yaml';
export const CONFIG_PATH = `${CONFIG_DIR}/${CONFIG_FILE_NAME}`;

/** Field managers: each writer owns only its own fields (server-side apply). */
export const OPERATOR_FIELD_MANAGER = 'netids-operator';
export const DETECTOR_FIELD_MANAGER = 'netids-detector';

/** Labels the operator puts on everything it creates. */
export const LABEL_NAME = 'app.kubernetes.io/name';
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'netids-operator';
/** On Anomaly resources: the NetworkIDS that owns them and the anomaly kind. */
export const LABEL_NETWORKIDS = 'netids.io/networkids';
export const LABEL_ANOMALY_KIND = 'netids.io/kind';
/**
 * Finalizer on a NetworkIDS whose detector was granted cluster-wide pod reads: a cluster-scoped
 * ClusterRoleBinding cannot be owned by a namespaced object, so the operator deletes it itself.
 */
export const FINALIZER_POD_READER = 'netids.io/pod-reader-binding';
/** Pod-template annotation holding the hash of the rendered config (a change rolls the pods). */
export const ANNOTATION_CONFIG_HASH = 'netids.io/config-hash';

/** Environment passed to sensor and detector pods. */
export const ENV_NODE_NAME = 'NODE_NAME';
export const ENV_POD_NAMESPACE = 'POD_NAMESPACE';
export const ENV_POD_NAME = 'POD_NAME';
/** `namespace/name` of the NetworkIDS a sensor or detector serves. */
export const ENV_NETWORKIDS = 'NETIDS_NETWORKIDS';
