import type { KubeObject } from '../../lib/k8s/KubeObject.js';

/** Types of the netids.io/v1alpha1 NetworkIDS resource; crds/networkids.yaml is the schema. */

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: '' | 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  tolerationSeconds?: number;
}

export interface ResourceRequirements {
  requests?: Record<string, string | number>;
  limits?: Record<string, string | number>;
}

export interface NetworkIDSSpec {
  /** Container image running `netids sensor` and `netids detector` (default: the operator's --image). */
  image?: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** Interfaces to capture on; empty means every non-loopback interface. */
  interfaces?: string[];
  /** BPF filter applied in the kernel before capture. */
  bpfFilter?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  sensor?: { resources?: ResourceRequirements };
  detector?: {
    replicas?: number;
    /** Scheduling of detector pods (the top-level nodeSelector and tolerations are the sensors'). */
    nodeSelector?: Record<string, string>;
    tolerations?: Toleration[];
    autoscaling?: { minReplicas?: number; maxReplicas: number; targetCPUUtilizationPercentage?: number };
    resources?: ResourceRequirements;
  };
  model?: {
    isolationForest?: { trees?: number; sampleSize?: number };
    oneClassSvm?: { nu?: number; gamma?: number };
  };
  training?: { duration?: string; samples?: number; retrainInterval?: string; maturing?: string };
  alerting?: { targetFalsePositiveRate?: number; minScore?: number };
  anomalies?: { maxKept?: number; ttl?: string; writesPerMinute?: number };
  exclusions?: { cidrs?: string[]; ports?: number[] };
}

export type ConditionType = 'Ready' | 'SensorsReady' | 'DetectorReady' | 'ModelTrained';

export interface Condition {
  type: ConditionType | string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ModelStateName = 'learning' | 'training' | 'trained';

/** Fields the detector owns (field manager netids-detector). */
export interface DetectorOwnedStatus {
  model?: { version?: string; trainedAt?: string; samples?: number; state?: ModelStateName };
  anomalies?: { total?: number; lastSeen?: string; byKind?: Record<string, number> };
}

/** Fields the operator owns (field manager netids-operator). */
export interface OperatorOwnedStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  sensors?: { desired: number; ready: number; summary: string };
  detector?: { replicas: number; ready: number; summary: string };
}

export type NetworkIDSStatus = OperatorOwnedStatus & DetectorOwnedStatus;

export interface NetworkIDS extends KubeObject {
  spec: NetworkIDSSpec;
  status?: NetworkIDSStatus;
}
