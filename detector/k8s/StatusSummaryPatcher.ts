import { isDeepStrictEqual } from 'node:util';
import { DETECTOR_FIELD_MANAGER, NETIDS_API_VERSION, NETWORKIDS_KIND } from '../../lib/k8s/constants.js';
import { KubeApiError } from '../../lib/k8s/KubeApiError.js';
import type { KubeClient } from '../../lib/k8s/KubeClient.js';
import { resourcePath } from '../../lib/k8s/resourcePath.js';
import type { Logger } from '../../lib/logger.js';
import { operatorErrors } from '../../lib/metrics.js';
import type { DetectorOwnedStatus, ModelStateName } from '../../operator/api/NetworkIDS.js';

export interface ModelSummary {
  state: ModelStateName;
  version: string;
  /** Epoch seconds, or null while learning. */
  trainedAt: number | null;
  samples: number;
}

export interface AnomalySummary {
  total: number;
  /** Epoch seconds of the latest anomaly, or null when there is none. */
  lastSeen: number | null;
  byKind: Record<string, number>;
}

export interface StatusSummaryPatcherOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  /** At most one status write per this many ms. */
  minIntervalMs?: number;
  logger?: Logger;
}

/**
 * Writes the detector's part of a NetworkIDS status (status.model and status.anomalies) with
 * server-side apply on the status subresource as field manager netids-detector, so the
 * operator's fields (conditions, sensors, detector, observedGeneration) are never touched.
 * Both parts are always sent together: with server-side apply, a field this manager stops
 * sending is removed. Writes are throttled and skipped when nothing changed.
 */
export class StatusSummaryPatcher {
  private model: ModelSummary | null = null;
  private anomalies: AnomalySummary | null = null;
  private written: DetectorOwnedStatus | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastWrite = 0;
  private inFlight: Promise<void> | null = null;
  private readonly minIntervalMs: number;

  constructor(private readonly o: StatusSummaryPatcherOptions) {
    this.minIntervalMs = o.minIntervalMs ?? 5_000;
  }

  setModel(model: ModelSummary): void {
    this.model = { ...model };
    this.schedule();
  }

  setAnomalies(summary: AnomalySummary): void {
    this.anomalies = { ...summary, byKind: { ...summary.byKind } };
    this.schedule();
  }

  /** The status body this patcher would write now. */
  body(): DetectorOwnedStatus {
    const status: DetectorOwnedStatus = {};
    if (this.model) {
      status.model = { state: this.model.state, samples: this.model.samples };
      if (this.model.version) status.model.version = this.model.version;
      if (this.model.trainedAt !== null) status.model.trainedAt = isoSeconds(this.model.trainedAt);
    }
    if (this.anomalies) {
      status.anomalies = { total: this.anomalies.total, byKind: this.anomalies.byKind };
      if (this.anomalies.lastSeen !== null) status.anomalies.lastSeen = isoSeconds(this.anomalies.lastSeen);
    }
    return status;
  }

  /** Write now if anything changed since the last write. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.inFlight) await this.inFlight;
    const status = this.body();
    if (isDeepStrictEqual(status, this.written)) return;
    this.inFlight = this.write(status).finally(() => (this.inFlight = null));
    await this.inFlight;
  }

  async stop(): Promise<void> {
    await this.flush();
  }

  private schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWrite + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, wait);
    this.timer.unref();
  }

  private async write(status: DetectorOwnedStatus): Promise<void> {
    this.lastWrite = Date.now();
    try {
      await this.o.client.apply(
        resourcePath('NetworkIDS', this.o.namespace, this.o.name, 'status'),
        { apiVersion: NETIDS_API_VERSION, kind: NETWORKIDS_KIND, metadata: { name: this.o.name, namespace: this.o.namespace }, status },
        DETECTOR_FIELD_MANAGER,
      );
      this.written = status;
    } catch (err) {
      operatorErrors.inc({ where: 'detector-status' });
      this.o.logger?.warn({ err: (err as Error).message, notFound: err instanceof KubeApiError && err.isNotFound }, 'could not write NetworkIDS status');
      this.schedule();
    }
  }
}

function isoSeconds(epochSeconds: number): string {
  return new Date(Math.round(epochSeconds * 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
