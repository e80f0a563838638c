// One pod under the test node agent (which stands in for a kubelet): its volumes written to files,
// each container a local process started by launch.sh inside the pod's network namespace with the
// volumes bind-mounted at their mount paths, probes, restarts, and the pod status it reports.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ImageOptions, NETIDS_IMAGE_DIR, imageCommand, isNetidsImage } from './imageCommand.js';
import type { KubeRest } from './KubeRest.js';
import type { Container, EnvVar, KeyToPath, Pod, Probe } from './podTypes.js';
import { run } from './run.js';

const here = path.dirname(fileURLToPath(import.meta.url));
// The build copies no shell scripts: compiled (dist/test/nodeagent), use the one in the sources.
const launchScript = [path.join(here, 'launch.sh'), path.resolve(here, '..', '..', '..', 'test', 'nodeagent', 'launch.sh')].find((f) => existsSync(f)) ?? path.join(here, 'launch.sh');

export interface PodSandbox {
  /** Network namespace the pod's processes run in. */
  netns: string;
  podIP: string;
  hostIP: string;
}

export interface PodRunnerOptions extends ImageOptions {
  api: KubeRest;
  nodeName: string;
  /** Per-pod directory (volumes, logs, scratch). */
  dir: string;
  sandbox: PodSandbox;
  /** Contents of /etc/resolv.conf in the pod. */
  resolvConf: string;
  /** Environment every container gets (KUBERNETES_SERVICE_HOST/PORT). */
  clusterEnv: Record<string, string>;
  log: (msg: string) => void;
}

interface ContainerState {
  container: Container;
  proc: ChildProcess | null;
  restartCount: number;
  startedAt?: string;
  ready: boolean;
  started: boolean;
  lastExit?: { exitCode: number; reason: string; finishedAt: string };
  waitingReason?: string;
  waitingMessage?: string;
  readinessOk: number;
  readinessFail: number;
  livenessFail: number;
  nextProbe: { readiness: number; liveness: number };
  restartAt?: number;
}

type Json = Record<string, unknown>;

export class PodRunner {
  private readonly states: ContainerState[];
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private lastStatus = '';
  private readonly startTime = new Date().toISOString();
  private volumeDirs = new Map<string, string>();

  constructor(
    readonly pod: Pod,
    private readonly o: PodRunnerOptions,
  ) {
    this.states = pod.spec.containers.map((container) => ({
      container,
      proc: null,
      restartCount: 0,
      ready: false,
      started: false,
      readinessOk: 0,
      readinessFail: 0,
      livenessFail: 0,
      nextProbe: { readiness: 0, liveness: 0 },
    }));
  }

  get podIP(): string {
    return this.o.sandbox.podIP;
  }

  /** Container ports by name (for probes and scrape targets). */
  ports(): { name?: string; containerPort: number }[] {
    return this.pod.spec.containers.flatMap((c) => c.ports ?? []);
  }

  /** Process id of each running container, by container name (the container's own program once launch.sh has exec'd it). */
  containerPids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.states) if (s.proc?.pid !== undefined && s.proc.exitCode === null && s.proc.signalCode === null) out[s.container.name] = s.proc.pid;
    return out;
  }

  /** Restarts of each container so far, by container name. */
  restartCounts(): Record<string, number> {
    return Object.fromEntries(this.states.map((s) => [s.container.name, s.restartCount]));
  }

  running(): boolean {
    return this.states.some((s) => s.proc !== null);
  }

  ready(): boolean {
    return this.states.every((s) => s.ready);
  }

  async start(): Promise<void> {
    mkdirSync(path.join(this.o.dir, 'home'), { recursive: true });
    try {
      await this.writeVolumes();
    } catch (err) {
      for (const s of this.states) {
        s.waitingReason = 'CreateContainerConfigError';
        s.waitingMessage = (err as Error).message;
      }
      this.o.log(`pod ${this.key()}: volumes: ${(err as Error).message}`);
    }
    this.timer = setInterval(() => void this.tick(), 500);
    await this.tick();
  }

  key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  /** Stops every process: SIGTERM, then SIGKILL after the grace period. */
  async stop(graceSeconds = this.pod.spec.terminationGracePeriodSeconds ?? 30): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(this.states.map((s) => this.killProcess(s, graceSeconds)));
  }

  /** Sends a signal to every container's process group (SIGSTOP makes a hung container). */
  signal(sig: NodeJS.Signals): number {
    let n = 0;
    for (const s of this.states) {
      if (s.proc?.pid === undefined) continue;
      try {
        process.kill(-s.proc.pid, sig);
        n += 1;
      } catch {
        // gone
      }
    }
    return n;
  }

  private async killProcess(s: ContainerState, graceSeconds: number): Promise<void> {
    const proc = s.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    try {
      process.kill(-proc.pid, 'SIGTERM');
      // A stopped (SIGSTOP) process acts on SIGTERM only once continued.
      process.kill(-proc.pid, 'SIGCONT');
    } catch {
      return;
    }
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceSeconds * 1000).unref());
    if ((await Promise.race([exited, timeout])) === 'timeout') {
      try {
        process.kill(-proc.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await exited;
    }
  }

  private async tick(): Promise<void> {
    if (this.stopping) return;
    const now = Date.now();
    for (const s of this.states) {
      if (s.waitingReason === 'CreateContainerConfigError') continue;
      if (!s.proc && (s.restartAt === undefined || now >= s.restartAt)) {
        const policy = this.pod.spec.restartPolicy ?? 'Always';
        const first = !s.started && s.lastExit === undefined;
        const again = policy === 'Always' || (policy === 'OnFailure' && (s.lastExit?.exitCode ?? 0) !== 0);
        if (first || again) this.startContainer(s);
      }
      if (s.proc) await this.probe(s, now);
    }
    await this.reportStatus().catch((err: unknown) => this.o.log(`pod ${this.key()}: status: ${(err as Error).message}`));
  }

  private startContainer(s: ContainerState): void {
    const c = s.container;
    let argv: string[];
    try {
      argv = imageCommand(c, this.o);
    } catch (err) {
      s.waitingReason = 'ErrImagePull';
      s.waitingMessage = (err as Error).message;
      return;
    }
    const cdir = path.join(this.o.dir, `c-${c.name}`);
    const scratch = path.join(cdir, `scratch-${s.restartCount}`);
    mkdirSync(scratch, { recursive: true });
    const mounts: string[] = [];
    writeFileSync(path.join(this.o.dir, 'resolv.conf'), this.o.resolvConf);
    writeFileSync(path.join(this.o.dir, 'hosts'), `127.0.0.1 localhost\n${this.o.sandbox.podIP} ${this.pod.metadata.name}\n`);
    // The netids "image" first: later mounts (an emptyDir on /tmp) may cover where the project lives.
    if (isNetidsImage(c.image, this.o)) mounts.push(`${this.o.projectRoot}\t${NETIDS_IMAGE_DIR}`);
    mounts.push(`${path.join(this.o.dir, 'resolv.conf')}\t/etc/resolv.conf`, `${path.join(this.o.dir, 'hosts')}\t/etc/hosts`);
    for (const m of c.volumeMounts ?? []) {
      const dir = this.volumeDirs.get(m.name);
      if (!dir) continue;
      mounts.push(`${m.subPath ? path.join(dir, m.subPath) : dir}\t${m.mountPath}`);
    }
    const mountsFile = path.join(cdir, 'mounts');
    writeFileSync(mountsFile, `${mounts.join('\n')}\n`);
    const env = this.env(c);
    const logFile = path.join(this.o.dir, `${c.name}.log`);
    const log = createWriteStream(logFile, { flags: 'a' });
    const proc = spawn(
      'ip',
      ['netns', 'exec', this.o.sandbox.netns, 'unshare', '--mount', '--uts', '--propagation', 'private', 'bash', launchScript, mountsFile, scratch, c.workingDir ?? '/', this.hostname(), '--', ...argv],
      { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    proc.stdout?.pipe(log, { end: false });
    proc.stderr?.pipe(log, { end: false });
    s.proc = proc;
    s.started = true;
    s.ready = false;
    s.readinessOk = 0;
    s.readinessFail = 0;
    s.livenessFail = 0;
    s.startedAt = new Date().toISOString();
    s.waitingReason = undefined;
    s.waitingMessage = undefined;
    const delay = (p?: Probe) => Date.now() + (p?.initialDelaySeconds ?? 0) * 1000;
    s.nextProbe = { readiness: delay(c.readinessProbe), liveness: delay(c.livenessProbe) };
    this.o.log(`pod ${this.key()} container ${c.name}: started pid ${proc.pid}: ${argv.join(' ')}`);
    proc.on('exit', (code, signal) => {
      s.proc = null;
      s.ready = false;
      s.lastExit = {
        exitCode: code ?? 128 + (signal ? 15 : 0),
        reason: code === 0 ? 'Completed' : 'Error',
        finishedAt: new Date().toISOString(),
      };
      log.end();
      if (this.stopping) return;
      this.o.log(`pod ${this.key()} container ${c.name}: exited (${code ?? signal}); log ${logFile}`);
      s.restartCount += 1;
      s.waitingReason = 'CrashLoopBackOff';
      s.restartAt = Date.now() + Math.min(10_000, 500 * 2 ** Math.min(s.restartCount, 5));
    });
  }

  private async probe(s: ContainerState, now: number): Promise<void> {
    const { readinessProbe: rp, livenessProbe: lp } = s.container;
    if (!rp) s.ready = true;
    else if (now >= s.nextProbe.readiness) {
      s.nextProbe.readiness = now + Math.min(2, rp.periodSeconds ?? 10) * 1000;
      if (await this.check(rp, s.container)) {
        s.readinessFail = 0;
        s.readinessOk += 1;
        if (s.readinessOk >= (rp.successThreshold ?? 1)) s.ready = true;
      } else {
        s.readinessOk = 0;
        s.readinessFail += 1;
        if (s.readinessFail >= (rp.failureThreshold ?? 3) || !s.ready) s.ready = false;
      }
    }
    if (lp && now >= s.nextProbe.liveness && s.proc) {
      s.nextProbe.liveness = now + (lp.periodSeconds ?? 10) * 1000;
      if (await this.check(lp, s.container)) s.livenessFail = 0;
      else if (++s.livenessFail >= (lp.failureThreshold ?? 3)) {
        this.o.log(`pod ${this.key()} container ${s.container.name}: liveness failed, restarting`);
        await this.killProcess(s, this.pod.spec.terminationGracePeriodSeconds ?? 30);
      }
    }
  }

  private hostname(): string {
    return this.pod.spec.hostNetwork ? this.o.nodeName : this.pod.metadata.name;
  }

  private portNumber(port: number | string, c: Container): number {
    if (typeof port === 'number') return port;
    const found = (c.ports ?? []).find((p) => p.name === port);
    return found ? found.containerPort : Number(port);
  }

  private async check(p: Probe, c: Container): Promise<boolean> {
    const timeout = (p.timeoutSeconds ?? 1) * 1000;
    try {
      if (p.httpGet) {
        const port = this.portNumber(p.httpGet.port, c);
        const res = await fetch(`http://${this.podIP}:${port}${p.httpGet.path ?? '/'}`, { signal: AbortSignal.timeout(timeout) });
        await res.arrayBuffer();
        return res.status >= 200 && res.status < 400;
      }
      if (p.tcpSocket) {
        const port = this.portNumber(p.tcpSocket.port, c);
        return await new Promise<boolean>((resolve) => {
          const sock = net.connect({ host: this.podIP, port, timeout }, () => {
            sock.destroy();
            resolve(true);
          });
          sock.on('error', () => resolve(false));
          sock.on('timeout', () => {
            sock.destroy();
            resolve(false);
          });
        });
      }
      if (p.exec) {
        // Runs in the pod's network namespace (not in its mount namespace).
        await run(['ip', 'netns', 'exec', this.o.sandbox.netns, ...p.exec.command]);
        return true;
      }
    } catch {
      return false;
    }
    return true;
  }

  private fieldValue(fieldPath: string): string {
    const m = this.pod.metadata;
    switch (fieldPath) {
      case 'spec.nodeName':
        return this.o.nodeName;
      case 'metadata.name':
        return m.name;
      case 'metadata.namespace':
        return m.namespace;
      case 'metadata.uid':
        return m.uid;
      case 'status.podIP':
        return this.o.sandbox.podIP;
      case 'status.hostIP':
        return this.o.sandbox.hostIP;
      case 'spec.serviceAccountName':
        return this.pod.spec.serviceAccountName ?? 'default';
      default: {
        const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath);
        if (label) return m.labels?.[label[1]] ?? '';
        const annotation = /^metadata\.annotations\['(.+)'\]$/.exec(fieldPath);
        if (annotation) return m.annotations?.[annotation[1]] ?? '';
        return '';
      }
    }
  }

  private env(c: Container): NodeJS.ProcessEnv {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: path.join(this.o.dir, 'home'),
      HOSTNAME: this.hostname(),
      ...this.o.clusterEnv,
    };
    for (const e of c.env ?? []) env[e.name] = this.envValue(e);
    return env;
  }

  private envValue(e: EnvVar): string {
    if (e.value !== undefined) return e.value;
    if (e.valueFrom?.fieldRef) return this.fieldValue(e.valueFrom.fieldRef.fieldPath);
    return this.envFromObject.get(e.name) ?? '';
  }

  private envFromObject = new Map<string, string>();

  private async writeVolumes(): Promise<void> {
    const ns = this.pod.metadata.namespace;
    // Values of configMapKeyRef / secretKeyRef env variables.
    for (const c of this.pod.spec.containers) {
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        const sec = e.valueFrom?.secretKeyRef;
        if (cm) {
          const obj = await this.o.api.find<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/configmaps/${cm.name}`);
          if (!obj && !cm.optional) throw new Error(`configmap ${cm.name} not found`);
          this.envFromObject.set(e.name, obj?.data?.[cm.key] ?? '');
        } else if (sec) {
          const obj = await this.o.api.find<{ data?: Record<string, string> }>(`/api/v1/namespaces/${ns}/secrets/${sec.name}`);
          if (!obj && !sec.optional) throw new Error(`secret ${sec.name} not found`);
          this.envFromObject.set(e.name, Buffer.from(obj?.data?.[sec.key] ?? '', 'base64').toString('utf8'));
        }
      }
    }
    for (const v of this.pod.spec.volumes ?? []) {
      const dir = path.join(this.o.dir, 'volumes', v.name);
      mkdirSync(dir, { recursive: true });
      this.volumeDirs.set(v.name, dir);
      if (v.configMap) await this.writeConfigMap(dir, v.configMap.name, v.configMap.items, v.configMap.optional);
      else if (v.secret) await this.writeSecret(dir, v.secret.secretName, v.secret.items, v.secret.optional);
      else if (v.downwardAPI) this.writeDownward(dir, v.downwardAPI.items);
      else if (v.hostPath) this.volumeDirs.set(v.name, v.hostPath.path);
      else if (v.projected) {
        for (const src of v.projected.sources) {
          if (src.serviceAccountToken) await this.writeToken(dir, src.serviceAccountToken);
          else if (src.configMap) await this.writeConfigMap(dir, src.configMap.name, src.configMap.items, src.configMap.optional);
          else if (src.secret) await this.writeSecret(dir, src.secret.name, src.secret.items, src.secret.optional);
          else if (src.downwardAPI) this.writeDownward(dir, src.downwardAPI.items);
        }
      }
      // emptyDir: the empty directory itself.
    }
  }

  private writeItems(dir: string, data: Record<string, string>, items?: KeyToPath[]): void {
    const pairs = items ? items.map((i) => [i.path, data[i.key] ?? ''] as const) : Object.entries(data);
    for (const [file, text] of pairs) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
  }

  private async writeConfigMap(dir: string, name: string, items?: KeyToPath[], optional?: boolean): Promise<void> {
    const cm = await this.o.api.find<{ data?: Record<string, string> }>(`/api/v1/namespaces/${this.pod.metadata.namespace}/configmaps/${name}`);
    if (!cm) {
      if (optional) return;
      throw new Error(`configmap ${name} not found`);
    }
    this.writeItems(dir, cm.data ?? {}, items);
  }

  private async writeSecret(dir: string, name: string, items?: KeyToPath[], optional?: boolean): Promise<void> {
    const s = await this.o.api.find<{ data?: Record<string, string> }>(`/api/v1/namespaces/${this.pod.metadata.namespace}/secrets/${name}`);
    if (!s) {
      if (optional) return;
      throw new Error(`secret ${name} not found`);
    }
    const decoded = Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    this.writeItems(dir, decoded, items);
  }

  private writeDownward(dir: string, items: { path: string; fieldRef?: { fieldPath: string } }[]): void {
    for (const i of items) if (i.fieldRef) writeFileSync(path.join(dir, i.path), this.fieldValue(i.fieldRef.fieldPath));
  }

  /** A bound service-account token (TokenRequest), as the kubelet's projected volume has. */
  private async writeToken(dir: string, src: { path: string; expirationSeconds?: number; audience?: string }): Promise<void> {
    const m = this.pod.metadata;
    const sa = this.pod.spec.serviceAccountName ?? 'default';
    const res = await this.o.api.post<{ status: { token: string } }>(`/api/v1/namespaces/${m.namespace}/serviceaccounts/${sa}/token`, {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      spec: {
        audiences: src.audience ? [src.audience] : null,
        expirationSeconds: Math.max(3600, src.expirationSeconds ?? 3607),
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: m.name, uid: m.uid },
      },
    });
    writeFileSync(path.join(dir, src.path), res.status.token);
  }

  private statusObject(): Json {
    const now = new Date().toISOString();
    const allReady = this.ready();
    const anyRunning = this.running();
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    const allDone = this.states.every((s) => !s.proc && s.lastExit && policy !== 'Always' && !(policy === 'OnFailure' && s.lastExit.exitCode !== 0));
    const phase = allDone ? (this.states.every((s) => s.lastExit?.exitCode === 0) ? 'Succeeded' : 'Failed') : anyRunning || this.states.some((s) => s.started) ? 'Running' : 'Pending';
    const cond = (type: string, ok: boolean) => ({ type, status: ok ? 'True' : 'False', lastTransitionTime: null as string | null });
    return {
      phase,
      hostIP: this.o.sandbox.hostIP,
      hostIPs: [{ ip: this.o.sandbox.hostIP }],
      podIP: this.o.sandbox.podIP,
      podIPs: [{ ip: this.o.sandbox.podIP }],
      startTime: this.startTime,
      conditions: [cond('PodScheduled', true), cond('Initialized', true), cond('ContainersReady', allReady), cond('Ready', allReady)].map((c) => ({
        ...c,
        lastTransitionTime: now,
      })),
      containerStatuses: this.states.map((s) => {
        let state: Json;
        if (s.proc) state = { running: { startedAt: s.startedAt } };
        else if (s.waitingReason) state = { waiting: { reason: s.waitingReason, message: s.waitingMessage } };
        else if (s.lastExit) state = { terminated: { exitCode: s.lastExit.exitCode, reason: s.lastExit.reason, finishedAt: s.lastExit.finishedAt } };
        else state = { waiting: { reason: 'ContainerCreating' } };
        return {
          name: s.container.name,
          image: s.container.image,
          imageID: `netids-e2e-agent://${s.container.image}`,
          containerID: s.proc?.pid !== undefined ? `netids-e2e-agent://${s.proc.pid}` : undefined,
          ready: s.ready,
          started: s.proc !== null,
          restartCount: s.restartCount,
          state,
          ...(s.lastExit && s.proc ? { lastState: { terminated: s.lastExit } } : {}),
        };
      }),
    };
  }

  private async reportStatus(): Promise<void> {
    const status = this.statusObject();
    // Compare without timestamps of conditions: only real changes are written.
    const signature = JSON.stringify({ ...status, conditions: (status.conditions as Json[]).map((c) => [c.type, c.status]) });
    if (signature === this.lastStatus) return;
    const m = this.pod.metadata;
    await this.o.api.mergePatch(`/api/v1/namespaces/${m.namespace}/pods/${m.name}/status`, { status });
    this.lastStatus = signature;
  }
}
