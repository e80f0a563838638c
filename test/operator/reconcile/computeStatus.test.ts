import { describe, expect, it } from 'vitest';
import type { NetworkIDS } from '../../../operator/api/NetworkIDS.js';
import { computeStatus, transitions } from '../../../operator/reconcile/computeStatus.js';

const t0 = new Date('2025-01-01T00:00:00Z');
const t1 = new Date('2025-01-01T00:05:00Z');
const base: NetworkIDS = { metadata: { name: 'n', namespace: 'ns', uid: 'u', generation: 2 }, spec: {} };
const ds = (desired: number, ready: number, gen = 1, observed = 1) => ({ metadata: { generation: gen }, status: { observedGeneration: observed, desiredNumberScheduled: desired, numberReady: ready, updatedNumberScheduled: ready } });
const dep = (replicas: number, ready: number) => ({ metadata: { generation: 1 }, spec: { replicas }, status: { observedGeneration: 1, readyReplicas: ready, updatedReplicas: ready } });
const cond = (s: ReturnType<typeof computeStatus>, type: string) => s.conditions?.find((c) => c.type === type);

describe('computeStatus', () => {
  it('is Ready when every sensor and detector replica is ready, with observedGeneration', () => {
    const s = computeStatus(base, { daemonSet: ds(3, 3), deployment: dep(2, 2) }, t0);
    expect(s.observedGeneration).toBe(2);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'True', reason: 'Ready', observedGeneration: 2, lastTransitionTime: '2025-01-01T00:00:00Z' });
    expect(cond(s, 'SensorsReady')?.status).toBe('True');
    expect(cond(s, 'DetectorReady')?.status).toBe('True');
    expect(cond(s, 'ModelTrained')).toMatchObject({ status: 'Unknown', reason: 'NotReported' });
    expect(s.sensors).toEqual({ desired: 3, ready: 3, summary: '3/3' });
    expect(s.detector).toEqual({ replicas: 2, ready: 2, summary: '2/2' });
  });

  it('says what is missing when not ready', () => {
    let s = computeStatus(base, { daemonSet: ds(3, 1), deployment: dep(2, 2) }, t0);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'SensorsProgressing' });
    expect(cond(s, 'SensorsReady')?.message).toContain('1 of 3');
    s = computeStatus(base, { daemonSet: ds(0, 0), deployment: dep(2, 2) }, t0);
    expect(cond(s, 'SensorsReady')?.reason).toBe('NoNodes');
    s = computeStatus(base, { daemonSet: ds(1, 1, 2, 1), deployment: dep(2, 2) }, t0);
    expect(cond(s, 'SensorsReady')?.reason).toBe('Progressing');
    s = computeStatus(base, { daemonSet: ds(1, 1), deployment: dep(2, 1) }, t0);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'DetectorProgressing' });
    s = computeStatus(base, { daemonSet: null, deployment: null, reconcileError: { reason: 'ApplyFailed', message: 'boom' } }, t0);
    expect(cond(s, 'Ready')).toMatchObject({ status: 'False', reason: 'ApplyFailed', message: 'boom' });
  });

  it('derives ModelTrained from the detector-written model state', () => {
    const trained = { ...base, status: { model: { state: 'trained' as const, version: 'm-1' } } };
    expect(cond(computeStatus(trained, { daemonSet: ds(1, 1), deployment: dep(1, 1) }, t0), 'ModelTrained')).toMatchObject({ status: 'True', reason: 'Trained' });
    const learning = { ...base, status: { model: { state: 'learning' as const } } };
    expect(cond(computeStatus(learning, { daemonSet: ds(1, 1), deployment: dep(1, 1) }, t0), 'ModelTrained')).toMatchObject({ status: 'False', reason: 'Learning' });
  });

  it('keeps lastTransitionTime while a status holds and moves it on a change', () => {
    const first = computeStatus(base, { daemonSet: ds(3, 1), deployment: dep(1, 1) }, t0);
    const prev = { ...base, status: first };
    const same = computeStatus(prev, { daemonSet: ds(3, 2), deployment: dep(1, 1) }, t1);
    expect(cond(same, 'Ready')?.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
    expect(cond(same, 'SensorsReady')?.message).toContain('2 of 3');
    expect(transitions(first.conditions!, same.conditions!)).toEqual([]);
    const flipped = computeStatus(prev, { daemonSet: ds(3, 3), deployment: dep(1, 1) }, t1);
    expect(cond(flipped, 'Ready')?.lastTransitionTime).toBe('2025-01-01T00:05:00Z');
    expect(cond(flipped, 'DetectorReady')?.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
    expect(transitions(first.conditions!, flipped.conditions!).map((c) => c.type)).toEqual(['Ready', 'SensorsReady']);
  });
});
