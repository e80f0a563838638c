import type { KubeObject } from '../../lib/k8s/KubeObject.js';
import type { Condition, NetworkIDS, OperatorOwnedStatus } from '../api/NetworkIDS.js';

interface DaemonSetStatus {
  observedGeneration?: number;
  desiredNumberScheduled?: number;
  numberReady?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
}
interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  updatedReplicas?: number;
  availableReplicas?: number;
}

type Cond = Omit<Condition, 'lastTransitionTime' | 'observedGeneration'>;

export interface ObservedState {
  daemonSet: KubeObject | null;
  deployment: KubeObject | null;
  /** Set when the last apply failed; Ready is False with this message. */
  reconcileError?: { reason: string; message: string };
}

/**
 * The operator's part of the NetworkIDS status, from what it observes: sensor and detector
 * counts and the four conditions, each carrying the generation it describes. The model fields
 * (status.model, status.anomalies) are the detector's; ModelTrained is derived from them.
 * lastTransitionTime is kept from `nids.status` when a condition's status does not change.
 */
export function computeStatus(nids: NetworkIDS, observed: ObservedState, now: Date): OperatorOwnedStatus {
  const generation = nids.metadata?.generation ?? 0;
  const ds = observed.daemonSet;
  const dsStatus = (ds?.status ?? {}) as DaemonSetStatus;
  const desired = dsStatus.desiredNumberScheduled ?? 0;
  const ready = dsStatus.numberReady ?? 0;
  const dsCurrent = !!ds && (dsStatus.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);

  const dep = observed.deployment;
  const depStatus = (dep?.status ?? {}) as DeploymentStatus;
  const depSpec = (dep?.spec ?? {}) as { replicas?: number };
  const wantReplicas = depSpec.replicas ?? 1;
  const readyReplicas = depStatus.readyReplicas ?? 0;
  const depCurrent = !!dep && (depStatus.observedGeneration ?? 0) >= (dep.metadata?.generation ?? 0);

  let sensors: Cond;
  if (!ds) sensors = { type: 'SensorsReady', status: 'False', reason: 'NotCreated', message: 'the sensor DaemonSet does not exist yet' };
  else if (!dsCurrent) sensors = { type: 'SensorsReady', status: 'False', reason: 'Progressing', message: 'the sensor DaemonSet has not observed its latest spec yet' };
  else if (desired === 0) sensors = { type: 'SensorsReady', status: 'False', reason: 'NoNodes', message: 'no node matches the nodeSelector and tolerations' };
  else if (ready < desired || (dsStatus.updatedNumberScheduled ?? 0) < desired)
    sensors = { type: 'SensorsReady', status: 'False', reason: 'Progressing', message: `${ready} of ${desired} sensor pods ready, ${dsStatus.updatedNumberScheduled ?? 0} up to date` };
  else sensors = { type: 'SensorsReady', status: 'True', reason: 'AllReady', message: `${ready} of ${desired} sensor pods ready` };

  let detector: Cond;
  if (!dep) detector = { type: 'DetectorReady', status: 'False', reason: 'NotCreated', message: 'the detector Deployment does not exist yet' };
  else if (!depCurrent) detector = { type: 'DetectorReady', status: 'False', reason: 'Progressing', message: 'the detector Deployment has not observed its latest spec yet' };
  else if (readyReplicas < wantReplicas || (depStatus.updatedReplicas ?? 0) < wantReplicas)
    detector = { type: 'DetectorReady', status: 'False', reason: 'Progressing', message: `${readyReplicas} of ${wantReplicas} detector replicas ready, ${depStatus.updatedReplicas ?? 0} up to date` };
  else detector = { type: 'DetectorReady', status: 'True', reason: 'AllReady', message: `${readyReplicas} of ${wantReplicas} detector replicas ready` };

  const state = nids.status?.model?.state;
  let model: Cond;
  if (state === 'trained') model = { type: 'ModelTrained', status: 'True', reason: 'Trained', message: `model ${nids.status?.model?.version ?? ''} is scoring`.replace('  ', ' ') };
  else if (state === 'training') model = { type: 'ModelTrained', status: 'False', reason: 'Training', message: 'the detector is fitting its model' };
  else if (state === 'learning') model = { type: 'ModelTrained', status: 'False', reason: 'Learning', message: 'the detector is learning the traffic baseline' };
  else model = { type: 'ModelTrained', status: 'Unknown', reason: 'NotReported', message: 'no detector has reported a model yet' };

  let readyCond: Cond;
  if (observed.reconcileError) readyCond = { type: 'Ready', status: 'False', ...observed.reconcileError };
  else if (sensors.status !== 'True') readyCond = { type: 'Ready', status: 'False', reason: `Sensors${sensors.reason}`, message: sensors.message };
  else if (detector.status !== 'True') readyCond = { type: 'Ready', status: 'False', reason: `Detector${detector.reason}`, message: detector.message };
  else readyCond = { type: 'Ready', status: 'True', reason: 'Ready', message: 'sensors and detector are running' };

  return {
    observedGeneration: generation,
    conditions: mergeConditions(nids.status?.conditions ?? [], [readyCond, sensors, detector, model], generation, now),
    sensors: { desired, ready, summary: `${ready}/${desired}` },
    detector: { replicas: wantReplicas, ready: readyReplicas, summary: `${readyReplicas}/${wantReplicas}` },
  };
}

/** New conditions, keeping each previous lastTransitionTime where the status did not change. */
export function mergeConditions(previous: readonly Condition[], next: readonly Cond[], generation: number, now: Date): Condition[] {
  const stamp = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return next.map((c) => {
    const prev = previous.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : stamp;
    return { ...c, observedGeneration: generation, lastTransitionTime };
  });
}

/** Conditions whose status changed between two lists (for Events). */
export function transitions(previous: readonly Condition[], next: readonly Condition[]): Condition[] {
  return next.filter((c) => previous.find((p) => p.type === c.type)?.status !== c.status);
}
