import { Informer } from '../../lib/k8s/Informer.js';
import { delay, exponentialBackoffMs } from '../../lib/k8s/Backoff.js';
import { KubeApiError } from '../../lib/k8s/KubeApiError.js';
import type { KubeClient } from '../../lib/k8s/KubeClient.js';
import type { KubeObject } from '../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../lib/k8s/resourcePath.js';
import type { Logger } from '../../lib/logger.js';
import { evictions } from '../../lib/metrics.js';

export interface PodResolverOptions {
  client: KubeClient;
  /**
   * Watch pods of this namespace ('' or absent: all namespaces; needs cluster-wide read). With
   * `allNamespaces`, the namespace to fall back to when cluster-wide reads are forbidden.
   */
  namespace?: string;
  /** Try every namespace first (RBAC permitting), so pods outside `namespace` are named too. */
  allNamespaces?: boolean;
  /** Most IP → pod entries kept; beyond it new pods are not indexed (counted as evictions{table="pods"}). */
  maxEntries?: number;
  resyncMs?: number;
  logger?: Logger;
}

interface SlimPod extends KubeObject {
  spec: { hostNetwork?: boolean };
  status: { podIP?: string; podIPs?: { ip: string }[]; phase?: string };
}

/**
 * Maps pod IPs to `namespace/name` from a pod watch, so anomalies can name their pods.
 * Host-network pods are left out (their IP is the node's, shared by many pods), and so are
 * finished pods (their IP may already belong to another pod). Only names and IPs are cached.
 */
export class PodResolver {
  private informer: Informer<SlimPod> | null = null;
  private readonly byIp = new Map<string, string>();
  private readonly maxEntries: number;
  /** The namespace watched once started ('' : all). */
  scope = '';
  private readonly stopping = new AbortController();

  constructor(private readonly o: PodResolverOptions) {
    this.maxEntries = o.maxEntries ?? 100_000;
  }

  /** Starts the watch (every namespace if asked for and allowed, else `namespace`); resolves once synced. */
  async start(): Promise<void> {
    if (this.informer) return;
    this.scope = this.o.allNamespaces && (await this.mayListAllNamespaces()) ? '' : (this.o.namespace ?? '');
    if (this.stopping.signal.aborted) return;
    const informer = new Informer<SlimPod>(this.o.client, resourcePath('Pod', this.scope || undefined), {
      name: 'pods',
      // The API server filters host-network pods out before they reach us.
      fieldSelector: 'spec.hostNetwork=false',
      resyncMs: this.o.resyncMs ?? 0,
      logger: this.o.logger,
      transform: slim,
    });
    informer.on('add', (p) => this.index(p));
    informer.on('update', (p, old) => {
      if (old && old !== p) this.unindex(old);
      this.index(p);
    });
    informer.on('delete', (p) => this.unindex(p));
    this.informer = informer;
    this.o.logger?.info({ namespace: this.scope || '(all)' }, 'watching pods to name anomalies');
    await informer.start();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.informer?.stop();
  }

  /** Asks the API server (retrying until it answers, or stop()) whether pods of all namespaces may be listed. */
  private async mayListAllNamespaces(): Promise<boolean> {
    for (let failures = 1; !this.stopping.signal.aborted; failures++) {
      try {
        await this.o.client.list(resourcePath('Pod'), { limit: 1, fieldSelector: 'spec.hostNetwork=false' });
        return true;
      } catch (err) {
        if (err instanceof KubeApiError && err.statusCode === 403) return false;
        this.o.logger?.warn({ err: (err as Error).message }, 'pod list failed; retrying');
        await delay(exponentialBackoffMs(failures, 500, 30_000), this.stopping.signal);
      }
    }
    return false;
  }

  /** `namespace/name` of the pod holding `ip`, if known. */
  resolve(ip: string): string | undefined {
    return this.byIp.get(ip);
  }

  get size(): number {
    return this.byIp.size;
  }

  private index(p: SlimPod): void {
    if (p.spec.hostNetwork || p.status.phase === 'Succeeded' || p.status.phase === 'Failed') return;
    const ref = `${p.metadata?.namespace}/${p.metadata?.name}`;
    for (const ip of podIps(p)) {
      if (this.byIp.get(ip) === ref) continue;
      if (!this.byIp.has(ip) && this.byIp.size >= this.maxEntries) {
        evictions.inc({ table: 'pods' });
        continue;
      }
      this.byIp.set(ip, ref);
    }
  }

  private unindex(p: SlimPod): void {
    const ref = `${p.metadata?.namespace}/${p.metadata?.name}`;
    for (const ip of podIps(p)) if (this.byIp.get(ip) === ref) this.byIp.delete(ip);
  }
}

function podIps(p: SlimPod): string[] {
  const ips = new Set<string>();
  if (p.status.podIP) ips.add(p.status.podIP);
  for (const { ip } of p.status.podIPs ?? []) if (ip) ips.add(ip);
  return [...ips];
}

function slim(obj: KubeObject): SlimPod {
  const spec = (obj.spec ?? {}) as SlimPod['spec'];
  const status = (obj.status ?? {}) as SlimPod['status'];
  return {
    metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace, resourceVersion: obj.metadata?.resourceVersion },
    spec: { hostNetwork: spec.hostNetwork },
    status: { podIP: status.podIP, podIPs: status.podIPs, phase: status.phase },
  };
}
