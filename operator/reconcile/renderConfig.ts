import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import { DETECTOR_GRPC_PORT, METRICS_PORT } from '../../lib/k8s/constants.js';
import type { ResolvedSpec } from '../api/defaults.js';

/**
 * The configuration file (config.yaml) the operator renders into the ConfigMap that sensor and
 * detector pods mount. Each component reads its own section; `networkIDS` names the owner.
 */
export interface RenderedConfig {
  networkIDS: string;
  sensor: {
    interfaces: string[];
    bpfFilter: string;
    /** DNS name of the headless Service that resolves to every detector pod. */
    detectors: string;
    detectorPort: number;
    metricsPort: number;
    exclusions: { cidrs: string[]; ports: number[] };
  };
  detector: {
    grpcPort: number;
    metricsPort: number;
    model: ResolvedSpec['model'];
    training: ResolvedSpec['training'];
    alerting: ResolvedSpec['alerting'];
    anomalies: ResolvedSpec['anomalies'];
    exclusions: { cidrs: string[]; ports: number[] };
  };
}

export function renderConfig(namespace: string, name: string, headlessService: string, spec: ResolvedSpec): RenderedConfig {
  const training: ResolvedSpec['training'] = { retrainInterval: spec.training.retrainInterval };
  if (spec.training.duration !== undefined) training.duration = spec.training.duration;
  if (spec.training.samples !== undefined) training.samples = spec.training.samples;
  const model: ResolvedSpec['model'] = {
    isolationForest: { ...spec.model.isolationForest },
    oneClassSvm: spec.model.oneClassSvm.gamma === undefined ? { nu: spec.model.oneClassSvm.nu } : { ...spec.model.oneClassSvm },
  };
  return {
    networkIDS: `${namespace}/${name}`,
    sensor: {
      interfaces: spec.interfaces,
      bpfFilter: spec.bpfFilter,
      detectors: `${headlessService}.${namespace}.svc`,
      detectorPort: DETECTOR_GRPC_PORT,
      metricsPort: METRICS_PORT,
      exclusions: spec.exclusions,
    },
    detector: {
      grpcPort: DETECTOR_GRPC_PORT,
      metricsPort: METRICS_PORT,
      model,
      training,
      alerting: spec.alerting,
      anomalies: spec.anomalies,
      exclusions: spec.exclusions,
    },
  };
}

/** YAML text of the config; deterministic for a given input (keys in a fixed order). */
export function configText(config: RenderedConfig): string {
  return `# Rendered by netids-operator for NetworkIDS ${config.networkIDS}; edits are overwritten.\n${stringify(config)}`;
}

/** Short content hash put on pod templates so a config change rolls the pods. */
export function configHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
