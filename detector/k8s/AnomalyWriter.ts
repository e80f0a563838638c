import type { Anomaly } from '../../lib/anomaly.js';
import { exponentialBackoffMs } from '../../lib/k8s/Backoff.js';
import { type Clock, systemClock } from '../../lib/k8s/Clock.js';
import {
  ANOMALY_KIND,
  DETECTOR_FIELD_MANAGER,
  LABEL_ANOMALY_KIND,
  LABEL_MANAGED_BY,
  LABEL_NETWORKIDS,
  NETIDS_API_VERSION,
  NETWORKIDS_KIND,
} from '../../lib/k8s/constants.js';
import { KubeApiError } from '../../lib/k8s/KubeApiError.js';
import type { KubeClient } from '../../lib/k8s/KubeClient.js';
import type { KubeObject, OwnerReference } from '../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../lib/k8s/resourcePath.js';
import { TokenBucket } from '../../lib/k8s/TokenBucket.js';
import type { Logger } from '../../lib/logger.js';
import { anomalyWrites, anomalyWritesCoalesced, anomalyWritesDropped, anomalyWritesPending } from '../../lib/metrics.js';
import { anomalyResourceName } from './anomalyResourceName.js';
import type { PodResolver } from './PodResolver.js';
import type { AnomalySummary, StatusSummaryPatcher } from './StatusSummaryPatcher.js';

export interface AnomalyWriterOptions {
  client: KubeClient;
  /** The NetworkIDS the anomalies belong to (their owner; same namespace). */
  namespace: string;
  networkIDS: string;
  /** Sustained Anomaly writes per minute (spec.anomalies.writesPerMinute). */
  writesPerMinute: number;
  /** Writes allowed at once after a quiet spell (default: 10 seconds' worth, at least 1). */
  burst?: number;
  /** Most Anomaly resources kept; the ones seen longest ago are deleted first. */
  maxKept: number;
  /** Anomalies not seen for this long are deleted, seconds. */
  ttlSeconds: number;
  /** Most anomalies waiting to be written; a new id beyond it is dropped (counted). */
  maxPending?: number;
  /** Time between prune passes (TTL, maxKept), ms. */
  pruneIntervalMs?: number;
  podResolver?: PodResolver;
  status?: StatusSummaryPatcher;
  logger?: Logger;
  clock?: Clock;
}

/** What the writer knows of one Anomaly resource in the cluster. */
interface Known {
  kind: string;
  firstSeen: number;
  lastSeen: number;
  count: number;
  score: number;
}

type AnomalyResource = KubeObject & { spec: Anomaly };

export interface AnomalyWriterStats {
  created: number;
  updated: number;
  deleted: number;
  coalesced: number;
  pending: number;
  dropped: Record<string, number>;
}

/**
 * Turns the detector's aggregated anomalies into Anomaly resources, kindly to the API server:
 *
 * - de-duplicated: the resource name is derived from the anomaly id, so a repeat updates the
 *   same resource (count, lastSeen, score merged with what is there: firstSeen min, lastSeen,
 *   count and score max, so replicas reporting the same id never move it backwards);
 * - rate-limited: a token bucket of writesPerMinute; an anomaly that cannot be written now
 *   waits in a pending map holding only its latest state (a flood of repeats becomes one
 *   write), bounded by maxPending (a new id beyond it is dropped and counted);
 * - pruned: resources not seen for ttl, and beyond maxKept the ones seen longest ago, are
 *   deleted; owner references to the NetworkIDS let Kubernetes delete the rest with it;
 * - summarised: total, lastSeen and count by kind go to the NetworkIDS status.
 *
 * Writes are server-side applies as netids-detector (create-or-update in one request). Nothing
 * here throws at the caller: failures are logged, counted and retried with backoff.
 */
export class AnomalyWriter {
  private readonly o: Required<Omit<AnomalyWriterOptions, 'podResolver' | 'status' | 'logger' | 'burst'>> & AnomalyWriterOptions;
  private readonly bucket: TokenBucket;
  private readonly pending = new Map<string, Anomaly>();
  private readonly known = new Map<string, Known>();
  private owner: OwnerReference | null = null;
  private timer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private pruning: Promise<void> | null = null;
  private failures = 0;
  private stopped = false;
  private readonly counts: AnomalyWriterStats = { created: 0, updated: 0, deleted: 0, coalesced: 0, pending: 0, dropped: {} };

  constructor(options: AnomalyWriterOptions) {
    this.o = { maxPending: 1000, pruneIntervalMs: 60_000, clock: systemClock, ...options };
    const rate = options.writesPerMinute / 60;
    const burst = options.burst ?? Math.max(1, Math.round(rate * 10));
    this.bucket = new TokenBucket(rate, burst, this.o.clock);
  }

  /** Loads the Anomaly resources already there (so a restart creates no duplicates) and starts pruning. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.resolveOwner().catch((err: unknown) => this.o.logger?.warn({ err: (err as Error).message }, 'NetworkIDS not readable yet'));
    await this.refreshKnown();
    this.publishSummary();
    this.pruneTimer = setInterval(() => void this.prune(), this.o.pruneIntervalMs);
    this.pruneTimer.unref();
    this.kick(0);
  }

  /** Stops timers and makes one last attempt to write what is pending (within the rate limit). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.pumping;
    await this.pruning;
    await this.o.status?.stop();
  }

  /** Hand over an anomaly (new or updated aggregate). Never throws, never waits. */
  submit(anomaly: Anomaly): void {
    const name = anomalyResourceName(anomaly.kind, anomaly.id);
    if (this.pending.has(name)) {
      this.pending.set(name, anomaly);
      this.counts.coalesced++;
      anomalyWritesCoalesced.inc();
    } else if (this.pending.size >= this.o.maxPending) {
      this.drop('overflow');
      return;
    } else {
      this.pending.set(name, anomaly);
    }
    anomalyWritesPending.set(this.pending.size);
    this.kick(0);
  }

  stats(): AnomalyWriterStats {
    return { ...this.counts, pending: this.pending.size, dropped: { ...this.counts.dropped } };
  }

  /** Resolves once nothing is pending (or the deadline passes); for tests and shutdown. */
  async drain(deadlineMs: number): Promise<boolean> {
    const end = Date.now() + deadlineMs;
    while (Date.now() < end) {
      if (this.pending.size === 0 && !this.pumping) return true;
      await (this.pumping ?? new Promise((r) => setTimeout(r, 20)));
    }
    return this.pending.size === 0;
  }

  /** Deletes expired anomalies and those beyond maxKept, then updates the status summary. */
  prune(): Promise<void> {
    if (!this.pruning) this.pruning = this.doPrune().finally(() => (this.pruning = null));
    return this.pruning;
  }

  private kick(ms: number): void {
    if (this.stopped && ms > 0) return;
    if (this.timer) {
      if (ms > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.pumping) this.pumping = this.pump().finally(() => (this.pumping = null));
    }, ms);
    if (ms > 0) this.timer.unref();
  }

  private async pump(): Promise<void> {
    while (this.pending.size > 0) {
      if (!this.owner) {
        try {
          await this.resolveOwner();
        } catch (err) {
          this.o.logger?.warn({ err: (err as Error).message }, 'cannot write anomalies: owner NetworkIDS not found');
          return this.kick(5_000);
        }
      }
      if (!this.bucket.take()) return this.kick(Math.max(50, this.bucket.delayMs()));
      const [name, anomaly] = this.pending.entries().next().value as [string, Anomaly];
      this.pending.delete(name);
      anomalyWritesPending.set(this.pending.size);
      const ok = await this.write(name, anomaly);
      if (!ok) {
        // Transient failure: put it back unless a newer state arrived meanwhile; back off.
        if (!this.pending.has(name)) this.pending.set(name, anomaly);
        this.failures++;
        return this.kick(exponentialBackoffMs(this.failures, 500, 60_000));
      }
      this.failures = 0;
    }
    if (this.known.size > this.o.maxKept) void this.prune();
  }

  private async write(name: string, a: Anomaly): Promise<boolean> {
    const prev = this.known.get(name);
    const spec: Anomaly = {
      ...a,
      firstSeen: prev ? Math.min(prev.firstSeen, a.firstSeen) : a.firstSeen,
      lastSeen: prev ? Math.max(prev.lastSeen, a.lastSeen) : a.lastSeen,
      count: prev ? Math.max(prev.count, a.count) : a.count,
      score: prev ? Math.max(prev.score, a.score) : a.score,
    };
    const srcPod = a.srcPod ?? this.o.podResolver?.resolve(a.src);
    const dstPod = a.dstPod ?? (a.dst === '*' ? undefined : this.o.podResolver?.resolve(a.dst));
    if (srcPod) spec.srcPod = srcPod;
    if (dstPod) spec.dstPod = dstPod;
    const body: AnomalyResource = {
      apiVersion: NETIDS_API_VERSION,
      kind: ANOMALY_KIND,
      metadata: {
        name,
        namespace: this.o.namespace,
        labels: { [LABEL_NETWORKIDS]: this.o.networkIDS, [LABEL_ANOMALY_KIND]: a.kind, [LABEL_MANAGED_BY]: DETECTOR_FIELD_MANAGER },
        ownerReferences: [this.owner as OwnerReference],
      },
      spec,
    };
    try {
      await this.o.client.apply(resourcePath('Anomaly', this.o.namespace, name), body, DETECTOR_FIELD_MANAGER);
    } catch (err) {
      const status = err instanceof KubeApiError ? err.statusCode : 0;
      if (status >= 400 && status < 500 && status !== 409 && status !== 429) {
        // The API server refused this anomaly (e.g. a value out of range): retrying won't help.
        this.drop('rejected');
        this.o.logger?.warn({ err: (err as Error).message, id: a.id }, 'Anomaly refused by the API server');
        return true;
      }
      this.o.logger?.warn({ err: (err as Error).message, id: a.id }, 'writing Anomaly failed; will retry');
      return false;
    }
    const op = prev ? 'update' : 'create';
    anomalyWrites.inc({ op });
    if (prev) this.counts.updated++;
    else this.counts.created++;
    this.known.set(name, { kind: a.kind, firstSeen: spec.firstSeen, lastSeen: spec.lastSeen, count: spec.count, score: spec.score });
    this.publishSummary();
    return true;
  }

  private async doPrune(): Promise<void> {
    try {
      await this.refreshKnown();
      const now = this.o.clock() / 1000;
      const byAge = [...this.known.entries()].sort((x, y) => x[1].lastSeen - y[1].lastSeen);
      const doomed = new Set<string>();
      for (const [name, k] of byAge) if (k.lastSeen < now - this.o.ttlSeconds) doomed.add(name);
      const excess = byAge.length - doomed.size - this.o.maxKept;
      for (const [name] of byAge.filter(([n]) => !doomed.has(n)).slice(0, Math.max(0, excess))) doomed.add(name);
      for (const name of doomed) {
        if (this.pending.has(name)) continue; // seen again since: it will be rewritten
        await this.o.client.delete(resourcePath('Anomaly', this.o.namespace, name));
        this.known.delete(name);
        this.counts.deleted++;
        anomalyWrites.inc({ op: 'delete' });
      }
      this.publishSummary();
    } catch (err) {
      this.o.logger?.warn({ err: (err as Error).message }, 'pruning Anomalies failed');
    }
  }

  /** Reload what the cluster holds for this NetworkIDS (other replicas write too). */
  private async refreshKnown(): Promise<void> {
    try {
      const list = await this.o.client.list<AnomalyResource>(resourcePath('Anomaly', this.o.namespace), {
        labelSelector: `${LABEL_NETWORKIDS}=${this.o.networkIDS}`,
      });
      this.known.clear();
      for (const item of list.items) {
        const s = item.spec;
        if (item.metadata?.name && s) this.known.set(item.metadata.name, { kind: s.kind, firstSeen: s.firstSeen, lastSeen: s.lastSeen, count: s.count, score: s.score });
      }
    } catch (err) {
      this.o.logger?.warn({ err: (err as Error).message }, 'listing Anomalies failed');
    }
  }

  private async resolveOwner(): Promise<void> {
    const nids = await this.o.client.get(resourcePath('NetworkIDS', this.o.namespace, this.o.networkIDS));
    this.owner = { apiVersion: NETIDS_API_VERSION, kind: NETWORKIDS_KIND, name: this.o.networkIDS, uid: nids.metadata?.uid ?? '' };
  }

  /** Summary of what the cluster holds now. */
  summary(): AnomalySummary {
    const byKind: Record<string, number> = {};
    let lastSeen: number | null = null;
    for (const k of this.known.values()) {
      byKind[k.kind] = (byKind[k.kind] ?? 0) + 1;
      if (lastSeen === null || k.lastSeen > lastSeen) lastSeen = k.lastSeen;
    }
    return { total: this.known.size, lastSeen, byKind };
  }

  private publishSummary(): void {
    this.o.status?.setAnomalies(this.summary());
  }

  private drop(reason: string): void {
    this.counts.dropped[reason] = (this.counts.dropped[reason] ?? 0) + 1;
    anomalyWritesDropped.inc({ reason });
  }
}
