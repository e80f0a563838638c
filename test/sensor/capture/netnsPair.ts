import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/**
 * Two network namespaces joined by a veth pair (veth0 in each): `a` is 10.99.0.1, `b` 10.99.0.2.
 * IPv6 is off on both so the only traffic is what a test sends. Always `destroy()` it.
 */
export class NetnsPair {
  readonly a: string;
  readonly b: string;
  private readonly procs: ChildProcess[] = [];

  constructor(prefix: string) {
    this.a = `${prefix}${process.pid}a`;
    this.b = `${prefix}${process.pid}b`;
    this.destroy();
    const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe' });
    ip('netns', 'add', this.a);
    ip('netns', 'add', this.b);
    ip('link', 'add', 'veth0', 'netns', this.a, 'type', 'veth', 'peer', 'name', 'veth0', 'netns', this.b);
    for (const [ns, addr] of [[this.a, '10.99.0.1/24'], [this.b, '10.99.0.2/24']]) {
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('-n', ns, 'addr', 'add', addr, 'dev', 'veth0');
      ip('-n', ns, 'link', 'set', 'veth0', 'up');
    }
    // A veth end is operationally up a moment after `link set up`; tests must not race it.
    const deadline = Date.now() + 10_000;
    for (const ns of [this.a, this.b]) {
      while (this.run(ns, 'cat', '/sys/class/net/veth0/operstate').trim() !== 'up') {
        if (Date.now() > deadline) throw new Error(`veth0 in ${ns} did not come up within 10 s`);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
      }
    }
  }

  /** Run a command in a namespace to completion. */
  run(ns: string, cmd: string, ...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Start a long-running command in a namespace; killed by destroy(). */
  background(ns: string, cmd: string, args: string[], cwd?: string): ChildProcess {
    const p = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: 'ignore', cwd });
    this.procs.push(p);
    return p;
  }

  /** rx+tx packets and bytes of veth0 in `ns`. */
  linkCounters(ns: string): { packets: number; bytes: number } {
    const text = this.run(ns, 'cat', '/proc/net/dev');
    const line = text.split('\n').find((l) => l.trim().startsWith('veth0:'));
    if (!line) throw new Error(`veth0 missing in ${ns}`);
    const f = line.split(':')[1].trim().split(/\s+/).map(Number);
    return { packets: f[1] + f[9], bytes: f[0] + f[8] };
  }

  destroy(): void {
    for (const p of this.procs.splice(0)) p.kill('SIGKILL');
    for (const ns of [this.a, this.b]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // not there
      }
    }
  }
}

/** Poll `cond` every 20 ms until it holds or `ms` pass; returns whether it held. */
export async function waitFor(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Namespaces and captures need root (CAP_SYS_ADMIN and CAP_NET_RAW). */
export const isRoot = (): boolean => process.getuid?.() === 0;
