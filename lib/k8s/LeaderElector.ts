import type { Logger } from '../logger.js';
import { delay } from './Backoff.js';
import { KubeApiError } from './KubeApiError.js';
import type { KubeClient } from './KubeClient.js';
import type { KubeObject } from './KubeObject.js';
import { resourcePath } from './resourcePath.js';

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  /** Lease name, e.g. 'netids-operator'. */
  name: string;
  /** This candidate's identity (pod name + a random suffix). */
  identity: string;
  /** How long a lease is valid without renewal, seconds. */
  leaseDurationSeconds?: number;
  /** A leader that cannot renew for this long steps down, ms (less than the lease duration). */
  renewDeadlineMs?: number;
  /** Time between attempts to acquire or renew, ms. */
  retryPeriodMs?: number;
  logger?: Logger;
  /** Called when this candidate becomes leader; the signal aborts when leadership is lost or stop() is called. */
  onStartedLeading: (signal: AbortSignal) => void | Promise<void>;
  /** Called after leadership ends (lost or released). */
  onStoppedLeading?: () => void | Promise<void>;
  /** Called whenever the observed leader changes. */
  onNewLeader?: (identity: string) => void;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}
type Lease = KubeObject & { spec?: LeaseSpec };

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes
 * the lease when it is free or its holder has not renewed within leaseDurationSeconds (judged by
 * the local time at which this candidate last saw the record change, so clocks need not agree),
 * updates are guarded by resourceVersion (one winner per round), the leader renews every
 * retryPeriod and steps down when it cannot renew within renewDeadline, and stop() releases the
 * lease so another candidate takes over at once. A missing Lease is created, unless that is
 * forbidden (RBAC): then candidates wait for whoever owns it (e.g. a Helm release) to make it.
 */
export class LeaderElector {
  private readonly o: Required<Omit<LeaderElectorOptions, 'logger' | 'onStoppedLeading' | 'onNewLeader'>> & LeaderElectorOptions;
  private readonly stopper = new AbortController();
  private observed: { record: string; at: number; lease: Lease | null } = { record: '', at: 0, lease: null };
  private leading = false;
  private currentLeader = '';
  private loop: Promise<void> | null = null;
  /** Set when creating the missing Lease was forbidden: from then on only wait for it to appear. */
  private cannotCreate = false;

  constructor(options: LeaderElectorOptions) {
    this.o = { leaseDurationSeconds: 15, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, ...options };
    if (this.o.renewDeadlineMs >= this.o.leaseDurationSeconds * 1000) {
      throw new RangeError('renewDeadlineMs must be shorter than leaseDurationSeconds');
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  get leader(): string {
    return this.currentLeader;
  }

  /** Runs the election until stop(); returns at once (the loop runs in the background). */
  start(): void {
    if (!this.loop) this.loop = this.run();
  }

  /** Stops campaigning; a leader releases the lease and its onStartedLeading signal aborts. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      // Candidate: try to acquire.
      while (!signal.aborted && !(await this.tryAcquireOrRenew())) {
        await delay(jitter(this.o.retryPeriodMs), signal);
      }
      if (signal.aborted) break;
      this.leading = true;
      this.o.logger?.info({ lease: this.o.name, identity: this.o.identity }, 'became leader');
      const term = new AbortController();
      const leaderWork = Promise.resolve()
        .then(() => this.o.onStartedLeading(term.signal))
        .catch((err: unknown) => this.o.logger?.error({ err: (err as Error).message }, 'leader work failed'));
      // Leader: renew until we cannot or are told to stop.
      let lastRenew = Date.now();
      while (!signal.aborted) {
        await delay(this.o.retryPeriodMs, signal);
        if (signal.aborted) break;
        if (await this.tryAcquireOrRenew()) lastRenew = Date.now();
        else if (this.currentLeader !== this.o.identity || Date.now() - lastRenew > this.o.renewDeadlineMs) break;
      }
      this.leading = false;
      term.abort();
      await leaderWork;
      if (signal.aborted) await this.release();
      this.o.logger?.info({ lease: this.o.name, identity: this.o.identity }, 'stopped leading');
      try {
        await this.o.onStoppedLeading?.();
      } catch (err) {
        this.o.logger?.error({ err: (err as Error).message }, 'onStoppedLeading failed');
      }
    }
  }

  private path(name?: string): string {
    return resourcePath('Lease', this.o.namespace, name);
  }

  /** One round: true when this candidate holds the lease afterwards. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = Date.now();
    const me = this.o.identity;
    try {
      const lease = await this.o.client.getOrNull<Lease>(this.path(this.o.name));
      if (!lease) {
        // Where the Lease is made for us (the chart does, and grants no `create`), wait for it.
        if (this.cannotCreate) return false;
        await this.o.client.create(this.path(), {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { holderIdentity: me, leaseDurationSeconds: this.o.leaseDurationSeconds, acquireTime: microTime(now), renewTime: microTime(now), leaseTransitions: 0 },
        });
        this.observe(me);
        return true;
      }
      const spec = lease.spec ?? {};
      const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
      if (record !== this.observed.record) this.observed = { record, at: now, lease };
      const holder = spec.holderIdentity ?? '';
      this.observe(holder);
      const duration = (spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000;
      if (holder && holder !== me && this.observed.at + duration > now) return false;
      const transitions = (spec.leaseTransitions ?? 0) + (holder === me ? 0 : 1);
      const updated: Lease = {
        ...lease,
        spec: {
          holderIdentity: me,
          leaseDurationSeconds: this.o.leaseDurationSeconds,
          acquireTime: holder === me ? spec.acquireTime : microTime(now),
          renewTime: microTime(now),
          leaseTransitions: transitions,
        },
      };
      await this.o.client.replace(this.path(this.o.name), updated);
      this.observe(me);
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 403 && !this.cannotCreate) {
        this.cannotCreate = true;
        this.o.logger?.warn({ lease: this.o.name, namespace: this.o.namespace }, 'the Lease does not exist and this candidate may not create it: waiting for it to be created');
        return false;
      }
      if (!(err instanceof KubeApiError && (err.isConflict || err.statusCode === 409))) {
        this.o.logger?.warn({ err: (err as Error).message, lease: this.o.name }, 'lease update failed');
      }
      return false;
    }
  }

  private observe(holder: string): void {
    if (holder !== this.currentLeader) {
      this.currentLeader = holder;
      this.o.onNewLeader?.(holder);
    }
  }

  /** Give the lease up so another candidate need not wait for it to expire. */
  private async release(): Promise<void> {
    try {
      const lease = await this.o.client.getOrNull<Lease>(this.path(this.o.name));
      if (!lease || lease.spec?.holderIdentity !== this.o.identity) return;
      await this.o.client.replace(this.path(this.o.name), {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(Date.now()) },
      });
      this.observe('');
    } catch (err) {
      this.o.logger?.warn({ err: (err as Error).message }, 'releasing the lease failed');
    }
  }
}

function jitter(ms: number): number {
  return ms * (1 + Math.random() * 0.2);
}
