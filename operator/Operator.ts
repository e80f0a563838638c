import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { KubeClient } from '../lib/k8s/KubeClient.js';
import { LeaderElector } from '../lib/k8s/LeaderElector.js';
import type { Logger } from '../lib/logger.js';
import { operatorLeader } from '../lib/metrics.js';
import { NetworkIDSController } from './controller/NetworkIDSController.js';
import type { RateLimiterOptions } from './controller/RateLimiter.js';

export interface OperatorOptions {
  logger: Logger;
  /** Path of a kubeconfig; absent: KUBECONFIG, ~/.kube/config or in-cluster. */
  kubeconfig?: string;
  client?: KubeClient;
  /** Image for sensor and detector pods when a NetworkIDS names none. */
  image: string;
  /** Watch only this namespace ('' : all). */
  watchNamespace?: string;
  /** Namespace and name of the leader-election Lease. */
  leaseNamespace: string;
  leaseName?: string;
  /** Identity of this replica (default: hostname + random suffix). */
  identity?: string;
  leaderElection?: boolean;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  workers?: number;
  resyncMs?: number;
  rateLimiter?: RateLimiterOptions;
  detectorClusterRole?: string;
  /** See ControllerOptions.podReaderClusterRole. */
  podReaderClusterRole?: string;
}

/**
 * The netids operator: campaigns for the leader Lease and, while it leads, runs the NetworkIDS
 * controller. Any number of replicas can run; only the leader reconciles. Losing the lease
 * stops the controller and the replica becomes a candidate again.
 */
export class Operator {
  readonly identity: string;
  readonly client: KubeClient;
  private elector: LeaderElector | null = null;
  private controller: NetworkIDSController | null = null;
  private controllerStarted: Promise<void> | null = null;

  constructor(private readonly o: OperatorOptions) {
    this.identity = o.identity ?? `${hostname()}-${randomBytes(4).toString('hex')}`;
    this.client = o.client ?? KubeClient.load({ kubeconfig: o.kubeconfig });
  }

  get isLeader(): boolean {
    return this.o.leaderElection === false ? this.controller !== null : (this.elector?.isLeader ?? false);
  }

  /** The running controller (while leading), for tests and health checks. */
  get activeController(): NetworkIDSController | null {
    return this.controller;
  }

  async start(): Promise<void> {
    const log = this.o.logger.child({ identity: this.identity });
    if (this.o.leaderElection === false) {
      await this.lead();
      return;
    }
    this.elector = new LeaderElector({
      client: this.client,
      namespace: this.o.leaseNamespace,
      name: this.o.leaseName ?? 'netids-operator',
      identity: this.identity,
      leaseDurationSeconds: this.o.leaseDurationSeconds,
      renewDeadlineMs: this.o.renewDeadlineMs,
      retryPeriodMs: this.o.retryPeriodMs,
      logger: log,
      onStartedLeading: async (signal) => {
        operatorLeader.set(1);
        try {
          await this.lead();
          // The term may already be over (lost or stopped while the caches were syncing).
          if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
        } finally {
          await this.unlead();
        }
      },
      onStoppedLeading: () => {
        operatorLeader.set(0);
      },
      onNewLeader: (leader) => log.info({ leader }, 'leader observed'),
    });
    this.elector.start();
  }

  async stop(): Promise<void> {
    if (this.elector) await this.elector.stop();
    else await this.unlead();
    operatorLeader.set(0);
  }

  private async lead(): Promise<void> {
    this.controller = new NetworkIDSController({
      client: this.client,
      logger: this.o.logger.child({ component: 'controller', identity: this.identity }),
      namespace: this.o.watchNamespace,
      defaultImage: this.o.image,
      detectorClusterRole: this.o.detectorClusterRole,
      podReaderClusterRole: this.o.podReaderClusterRole,
      workers: this.o.workers,
      resyncMs: this.o.resyncMs,
      rateLimiter: this.o.rateLimiter,
      identity: this.identity,
    });
    this.controllerStarted = this.controller.start();
    await this.controllerStarted;
  }

  private async unlead(): Promise<void> {
    const c = this.controller;
    if (!c) return;
    await this.controllerStarted?.catch(() => undefined);
    await c.stop();
    this.controller = null;
  }
}
