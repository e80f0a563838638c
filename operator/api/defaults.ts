import type { NetworkIDSSpec, ResourceRequirements, Toleration } from './NetworkIDS.js';

/** A NetworkIDS spec with every default filled in (autoscaling stays optional). */
export interface ResolvedSpec {
  image: string;
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  interfaces: string[];
  bpfFilter: string;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  sensor: { resources: ResourceRequirements };
  detector: {
    replicas: number;
    nodeSelector: Record<string, string>;
    tolerations: Toleration[];
    autoscaling?: { minReplicas: number; maxReplicas: number; targetCPUUtilizationPercentage: number };
    resources: ResourceRequirements;
  };
  model: { isolationForest: { trees: number; sampleSize: number }; oneClassSvm: { nu: number; gamma?: number } };
  training: { duration?: string; samples?: number; retrainInterval: string; maturing: string };
  alerting: { targetFalsePositiveRate: number; minScore: number };
  anomalies: { maxKept: number; ttl: string; writesPerMinute: number };
  exclusions: { cidrs: string[]; ports: number[] };
}

/**
 * Defaults, the same as the `default:` values in crds/networkids.yaml (a test keeps them
 * equal); applied here too so that reconcile never depends on the API server having defaulted.
 */
export const DEFAULTS = {
  imagePullPolicy: 'IfNotPresent',
  detectorReplicas: 2,
  targetCPUUtilizationPercentage: 75,
  trees: 100,
  sampleSize: 256,
  nu: 0.01,
  trainingDuration: '10m',
  retrainInterval: '24h',
  maturing: '1h',
  targetFalsePositiveRate: 0.001,
  minScore: 0.6,
  maxKept: 500,
  ttl: '24h',
  writesPerMinute: 30,
  sensorResources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
  detectorResources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { memory: '1Gi' } },
} as const;

export function resolveSpec(spec: NetworkIDSSpec, defaultImage: string): ResolvedSpec {
  const a = spec.detector?.autoscaling;
  const training = spec.training ?? {};
  return {
    image: spec.image || defaultImage,
    imagePullPolicy: spec.imagePullPolicy ?? DEFAULTS.imagePullPolicy,
    interfaces: [...(spec.interfaces ?? [])],
    bpfFilter: spec.bpfFilter ?? '',
    nodeSelector: { ...(spec.nodeSelector ?? {}) },
    tolerations: [...(spec.tolerations ?? [])],
    sensor: { resources: spec.sensor?.resources ?? clone(DEFAULTS.sensorResources) },
    detector: {
      replicas: spec.detector?.replicas ?? DEFAULTS.detectorReplicas,
      nodeSelector: { ...(spec.detector?.nodeSelector ?? {}) },
      tolerations: [...(spec.detector?.tolerations ?? [])],
      autoscaling: a
        ? {
            minReplicas: a.minReplicas ?? 1,
            maxReplicas: a.maxReplicas,
            targetCPUUtilizationPercentage: a.targetCPUUtilizationPercentage ?? DEFAULTS.targetCPUUtilizationPercentage,
          }
        : undefined,
      resources: spec.detector?.resources ?? clone(DEFAULTS.detectorResources),
    },
    model: {
      isolationForest: {
        trees: spec.model?.isolationForest?.trees ?? DEFAULTS.trees,
        sampleSize: spec.model?.isolationForest?.sampleSize ?? DEFAULTS.sampleSize,
      },
      oneClassSvm: { nu: spec.model?.oneClassSvm?.nu ?? DEFAULTS.nu, gamma: spec.model?.oneClassSvm?.gamma },
    },
    training: {
      // Learning ends after `samples` flows when given, else after `duration`.
      duration: training.samples === undefined ? (training.duration ?? DEFAULTS.trainingDuration) : training.duration,
      samples: training.samples,
      retrainInterval: training.retrainInterval ?? DEFAULTS.retrainInterval,
      maturing: training.maturing ?? DEFAULTS.maturing,
    },
    alerting: {
      targetFalsePositiveRate: spec.alerting?.targetFalsePositiveRate ?? DEFAULTS.targetFalsePositiveRate,
      minScore: spec.alerting?.minScore ?? DEFAULTS.minScore,
    },
    anomalies: {
      maxKept: spec.anomalies?.maxKept ?? DEFAULTS.maxKept,
      ttl: spec.anomalies?.ttl ?? DEFAULTS.ttl,
      writesPerMinute: spec.anomalies?.writesPerMinute ?? DEFAULTS.writesPerMinute,
    },
    exclusions: { cidrs: [...(spec.exclusions?.cidrs ?? [])], ports: [...(spec.exclusions?.ports ?? [])] },
  };
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
