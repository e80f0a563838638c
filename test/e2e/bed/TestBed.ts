// The end-to-end test bed: three "nodes" on one machine, run against the real test control plane
// (test/cluster, started with kwok off).
//
//   root namespace: bridge <p>br 10.79.0.1/24, the API server proxy (10.79.0.1:443 → the API
//   server on loopback), the DNS stand-in (10.79.0.1:53), Prometheus (loopback), routes to each
//   node's pod range.
//   node i (network namespace <p>n<i>): eth0 10.79.0.1<i> on the root bridge; bridge cbr0
//   10.79.<i>.1/24 holding its pods' veths; forwards between pods and the other nodes.
//   pod: a network namespace with eth0 10.79.<i>.<n> on its node's cbr0 (hostNetwork pods run
//   in the node's namespace).
//
// Each node is played by a NodeAgent (test/nodeagent: it stands in for a kubelet). Traffic stays
// inside these namespaces and the bridge.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ClusterDns } from '../../nodeagent/ClusterDns.js';
import { KubeRest } from '../../nodeagent/KubeRest.js';
import { NodeAgent, type RunningPod } from '../../nodeagent/NodeAgent.js';
import { run, tryRun } from '../../nodeagent/run.js';

export interface TestBedOptions {
  kubeconfig: string;
  projectRoot: string;
  /** Image repository the agents run as netids. */
  netidsImage: string;
  nodes?: number;
  log?: (msg: string) => void;
}

export const GATEWAY = '10.79.0.1';
export const nodeIP = (i: number) => `10.79.0.${10 + i}`;
export const podCidr = (i: number) => `10.79.${i}.0/24`;

export interface ScrapeTarget {
  address: string;
  labels: Record<string, string>;
}

export class TestBed {
  readonly prefix = `ne${process.pid % 100000}`;
  readonly dir: string;
  readonly api: KubeRest;
  readonly agents: NodeAgent[] = [];
  readonly nodeNames: string[] = [];
  private dns: ClusterDns | null = null;
  private proxy: net.Server | null = null;
  private prometheus: ChildProcess | null = null;
  private targetsTimer: NodeJS.Timeout | null = null;
  prometheusUrl = '';
  private readonly log: (msg: string) => void;
  private readonly n: number;

  constructor(private readonly o: TestBedOptions) {
    // Not under /tmp: pods mount their own /tmp over it (volume sources there would be hidden).
    this.dir = mkdtempSync(path.join(existsSync('/var/tmp') ? '/var/tmp' : os.tmpdir(), 'netids-e2e-bed-'));
    this.api = new KubeRest(o.kubeconfig);
    this.n = o.nodes ?? 3;
    const logFile = createWriteStream(path.join(this.dir, 'bed.log'));
    this.log = (msg) => {
      logFile.write(`${new Date().toISOString()} ${msg}\n`);
      o.log?.(msg);
    };
  }

  get bridge(): string {
    return `${this.prefix}br`;
  }

  nodeNetns(i: number): string {
    return `${this.prefix}n${i}`;
  }

  async up(): Promise<void> {
    const routes = await run(['ip', '-4', 'route', 'show']);
    if (/\b10\.79\./.test(routes)) throw new Error(`the root namespace already routes 10.79.0.0/16 (another test bed?):\n${routes}`);
    await this.network();
    await this.startProxy();
    this.dns = new ClusterDns(this.api, { 'kubernetes.default.svc': [GATEWAY] });
    await this.dns.start(GATEWAY, 53);
    for (let i = 1; i <= this.n; i++) {
      const name = `netids-e2e-${i}`;
      const agent = new NodeAgent({
        api: this.api,
        nodeName: name,
        nodeNetns: this.nodeNetns(i),
        nodeIP: nodeIP(i),
        podCidr: podCidr(i),
        namePrefix: `${this.prefix}${i}`,
        dir: path.join(this.dir, name),
        netidsImage: this.o.netidsImage,
        projectRoot: this.o.projectRoot,
        wwwDir: this.wwwDir(),
        resolvConf: (pod) =>
          `nameserver ${GATEWAY}\nsearch ${pod.metadata.namespace}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`,
        clusterEnv: { KUBERNETES_SERVICE_HOST: 'kubernetes.default.svc', KUBERNETES_SERVICE_PORT: '443' },
        log: this.log,
      });
      await agent.start();
      this.agents.push(agent);
      this.nodeNames.push(name);
    }
  }

  private wwwDir(): string {
    const d = path.join(this.dir, 'www');
    if (!existsSync(d)) {
      mkdirSync(d, { recursive: true });
      writeFileSync(path.join(d, 'index.html'), '<html><body>netids e2e</body></html>\n');
    }
    return d;
  }

  private async network(): Promise<void> {
    const br = this.bridge;
    await run(['ip', 'link', 'add', br, 'type', 'bridge']);
    await run(['ip', 'addr', 'add', `${GATEWAY}/24`, 'dev', br]);
    await run(['ip', 'link', 'set', br, 'up']);
    for (let i = 1; i <= this.n; i++) {
      const ns = this.nodeNetns(i);
      const veth = `${this.prefix}v${i}`;
      await run(['ip', 'netns', 'add', ns]);
      await run(['ip', 'link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await run(['ip', 'link', 'set', veth, 'master', br, 'up']);
      await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      await run(['ip', '-n', ns, 'addr', 'add', `${nodeIP(i)}/24`, 'dev', 'eth0']);
      await run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
      await run(['ip', '-n', ns, 'route', 'add', 'default', 'via', GATEWAY]);
      await run(['ip', '-n', ns, 'link', 'add', 'cbr0', 'type', 'bridge']);
      await run(['ip', '-n', ns, 'addr', 'add', `10.79.${i}.1/24`, 'dev', 'cbr0']);
      await run(['ip', '-n', ns, 'link', 'set', 'cbr0', 'up']);
      await run(['ip', 'netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
      for (let j = 1; j <= this.n; j++) if (j !== i) await run(['ip', '-n', ns, 'route', 'add', podCidr(j), 'via', nodeIP(j)]);
      await run(['ip', 'route', 'add', podCidr(i), 'via', nodeIP(i), 'dev', br]);
    }
  }

  /** TCP proxy GATEWAY:443 → the API server on loopback (it listens on 127.0.0.1 only). */
  private async startProxy(): Promise<void> {
    const target = this.api.serverUrl;
    const server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port), target.hostname);
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
      client.on('close', close);
      upstream.on('close', close);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(443, GATEWAY, () => resolve());
    });
    this.proxy = server;
  }

  /** Signals a pod's processes on whichever node runs it; answers how many containers got it. */
  signalPod(namespace: string, name: string, sig: NodeJS.Signals): number {
    return this.agents.reduce((n, a) => n + a.signalPod(namespace, name, sig), 0);
  }

  /** Where the agents keep a pod's files (volumes, <container>.log), if it runs. */
  podDir(namespace: string, name: string): string | undefined {
    for (const a of this.agents) for (const p of a.pods()) if (p.pod.metadata.namespace === namespace && p.pod.metadata.name === name) return p.logDir;
    return undefined;
  }

  /** The running pod of that name on whichever node runs it (its container process ids, restarts, IP). */
  runningPod(namespace: string, name: string): RunningPod | undefined {
    for (const a of this.agents) for (const p of a.pods()) if (p.pod.metadata.namespace === namespace && p.pod.metadata.name === name) return p;
    return undefined;
  }

  /** Every running pod with a container port named `metrics`, as a Prometheus target. */
  scrapeTargets(): ScrapeTarget[] {
    const out: ScrapeTarget[] = [];
    for (const agent of this.agents) {
      for (const p of agent.pods()) {
        const port = p.pod.spec.containers.flatMap((c) => c.ports ?? []).find((x) => x.name === 'metrics');
        if (!port) continue;
        const l = p.pod.metadata.labels ?? {};
        out.push({
          address: `${p.podIP}:${port.containerPort}`,
          labels: {
            namespace: p.pod.metadata.namespace,
            pod: p.pod.metadata.name,
            node: p.pod.spec.nodeName ?? '',
            ...(l['app.kubernetes.io/component'] ? { component: l['app.kubernetes.io/component'] } : {}),
            ...(l['app.kubernetes.io/instance'] ? { networkids: l['app.kubernetes.io/instance'] } : {}),
          },
        });
      }
    }
    return out;
  }

  /**
   * Starts Debian's Prometheus on loopback: scrapes every pod target (file_sd, rewritten each
   * second from the agents' pods) every 2 s and evaluates `rulesFile` every 2 s.
   */
  async startPrometheus(rulesFile: string): Promise<string> {
    const pdir = path.join(this.dir, 'prometheus');
    mkdirSync(path.join(pdir, 'data'), { recursive: true });
    const targetsFile = path.join(pdir, 'targets.json');
    const writeTargets = () => {
      const groups = this.scrapeTargets().map((t) => ({ targets: [t.address], labels: t.labels }));
      const text = JSON.stringify(groups);
      if (!existsSync(targetsFile) || readFileSync(targetsFile, 'utf8') !== text) writeFileSync(targetsFile, text);
    };
    writeTargets();
    this.targetsTimer = setInterval(writeTargets, 1000);
    writeFileSync(
      path.join(pdir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 2s, evaluation_interval: 2s, scrape_timeout: 1s }',
        `rule_files: [${JSON.stringify(rulesFile)}]`,
        'scrape_configs:',
        '  - job_name: netids',
        `    file_sd_configs: [{ files: [${JSON.stringify(targetsFile)}], refresh_interval: 1s }]`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    const logFile = createWriteStream(path.join(pdir, 'prometheus.log'));
    const proc = spawn(
      'prometheus',
      [
        `--config.file=${path.join(pdir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(pdir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout?.pipe(logFile);
    proc.stderr?.pipe(logFile);
    this.prometheus = proc;
    this.prometheusUrl = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ok = await fetch(`${this.prometheusUrl}/-/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not start (log ${path.join(pdir, 'prometheus.log')})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return this.prometheusUrl;
  }

  async down(keepDir = false): Promise<void> {
    if (this.targetsTimer) clearInterval(this.targetsTimer);
    if (this.prometheus && this.prometheus.exitCode === null) {
      const p = this.prometheus;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (p.exitCode === null) p.kill('SIGKILL');
    }
    for (const agent of this.agents) await agent.stop(true).catch(() => undefined);
    await this.dns?.stop();
    await new Promise<void>((resolve) => (this.proxy ? this.proxy.close(() => resolve()) : resolve()));
    for (let i = 1; i <= this.n; i++) await tryRun(['ip', 'netns', 'del', this.nodeNetns(i)]);
    await tryRun(['ip', 'link', 'del', this.bridge]);
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}
