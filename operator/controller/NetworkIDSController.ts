import { isDeepStrictEqual } from 'node:util';
import { FINALIZER_POD_READER, LABEL_MANAGED_BY, MANAGED_BY, NETIDS_API_VERSION, NETWORKIDS_KIND, OPERATOR_FIELD_MANAGER } from '../../lib/k8s/constants.js';
import { Informer } from '../../lib/k8s/Informer.js';
import { KubeApiError } from '../../lib/k8s/KubeApiError.js';
import type { KubeClient } from '../../lib/k8s/KubeClient.js';
import { type KubeObject, objectKey, splitKey } from '../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../lib/k8s/resourcePath.js';
import type { Logger } from '../../lib/logger.js';
import { operatorErrors, reconcileDuration, reconcilesTotal, workQueueDepth } from '../../lib/metrics.js';
import type { NetworkIDS, OperatorOwnedStatus } from '../api/NetworkIDS.js';
import { computeStatus, transitions } from '../reconcile/computeStatus.js';
import { type DesiredOptions, desiredObjects, objectNames } from '../reconcile/desiredObjects.js';
import { podReaderBinding, podReaderBindingName } from '../reconcile/podReaderBinding.js';
import type { Reconciler, Request, Result } from '../reconcile/Reconciler.js';
import { TerminalError } from '../reconcile/TerminalError.js';
import { EventRecorder } from './EventRecorder.js';
import { RateLimiter, type RateLimiterOptions } from './RateLimiter.js';
import { WorkQueue } from './WorkQueue.js';

export interface ControllerOptions extends DesiredOptions {
  client: KubeClient;
  logger: Logger;
  /** Watch only this namespace ('' or absent: all namespaces). */
  namespace?: string;
  /** Parallel reconciles (different keys only). */
  workers?: number;
  /** Informer resync period, ms. */
  resyncMs?: number;
  rateLimiter?: RateLimiterOptions;
  /** Name of this operator instance, for Events. */
  identity?: string;
  /**
   * ClusterRole (from the chart: pods list/watch) to bind cluster-wide to each detector, so
   * anomalies name pods of every namespace. Unset: detectors read pods of their own namespace only.
   */
  podReaderClusterRole?: string;
}

/**
 * Watches NetworkIDS resources and the DaemonSets and Deployments made for them, and reconciles
 * each NetworkIDS: desired objects (pure, from the spec) are server-side applied as
 * netids-operator, then the operator's status fields are applied to the status subresource as
 * the same manager, which leaves the detector's fields (model, anomalies) alone.
 *
 * Every namespaced object made is owned by the NetworkIDS, so the garbage collector removes
 * them. The one cluster-scoped object, the detector's pod-reader ClusterRoleBinding (only with
 * podReaderClusterRole), cannot be owned by a namespaced object: a finalizer holds the NetworkIDS
 * until the operator has deleted it, and a reconcile of a NetworkIDS that is gone deletes it again.
 */
export class NetworkIDSController implements Reconciler {
  readonly queue: WorkQueue;
  private readonly nids: Informer<NetworkIDS>;
  private readonly daemonSets: Informer<KubeObject>;
  private readonly deployments: Informer<KubeObject>;
  private readonly events: EventRecorder;
  private readonly o: ControllerOptions;
  private workersDone: Promise<void>[] = [];
  private readonly abort = new AbortController();

  constructor(options: ControllerOptions) {
    this.o = options;
    const { client, logger } = options;
    const ns = options.namespace || undefined;
    const resyncMs = options.resyncMs ?? 300_000;
    this.queue = new WorkQueue(new RateLimiter(options.rateLimiter), (d) => workQueueDepth.set(d));
    this.nids = new Informer<NetworkIDS>(client, resourcePath('NetworkIDS', ns), { name: 'networkids', resyncMs, logger });
    const owned = { labelSelector: `${LABEL_MANAGED_BY}=${MANAGED_BY}`, resyncMs: 0, logger };
    this.daemonSets = new Informer(client, resourcePath('DaemonSet', ns), { name: 'daemonsets', ...owned });
    this.deployments = new Informer(client, resourcePath('Deployment', ns), { name: 'deployments', ...owned });
    this.events = new EventRecorder(client, 'netids.io/operator', options.identity ?? 'netids-operator', logger);

    this.nids.on('add', (o) => this.queue.add(objectKey(o)));
    this.nids.on('update', (o, old) => {
      if (needsReconcile(o, old)) this.queue.add(objectKey(o));
    });
    this.nids.on('delete', (o) => this.queue.add(objectKey(o)));
    const enqueueOwner = (o: KubeObject) => {
      const ref = o.metadata?.ownerReferences?.find((r) => r.kind === NETWORKIDS_KIND && r.apiVersion === NETIDS_API_VERSION && r.controller);
      if (ref && o.metadata?.namespace) this.queue.add(`${o.metadata.namespace}/${ref.name}`);
    };
    for (const inf of [this.daemonSets, this.deployments]) {
      inf.on('add', enqueueOwner).on('update', enqueueOwner).on('delete', enqueueOwner);
    }
  }

  /** Starts the informers and the workers; resolves once the caches are synced. */
  async start(): Promise<void> {
    await Promise.all([this.nids.start(), this.daemonSets.start(), this.deployments.start()]);
    const workers = this.o.workers ?? 2;
    for (let i = 0; i < workers; i++) this.workersDone.push(this.worker());
    this.o.logger.info({ workers, namespace: this.o.namespace || '(all)' }, 'controller started');
  }

  /** Graceful stop: no new work, in-flight reconciles finish, watches close. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutDown();
    await Promise.all(this.workersDone);
    await Promise.all([this.nids.stop(), this.daemonSets.stop(), this.deployments.stop()]);
    this.o.logger.info('controller stopped');
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const started = process.hrtime.bigint();
      try {
        const result = await this.reconcile(splitKey(key), this.abort.signal);
        this.queue.forget(key);
        if (result.requeueAfterMs) {
          this.queue.addAfter(key, result.requeueAfterMs);
          reconcilesTotal.inc({ result: 'requeue' });
        } else {
          reconcilesTotal.inc({ result: 'success' });
        }
      } catch (err) {
        if (err instanceof TerminalError) {
          this.queue.forget(key);
          reconcilesTotal.inc({ result: 'terminal' });
        } else {
          reconcilesTotal.inc({ result: 'error' });
          this.o.logger.warn({ key, err: (err as Error).message, retries: this.queue.rateLimiter.numRequeues(key) }, 'reconcile failed; retrying');
          this.queue.addRateLimited(key);
        }
      } finally {
        reconcileDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
        this.queue.done(key);
      }
    }
  }

  async reconcile(request: Request, _signal: AbortSignal): Promise<Result> {
    const key = `${request.namespace}/${request.name}`;
    const nids = this.nids.get(key);
    if (!nids) {
      // Gone: its namespaced objects carry owner references, the garbage collector deletes them.
      // Its pod-reader binding went under the finalizer; one applied again after that (by a
      // replica still reconciling after losing its lease, say) would outlive it, so it is
      // deleted here too: level-triggered.
      if (this.o.podReaderClusterRole && (await this.deletePodReader(request.namespace, request.name))) {
        this.o.logger.warn({ networkids: key }, 'pod-reader binding outlived its NetworkIDS; deleted');
      }
      return {};
    }
    if (nids.metadata?.deletionTimestamp) {
      await this.finalize(nids);
      return {};
    }
    const log = this.o.logger.child({ networkids: key, generation: nids.metadata?.generation });

    let desired: KubeObject[];
    try {
      desired = desiredObjects(nids, this.o);
    } catch (err) {
      if (err instanceof TerminalError) {
        await this.writeStatus(nids, { daemonSet: null, deployment: null, reconcileError: { reason: 'InvalidSpec', message: err.message } });
        log.error({ err: err.message }, 'spec cannot be reconciled');
      }
      throw err;
    }

    const applied = new Map<string, KubeObject>();
    try {
      if (this.o.podReaderClusterRole) await this.applyPodReader(nids, this.o.podReaderClusterRole);
      for (const obj of desired) {
        const path = resourcePath(obj.kind ?? '', obj.metadata?.namespace, obj.metadata?.name);
        applied.set(obj.kind ?? '', await this.o.client.apply(path, obj, OPERATOR_FIELD_MANAGER));
      }
      if (!desired.some((o) => o.kind === 'HorizontalPodAutoscaler')) await this.deleteOwnedIfPresent(nids, 'HorizontalPodAutoscaler', objectNames(request.name).detector);
    } catch (err) {
      operatorErrors.inc({ where: 'apply' });
      const message = err instanceof KubeApiError ? err.message : String(err);
      await this.writeStatus(nids, { daemonSet: null, deployment: null, reconcileError: { reason: 'ApplyFailed', message } });
      throw err;
    }
    await this.writeStatus(nids, { daemonSet: applied.get('DaemonSet') ?? null, deployment: applied.get('Deployment') ?? null });
    log.debug({ objects: desired.length }, 'reconciled');
    return {};
  }

  /** Applies the operator's status fields if they changed, and records Events for condition transitions. */
  private async writeStatus(nids: NetworkIDS, observed: Parameters<typeof computeStatus>[1]): Promise<void> {
    const status = computeStatus(nids, observed, new Date());
    const before: OperatorOwnedStatus = {
      observedGeneration: nids.status?.observedGeneration,
      conditions: nids.status?.conditions,
      sensors: nids.status?.sensors,
      detector: nids.status?.detector,
    };
    if (isDeepStrictEqual(before, status)) return;
    const { namespace, name } = nids.metadata ?? {};
    try {
      await this.o.client.apply(
        resourcePath('NetworkIDS', namespace, name, 'status'),
        { apiVersion: NETIDS_API_VERSION, kind: NETWORKIDS_KIND, metadata: { name, namespace }, status },
        OPERATOR_FIELD_MANAGER,
      );
    } catch (err) {
      operatorErrors.inc({ where: 'status' });
      if (err instanceof KubeApiError && err.isNotFound) return;
      throw err;
    }
    for (const c of transitions(nids.status?.conditions ?? [], status.conditions ?? [])) {
      const type = c.status === 'True' || c.type === 'ModelTrained' ? 'Normal' : 'Warning';
      await this.events.record(nids, type, c.reason, `${c.type}=${c.status}`, `${c.type} is ${c.status}: ${c.message}`);
    }
  }

  /** Finalizer first (so the binding can never outlive the NetworkIDS unnoticed), then the binding. */
  private async applyPodReader(nids: NetworkIDS, clusterRole: string): Promise<void> {
    const finalizers = nids.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER_POD_READER)) await this.setFinalizers(nids, [...finalizers, FINALIZER_POD_READER]);
    const { namespace = '', name = '' } = nids.metadata ?? {};
    const binding = podReaderBinding(namespace, name, clusterRole);
    await this.o.client.apply(resourcePath('ClusterRoleBinding', undefined, binding.metadata?.name), binding, OPERATOR_FIELD_MANAGER);
  }

  /** A NetworkIDS being deleted: delete what no owner reference covers, then let it go. */
  private async finalize(nids: NetworkIDS): Promise<void> {
    const finalizers = nids.metadata?.finalizers ?? [];
    if (!finalizers.includes(FINALIZER_POD_READER)) return;
    const { namespace = '', name = '' } = nids.metadata ?? {};
    await this.deletePodReader(namespace, name);
    await this.setFinalizers(nids, finalizers.filter((f) => f !== FINALIZER_POD_READER));
    this.o.logger.info({ networkids: `${namespace}/${name}` }, 'pod-reader binding deleted, finalizer removed');
  }

  /** Deletes the pod-reader binding of NetworkIDS namespace/name; false when there was none. */
  private deletePodReader(namespace: string, name: string): Promise<boolean> {
    return this.o.client.delete(resourcePath('ClusterRoleBinding', undefined, podReaderBindingName(namespace, name)));
  }

  /** Replaces the finalizer list, guarded by resourceVersion (a conflict is retried by the queue). */
  private async setFinalizers(nids: NetworkIDS, finalizers: string[]): Promise<void> {
    const { namespace, name, resourceVersion } = nids.metadata ?? {};
    await this.o.client.mergePatch(resourcePath('NetworkIDS', namespace, name), { metadata: { finalizers, resourceVersion } });
  }

  private async deleteOwnedIfPresent(nids: NetworkIDS, kind: string, name: string): Promise<void> {
    const path = resourcePath(kind, nids.metadata?.namespace, name);
    const existing = await this.o.client.getOrNull(path);
    if (existing?.metadata?.ownerReferences?.some((r) => r.uid === nids.metadata?.uid)) await this.o.client.delete(path);
  }
}

/** Spec changes, detector model-state changes, deletions and resyncs matter; our own status writes don't. */
function needsReconcile(obj: NetworkIDS, old: NetworkIDS | undefined): boolean {
  if (!old || obj === old) return true;
  if (obj.metadata?.generation !== old.metadata?.generation) return true;
  if (obj.metadata?.deletionTimestamp) return true;
  if (obj.status?.model?.state !== old.status?.model?.state || obj.status?.model?.version !== old.status?.model?.version) return true;
  return obj.status?.observedGeneration !== obj.metadata?.generation;
}
