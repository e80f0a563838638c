import { Informer } from '../../lib/k8s/Informer.js';
import type { KubeClient } from '../../lib/k8s/KubeClient.js';
import type { KubeObject } from '../../lib/k8s/KubeObject.js';
import { resourcePath } from '../../lib/k8s/resourcePath.js';
import type { Logger } from '../../lib/logger.js';
import { evictions } from '../../lib/metrics.js';

export interface PodResolverOptions {
  client: KubeClient;
  /** Watch pods of this namespace only ('' or absent: all namespaces; needs cluster-wide read). */
  namespace?: string;
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
  private readonly informer: Informer<SlimPod>;
  private readonly byIp = new Map<string, string>();
  private readonly maxEntries: number;

  constructor(options: PodResolverOptions) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.informer = new Informer<SlimPod>(options.client, resourcePath('Pod', options.namespace || undefined), {
      name: 'pods',
      // The API server filters host-network pods out before they reach us.
      fieldSelector: 'spec.hostNetwork=false',
      resyncMs: options.resyncMs ?? 0,
      logger: options.logger,
      transform: slim,
    });
    this.informer.on('add', (p) => this.index(p));
    this.informer.on('update', (p, old) => {
      if (old && old !== p) this.unindex(old);
      this.index(p);
    });
    this.informer.on('delete', (p) => this.unindex(p));
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  stop(): Promise<void> {
    return this.informer.stop();
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
