import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { DetectorServiceConfig } from '../../detector/main.js';
import { DETECTOR_GRPC_PORT, METRICS_PORT } from '../../lib/k8s/constants.js';
import type { SensorServiceConfig } from '../../sensor/main.js';
import type { ResolvedSpec } from '../api/defaults.js';
import { durationSeconds } from '../api/durationSeconds.js';

/**
 * The configuration file (config.yaml) the operator renders into the ConfigMap that sensor and
 * detector pods mount. `netids sensor --config` reads the `sensor` section, `netids detector
 * --config` the `detector` section, each with exactly the keys of its service's schema
 * (SensorServiceConfigSchema, DetectorServiceConfigSchema: the contract; a test parses both
 * sections with them). `networkIDS` names the owner, for people; the pods get the node, their
 * own name and the NetworkIDS from the environment (NODE_NAME, POD_NAME, NETIDS_NETWORKIDS).
 *
 * gRPC between sensors and detectors is plaintext (`insecure: true`): the operator provisions no
 * certificates yet.
 */
export interface RenderedConfig {
  networkIDS: string;
  sensor: Pick<SensorServiceConfig, 'detectors' | 'metricsPort' | 'insecure'> & Partial<Pick<SensorServiceConfig, 'interfaces' | 'filter'>>;
  detector: Pick<DetectorServiceConfig, 'listen' | 'metricsPort' | 'insecure' | 'modelSource' | 'alerting' | 'anomalies' | 'exclusions'> & {
    training: Partial<DetectorServiceConfig['training']>;
    model: { iforest: { trees: number; sampleSize: number }; ocsvm: { nu: number; gamma?: number } };
  };
}

export function renderConfig(namespace: string, name: string, headlessService: string, spec: ResolvedSpec): RenderedConfig {
  /** One DNS name resolving to every detector replica: sensors spread over it, replicas share the model over it. */
  const detectors = `${headlessService}.${namespace}.svc:${DETECTOR_GRPC_PORT}`;
  const sensor: RenderedConfig['sensor'] = { detectors: [detectors], metricsPort: METRICS_PORT, insecure: true };
  // Without interfaces the sensor captures on every interface that is up; an empty filter is no filter.
  if (spec.interfaces.length > 0) sensor.interfaces = spec.interfaces;
  if (spec.bpfFilter !== '') sensor.filter = spec.bpfFilter;

  // Learning ends after `samples` flows when given, else after `duration` of traffic time (the CRD allows one of them).
  const training: RenderedConfig['detector']['training'] = {
    durationS: spec.training.duration === undefined ? 0 : durationSeconds(spec.training.duration),
    retrainIntervalS: durationSeconds(spec.training.retrainInterval),
    maturingS: durationSeconds(spec.training.maturing),
  };
  if (spec.training.samples !== undefined) training.minSamples = spec.training.samples;
  const ocsvm: RenderedConfig['detector']['model']['ocsvm'] = { nu: spec.model.oneClassSvm.nu };
  if (spec.model.oneClassSvm.gamma !== undefined) ocsvm.gamma = spec.model.oneClassSvm.gamma;

  return {
    networkIDS: `${namespace}/${name}`,
    sensor,
    detector: {
      listen: `0.0.0.0:${DETECTOR_GRPC_PORT}`,
      metricsPort: METRICS_PORT,
      insecure: true,
      modelSource: [detectors],
      model: { iforest: { trees: spec.model.isolationForest.trees, sampleSize: spec.model.isolationForest.sampleSize }, ocsvm },
      training,
      alerting: { targetFpr: spec.alerting.targetFalsePositiveRate, minScore: spec.alerting.minScore },
      anomalies: { maxKept: spec.anomalies.maxKept, ttlS: durationSeconds(spec.anomalies.ttl), writesPerMinute: spec.anomalies.writesPerMinute },
      // netids's own sensor→detector stream is a long one-way bulk flow: left out, or every
      // sensor would report it as an exfiltration.
      exclusions: { cidrs: [...spec.exclusions.cidrs], ports: [...new Set([...spec.exclusions.ports, DETECTOR_GRPC_PORT])] },
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
