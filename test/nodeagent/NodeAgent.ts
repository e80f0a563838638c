// THE TEST NODE AGENT STANDS IN FOR A KUBELET. There is no container runtime on the machines that
// run the end-to-end test, so this agent plays the kubelet of one Node: it registers the Node
// (Ready, with a podCIDR), renews its Lease, watches the pods bound to it (by polling the API:
// level-triggered), runs each container's command as a local process in the pod's network
// namespace (the node's own namespace for hostNetwork pods) with its env, volumes, probes and
// restarts (PodRunner), reports pod status, and on deletion stops the processes and removes the
// pod. It is a test double: no images, no cgroups, no security contexts (processes run as root),
// no init containers; see imageCommand.ts for what runs for an image.
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { ImageOptions } from './imageCommand.js';
import { type KubeRest, KubeRestError } from './KubeRest.js';
import { PodRunner } from './PodRunner.js';
import type { Pod, PodList } from './podTypes.js';
import { run, tryRun } from './run.js';

export interface NodeAgentOptions extends ImageOptions {
  api: KubeRest;
  nodeName: string;
  /** Network namespace of the node (made by the test bed). */
  nodeNetns: string;
  nodeIP: string;
  /** The node's pod range, a /24: pods get .10, .11, …; the bridge cbr0 in the node has .1. */
  podCidr: string;
  /** Short unique prefix for pod namespace and veth names. */
  namePrefix: string;
  /** Working directory for pods (volumes, logs). */
  dir: string;
  resolvConf: (pod: Pod) => string;
  clusterEnv: Record<string, string>;
  log: (msg: string) => void;
}

export interface RunningPod {
  pod: Pod;
  podIP: string;
  ready: boolean;
  logDir: string;
  /** Process id of each running container, by container name. */
  pids: Record<string, number>;
  /** Restarts of each container so far, by container name. */
  restarts: Record<string, number>;
}

export class NodeAgent {
  private readonly runners = new Map<string, { runner: PodRunner; netns?: string; host: number; terminating: boolean }>();
  private timer: NodeJS.Timeout | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private syncing = false;
  private nextHost = 10;
  private freeHosts: number[] = [];
  private podSeq = 0;
  private stopped = false;

  constructor(private readonly o: NodeAgentOptions) {}

  private get podPrefix(): string {
    return this.o.podCidr.split('.').slice(0, 3).join('.');
  }

  /** Registers the Node (Ready) and starts syncing pods. */
  async start(): Promise<void> {
    mkdirSync(this.o.dir, { recursive: true });
    const n = this.o.nodeName;
    const node = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: n,
        labels: { 'kubernetes.io/hostname': n, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'netids.io/e2e-node': 'true' },
      },
      spec: { podCIDR: this.o.podCidr, podCIDRs: [this.o.podCidr] },
    };
    if (!(await this.o.api.find(`/api/v1/nodes/${n}`))) await this.o.api.post('/api/v1/nodes', node);
    await this.postNodeStatus();
    await this.renewLease();
    this.leaseTimer = setInterval(() => {
      void this.renewLease().catch((err: unknown) => this.o.log(`node ${n}: lease: ${(err as Error).message}`));
      void this.postNodeStatus().catch((err: unknown) => this.o.log(`node ${n}: status: ${(err as Error).message}`));
    }, 10_000);
    this.timer = setInterval(() => void this.sync(), 1000);
    await this.sync();
  }

  /** Stops every pod's processes and removes their namespaces; deletes the Node when asked. */
  async stop(deleteNode = true): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.leaseTimer) clearInterval(this.leaseTimer);
    await Promise.all([...this.runners.values()].map(async (r) => {
      await r.runner.stop(2);
      if (r.netns) await tryRun(['ip', 'netns', 'del', r.netns]);
    }));
    this.runners.clear();
    if (deleteNode) await this.o.api.delete(`/api/v1/nodes/${this.o.nodeName}`).catch(() => undefined);
  }

  /** Pods this agent runs now. */
  pods(): RunningPod[] {
    return [...this.runners.values()]
      .filter((r) => !r.terminating)
      .map((r) => ({ pod: r.runner.pod, podIP: r.runner.podIP, ready: r.runner.ready(), logDir: path.join(this.o.dir, r.runner.pod.metadata.uid), pids: r.runner.containerPids(), restarts: r.runner.restartCounts() }));
  }

  /** Signals the processes of a pod this agent runs; answers how many containers got it. */
  signalPod(namespace: string, name: string, sig: NodeJS.Signals): number {
    for (const r of this.runners.values()) {
      const m = r.runner.pod.metadata;
      if (m.namespace === namespace && m.name === name && !r.terminating) return r.runner.signal(sig);
    }
    return 0;
  }

  private async postNodeStatus(): Promise<void> {
    const now = new Date().toISOString();
    const capacity = { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    await this.o.api.mergePatch(`/api/v1/nodes/${this.o.nodeName}/status`, {
      status: {
        capacity,
        allocatable: capacity,
        addresses: [
          { type: 'InternalIP', address: this.o.nodeIP },
          { type: 'Hostname', address: this.o.nodeName },
        ],
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'netids test node agent (stands in for a kubelet) is running', lastHeartbeatTime: now, lastTransitionTime: now },
          ...['MemoryPressure', 'DiskPressure', 'PIDPressure'].map((type) => ({ type, status: 'False', reason: 'KubeletHasSufficient', lastHeartbeatTime: now, lastTransitionTime: now })),
        ],
        nodeInfo: {
          architecture: 'amd64',
          operatingSystem: 'linux',
          kubeletVersion: 'netids-test-node-agent',
          kubeProxyVersion: 'none',
          containerRuntimeVersion: 'local-processes://0',
          osImage: 'test',
          kernelVersion: '',
          machineID: '',
          systemUUID: '',
          bootID: '',
        },
        daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
      },
    });
  }

  private async renewLease(): Promise<void> {
    const n = this.o.nodeName;
    const p = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`;
    const spec = { holderIdentity: n, leaseDurationSeconds: 40, renewTime: new Date().toISOString().replace('Z', '000Z') };
    const lease = await this.o.api.find(p);
    if (!lease) {
      await this.o.api.post('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: n, namespace: 'kube-node-lease' },
        spec,
      });
    } else {
      await this.o.api.mergePatch(p, { spec });
    }
  }

  private async sync(): Promise<void> {
    if (this.syncing || this.stopped) return;
    this.syncing = true;
    try {
      const list = await this.o.api.get<PodList>(`/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${this.o.nodeName}`)}`);
      const seen = new Set<string>();
      for (const pod of list.items) {
        const uid = pod.metadata.uid;
        seen.add(uid);
        const existing = this.runners.get(uid);
        if (pod.metadata.deletionTimestamp) {
          if (existing && !existing.terminating) void this.terminate(uid, pod);
          else if (!existing) await this.finalDelete(pod);
          continue;
        }
        if (!existing && !['Succeeded', 'Failed'].includes(pod.status?.phase ?? '')) await this.startPod(pod);
      }
      // Pods removed without us (force delete): stop them.
      for (const [uid, r] of this.runners) if (!seen.has(uid) && !r.terminating) void this.terminate(uid, undefined);
    } catch (err) {
      this.o.log(`node ${this.o.nodeName}: sync: ${(err as Error).message}`);
    } finally {
      this.syncing = false;
    }
  }

  private allocateHost(): number {
    return this.freeHosts.shift() ?? this.nextHost++;
  }

  private async startPod(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid;
    let netns: string | undefined;
    let podIP: string;
    let host = 0;
    if (pod.spec.hostNetwork) {
      podIP = this.o.nodeIP;
    } else {
      host = this.allocateHost();
      podIP = `${this.podPrefix}.${host}`;
      const seq = this.podSeq++;
      netns = `${this.o.namePrefix}p${seq}`;
      const hostVeth = `${this.o.namePrefix}h${seq}`;
      const node = this.o.nodeNetns;
      try {
        await run(['ip', 'netns', 'add', netns]);
        await run(['ip', '-n', node, 'link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
        await run(['ip', '-n', node, 'link', 'set', hostVeth, 'master', 'cbr0', 'up']);
        await run(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
        await run(['ip', '-n', netns, 'addr', 'add', `${podIP}/24`, 'dev', 'eth0']);
        await run(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
        await run(['ip', '-n', netns, 'route', 'add', 'default', 'via', `${this.podPrefix}.1`]);
      } catch (err) {
        this.o.log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: sandbox: ${(err as Error).message}`);
        await tryRun(['ip', 'netns', 'del', netns]);
        this.freeHosts.push(host);
        return;
      }
    }
    const runner = new PodRunner(pod, {
      ...this.o,
      api: this.o.api,
      nodeName: this.o.nodeName,
      dir: path.join(this.o.dir, uid),
      sandbox: { netns: netns ?? this.o.nodeNetns, podIP, hostIP: this.o.nodeIP },
      resolvConf: this.o.resolvConf(pod),
      clusterEnv: this.o.clusterEnv,
      log: this.o.log,
    });
    this.runners.set(uid, { runner, netns, host, terminating: false });
    this.o.log(`node ${this.o.nodeName}: starting pod ${pod.metadata.namespace}/${pod.metadata.name} at ${podIP}`);
    await runner.start();
  }

  private async terminate(uid: string, pod: Pod | undefined): Promise<void> {
    const r = this.runners.get(uid);
    if (!r) return;
    r.terminating = true;
    const grace = pod?.metadata.deletionGracePeriodSeconds ?? pod?.spec.terminationGracePeriodSeconds ?? 30;
    await r.runner.stop(grace);
    if (r.netns) await tryRun(['ip', 'netns', 'del', r.netns]);
    if (r.host) this.freeHosts.push(r.host);
    this.runners.delete(uid);
    rmSync(path.join(this.o.dir, uid, 'volumes'), { recursive: true, force: true });
    if (pod) await this.finalDelete(pod);
    this.o.log(`node ${this.o.nodeName}: pod ${r.runner.key()} stopped`);
  }

  /** The kubelet's last word: delete with grace 0 once the processes are gone. */
  private async finalDelete(pod: Pod): Promise<void> {
    const m = pod.metadata;
    await this.o.api
      .delete(`/api/v1/namespaces/${m.namespace}/pods/${m.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: m.uid } })
      .catch((err: unknown) => {
        if (!(err instanceof KubeRestError && (err.status === 404 || err.status === 409))) this.o.log(`pod ${m.namespace}/${m.name}: delete: ${(err as Error).message}`);
      });
  }
}
