import { existsSync } from 'node:fs';
import type { Anomaly } from '../../lib/anomaly.js';
import { ConfigError } from '../../lib/config.js';
import { KubeClient } from '../../lib/k8s/KubeClient.js';
import type { Logger } from '../../lib/logger.js';
import type { Detector, ModelInfo } from '../Detector.js';
import { AnomalyWriter } from './AnomalyWriter.js';
import { PodResolver } from './PodResolver.js';
import { StatusSummaryPatcher } from './StatusSummaryPatcher.js';

/** Where the service-account token is mounted in a pod (the in-cluster config reads it). */
const IN_CLUSTER_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export interface DetectorKubernetesOptions {
  /** The NetworkIDS this detector serves; its namespace is where Anomalies go. */
  networkids: { namespace: string; name: string };
  /** A kubeconfig file; without it, the in-cluster config. */
  kubeconfig?: string;
  anomalies: { maxKept: number; ttlS: number; writesPerMinute: number };
  logger: Logger;
}

/**
 * The detector's Kubernetes side: names the pods behind addresses (PodResolver: pods of every
 * namespace where its RBAC allows, else of its own namespace), writes each aggregated anomaly as
 * an Anomaly resource (AnomalyWriter) and keeps the NetworkIDS status' model and anomaly summary
 * current (StatusSummaryPatcher). Attached to a Detector's 'anomaly' and 'model' events.
 */
export class DetectorKubernetes {
  readonly client: KubeClient;
  readonly pods: PodResolver;
  readonly status: StatusSummaryPatcher;
  readonly writer: AnomalyWriter;
  private readonly onAnomaly = (a: Anomaly): void => this.writer.submit(a);
  private readonly onModel = (info: ModelInfo): void => this.status.setModel(modelSummary(info));
  private starting: Promise<void> | null = null;

  /**
   * Whether to run it: the NetworkIDS is named (NETIDS_NETWORKIDS) and there is an API server to
   * talk to (a kubeconfig was given, or the in-cluster config is there). A kubeconfig without a
   * NetworkIDS is a configuration error.
   */
  static wanted(o: Pick<DetectorKubernetesOptions, 'networkids' | 'kubeconfig'>, env: NodeJS.ProcessEnv = process.env): boolean {
    const named = o.networkids.name !== '';
    if (o.kubeconfig && !named) throw new ConfigError('kubeconfig is set but networkids is not: give networkids (namespace/name, or NETIDS_NETWORKIDS) too');
    return named && (Boolean(o.kubeconfig) || (Boolean(env.KUBERNETES_SERVICE_HOST) && existsSync(IN_CLUSTER_TOKEN)));
  }

  constructor(
    private readonly detector: Detector,
    private readonly o: DetectorKubernetesOptions,
  ) {
    const log = o.logger.child({ component: 'detector-k8s' });
    const { namespace, name } = o.networkids;
    this.client = KubeClient.load({ kubeconfig: o.kubeconfig });
    this.pods = new PodResolver({ client: this.client, namespace, allNamespaces: true, logger: log });
    this.status = new StatusSummaryPatcher({ client: this.client, namespace, name, logger: log });
    this.writer = new AnomalyWriter({
      client: this.client,
      namespace,
      networkIDS: name,
      writesPerMinute: o.anomalies.writesPerMinute,
      maxKept: o.anomalies.maxKept,
      ttlSeconds: o.anomalies.ttlS,
      podResolver: this.pods,
      status: this.status,
      logger: log,
    });
  }

  /**
   * Attaches to the detector at once (nothing is missed) and starts the writer and the pod
   * watch; resolves when both have synced. Failures are logged and retried by the parts
   * themselves, never thrown: scoring goes on without the API server.
   */
  start(): Promise<void> {
    this.detector.on('anomaly', this.onAnomaly);
    this.detector.on('model', this.onModel);
    this.status.setModel(modelSummary(this.detector.info()));
    const log = this.o.logger;
    this.starting ??= Promise.all([
      this.pods.start().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'pod watch did not start')),
      this.writer.start().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'Anomaly writer did not start')),
    ]).then(() => undefined);
    return this.starting;
  }

  /** Detaches, makes a last attempt to write what is pending (writer, then status), stops the watch. */
  async stop(): Promise<void> {
    this.detector.off('anomaly', this.onAnomaly);
    this.detector.off('model', this.onModel);
    await this.writer.stop();
    await this.pods.stop();
  }
}

function modelSummary(info: ModelInfo): { state: ModelInfo['state']; version: string; trainedAt: number | null; samples: number } {
  return { state: info.state, version: info.version, trainedAt: info.trainedAt, samples: info.samples };
}
