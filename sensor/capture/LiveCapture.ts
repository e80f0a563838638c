import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { PacketSink } from './PacketSink.js';
import { PcapFormatError } from './PcapFormatError.js';
import { PcapStreamParser } from './PcapStreamParser.js';
import { LiveCaptureError } from './LiveCaptureError.js';
import { listCaptureInterfaces } from './listCaptureInterfaces.js';

export interface LiveCaptureOptions {
  /** Interfaces to capture on, one tcpdump each. Default: every interface that is up and not loopback. */
  interfaces?: string[];
  /** BPF filter expression (tcpdump syntax). */
  filter?: string;
  /**
   * Bytes kept of each packet. Default 256: every header the decoder reads (Ethernet, VLANs,
   * IPv6 extension headers, TCP options) fits, and lengths come from the IP headers. Measured:
   * in immediate mode libpcap uses fixed-size ring frames sized by the snaplen, so a 256 KiB
   * snaplen leaves a few hundred frames and drops under load; raise it only with `immediate: false`.
   */
  snaplen?: number;
  /** Put interfaces in promiscuous mode. Default true. */
  promiscuous?: boolean;
  /** Kernel capture buffer per interface, KiB (tcpdump -B). Default 16384. */
  bufferKiB?: number;
  /**
   * Hand packets over as they arrive (default true). With false, libpcap hands over whole buffer
   * blocks, when full or after tcpdump's 1 s timeout: less CPU, up to a second of latency, and
   * the block in progress at stop() is lost.
   */
  immediate?: boolean;
  /** How often to ask tcpdump for its drop counters (SIGUSR1), ms; 0 disables. Default 5000. */
  statsIntervalMs?: number;
  /** Run tcpdump inside this named network namespace (`ip netns exec`). */
  netns?: string;
  /** tcpdump binary. Default 'tcpdump' from PATH. */
  tcpdumpPath?: string;
  /** A command that runs tcpdump for us, e.g. ['setpriv', '--reuid=nobody', ...]; it must exec tcpdump (keep its pid). */
  commandPrefix?: string[];
  /** Called when a running capture fails (tcpdump died, its stream was corrupt); the others keep running. */
  onError?: (err: LiveCaptureError) => void;
}

/** Counters of one interface. */
export interface InterfaceCaptureCounters {
  iface: string;
  linkType: number;
  /** Packets and wire bytes handed to the sink. */
  packets: number;
  bytes: number;
  /** Packets the kernel dropped because the capture buffer was full (tcpdump's "dropped by kernel"). */
  kernelDrops: number;
  /** Packets the interface dropped since the capture started (rx_dropped of the interface). */
  ifDrops: number;
  /** tcpdump's own "packets received by filter" at its last report. */
  receivedByFilter: number;
  running: boolean;
}

export interface CaptureCounters {
  packets: number;
  bytes: number;
  kernelDrops: number;
  ifDrops: number;
  interfaces: InterfaceCaptureCounters[];
}

interface Tap {
  counters: InterfaceCaptureCounters;
  proc: ChildProcess;
  parser: PcapStreamParser;
  stderr: string;
  ifDropsBase: number;
  listening: boolean;
  exited: Promise<void>;
  statsWaiters: (() => void)[];
}

/**
 * Live capture by running one `tcpdump -w - -U` per interface and parsing its pcap stream (the
 * fastest way measured here, with no drops where libpcap bindings in the Node process dropped).
 * Kernel drops come from tcpdump's statistics, requested with SIGUSR1 every `statsIntervalMs`
 * and at stop; interface drops from the interface's rx_dropped counter.
 *
 * `start()` resolves once every tcpdump is listening, or rejects with one {@link LiveCaptureError}
 * that says what to fix (a missing interface, a bad filter, missing privileges). `stop()` ends
 * every tcpdump with SIGINT, delivers the packets still in flight and returns final counters.
 */
export class LiveCapture {
  private readonly sink: PacketSink;
  private readonly opts: LiveCaptureOptions;
  private taps: Tap[] = [];
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(sink: PacketSink, opts: LiveCaptureOptions = {}) {
    this.sink = sink;
    this.opts = opts;
  }

  async start(): Promise<void> {
    if (this.taps.length > 0) throw new Error('LiveCapture already started');
    const ifaces = this.opts.interfaces ?? (await listCaptureInterfaces(this.opts.netns));
    if (ifaces.length === 0) {
      throw new LiveCaptureError('no-interfaces', '', 'no interface to capture on: none is up apart from loopback; name one explicitly');
    }
    this.taps = ifaces.map((iface) => this.spawnTap(iface));
    try {
      await Promise.all(this.taps.map((t) => this.waitListening(t)));
    } catch (err) {
      await this.killAll();
      this.taps = [];
      throw err;
    }
    for (const t of this.taps) t.ifDropsBase = await this.readIfDrops(t);
    const every = this.opts.statsIntervalMs ?? 5000;
    if (every > 0) {
      this.timer = setInterval(() => void this.pollStats(), every);
      this.timer.unref();
    }
  }

  /** Current counters, per interface and summed. */
  counters(): CaptureCounters {
    const interfaces = this.taps.map((t) => ({ ...t.counters }));
    const sum = (k: 'packets' | 'bytes' | 'kernelDrops' | 'ifDrops'): number => interfaces.reduce((n, c) => n + c[k], 0);
    return { packets: sum('packets'), bytes: sum('bytes'), kernelDrops: sum('kernelDrops'), ifDrops: sum('ifDrops'), interfaces };
  }

  /** Ask every running tcpdump for its counters and wait (at most `timeoutMs`) until each has answered. */
  async pollStats(timeoutMs = 2000): Promise<void> {
    await Promise.all(
      this.taps.map(async (t) => {
        if (!t.counters.running || t.proc.pid === undefined) return;
        t.counters.ifDrops = (await this.readIfDrops(t)) - t.ifDropsBase;
        const answered = new Promise<void>((resolve) => t.statsWaiters.push(resolve));
        try {
          t.proc.kill('SIGUSR1');
        } catch {
          return;
        }
        await Promise.race([answered, t.exited, delay(timeoutMs)]);
      }),
    );
  }

  /** Stop every tcpdump, deliver what is still in flight, and return final counters. */
  async stop(): Promise<CaptureCounters> {
    if (this.stopping) return this.counters();
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.taps) {
      if (t.counters.running) t.counters.ifDrops = (await this.readIfDrops(t)) - t.ifDropsBase;
    }
    await this.killAll();
    return this.counters();
  }

  private async killAll(): Promise<void> {
    for (const t of this.taps) {
      if (t.counters.running) t.proc.kill('SIGINT');
    }
    await Promise.all(
      this.taps.map(async (t) => {
        const done = await Promise.race([t.exited.then(() => true), delay(5000).then(() => false)]);
        if (!done) {
          t.proc.kill('SIGKILL');
          await t.exited;
        }
      }),
    );
  }

  private spawnTap(iface: string): Tap {
    const o = this.opts;
    const args = ['-i', iface, '-w', '-', '-U', '-n', '-s', String(o.snaplen ?? 256), '-B', String(o.bufferKiB ?? 16384)];
    if (o.promiscuous === false) args.push('-p');
    if (o.immediate !== false) args.push('--immediate-mode');
    if (o.filter !== undefined && o.filter.trim() !== '') args.push('--', o.filter);
    const tcpdump = o.tcpdumpPath ?? 'tcpdump';
    const argv = [...(o.netns !== undefined ? ['ip', 'netns', 'exec', o.netns] : []), ...(o.commandPrefix ?? []), tcpdump, ...args];
    const proc = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    const counters: InterfaceCaptureCounters = {
      iface,
      linkType: -1,
      packets: 0,
      bytes: 0,
      kernelDrops: 0,
      ifDrops: 0,
      receivedByFilter: 0,
      running: true,
    };
    const sink = this.sink;
    const parser = new PcapStreamParser((linkType, buf, offset, capLen, wireLen, ts) => {
      counters.packets++;
      counters.bytes += wireLen;
      sink(linkType, buf, offset, capLen, wireLen, ts);
    });
    const tap: Tap = {
      counters,
      proc,
      parser,
      stderr: '',
      ifDropsBase: 0,
      listening: false,
      exited: Promise.resolve(),
      statsWaiters: [],
    };
    let stdoutDone: () => void = () => undefined;
    const stdoutClosed = new Promise<void>((resolve) => (stdoutDone = resolve));
    let procDone: () => void = () => undefined;
    const procClosed = new Promise<void>((resolve) => (procDone = resolve));
    tap.exited = Promise.all([stdoutClosed, procClosed]).then(() => {
      counters.running = false;
      for (const w of tap.statsWaiters.splice(0)) w();
    });

    proc.stdout?.on('data', (chunk: Buffer) => {
      if (parser.error) return;
      try {
        parser.push(chunk);
        counters.linkType = parser.linkType;
      } catch (err) {
        this.report(
          new LiveCaptureError('stream-corrupt', iface, `capture stream from tcpdump on ${iface} is corrupt: ${(err as Error).message}`),
        );
        proc.kill('SIGINT');
      }
    });
    proc.stdout?.on('end', () => {
      if (!parser.error && parser.format !== undefined) {
        try {
          parser.end();
        } catch (err) {
          if (err instanceof PcapFormatError && !this.stopping) {
            this.report(new LiveCaptureError('stream-corrupt', iface, `capture stream from tcpdump on ${iface} ended mid-record: ${err.message}`));
          }
        }
      }
      stdoutDone();
    });
    proc.stdout?.on('error', () => stdoutDone());
    let lineBuf = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (text: string) => {
      if (tap.stderr.length < 16384) tap.stderr += text;
      lineBuf += text;
      let nl: number;
      while ((nl = lineBuf.indexOf('\n')) >= 0) {
        this.stderrLine(tap, lineBuf.slice(0, nl).trim());
        lineBuf = lineBuf.slice(nl + 1);
      }
    });
    proc.on('error', (err: NodeJS.ErrnoException) => {
      tap.stderr += `\nspawn error: ${err.code ?? ''} ${err.message}`;
      stdoutDone();
      procDone();
    });
    proc.on('close', (code, signal) => {
      if (lineBuf.trim() !== '') this.stderrLine(tap, lineBuf.trim());
      procDone();
      if (tap.listening && !this.stopping) {
        this.report(
          new LiveCaptureError(
            'capture-failed',
            iface,
            `tcpdump on ${iface} exited (${signal ?? `code ${code}`}) while capturing: ${lastLines(tap.stderr)}`,
            tap.stderr,
          ),
        );
      }
    });
    return tap;
  }

  private stderrLine(tap: Tap, line: string): void {
    const c = tap.counters;
    if (line.includes('listening on')) {
      tap.listening = true;
      return;
    }
    // On exit one figure per line; on SIGUSR1 all on one line ("tcpdump: N packets captured, N ...").
    const re = /(\d+) packets? (captured|received by filter|dropped by kernel|dropped by interface)/g;
    let settled = false;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
      const n = Number(m[1]);
      if (m[2] === 'received by filter') c.receivedByFilter = n;
      else if (m[2] === 'dropped by kernel') {
        c.kernelDrops = n;
        settled = true;
      } else if (m[2] === 'dropped by interface') {
        // libpcap's interface drop count is the same figure as rx_dropped; keep the larger.
        c.ifDrops = Math.max(c.ifDrops, n);
      }
    }
    // "dropped by kernel" is in every report: the report has been read.
    if (settled) for (const w of tap.statsWaiters.splice(0)) w();
  }

  private async waitListening(t: Tap, timeoutMs = 15000): Promise<void> {
    const iface = t.counters.iface;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (t.listening) return;
      if (!t.counters.running || t.proc.exitCode !== null || t.proc.signalCode !== null) break;
      if (Date.now() > deadline) {
        throw new LiveCaptureError('capture-failed', iface, `tcpdump on "${iface}" did not start listening within ${timeoutMs} ms: ${lastLines(t.stderr)}`, t.stderr);
      }
      await Promise.race([t.exited, delay(20)]);
    }
    await t.exited;
    if (t.listening) return;
    throw this.startError(iface, t.stderr);
  }

  private startError(iface: string, stderr: string): LiveCaptureError {
    const said = lastLines(stderr);
    const tcpdump = this.opts.tcpdumpPath ?? 'tcpdump';
    if (/spawn error: ENOENT/.test(stderr) || /exec of ".*" failed: No such file/.test(stderr)) {
      return new LiveCaptureError('tcpdump-missing', iface, `${tcpdump} was not found: install tcpdump (e.g. apt-get install tcpdump) or set its path`, stderr);
    }
    if (/No such device|doesn't exist|no such interface|Cannot open network namespace/i.test(stderr)) {
      return new LiveCaptureError(
        'no-such-interface',
        iface,
        `interface "${iface}" does not exist${this.opts.netns ? ` in network namespace ${this.opts.netns}` : ''}: check the interface names (ip link) (tcpdump: ${said})`,
        stderr,
      );
    }
    if (/permission|not permitted/i.test(stderr)) {
      return new LiveCaptureError(
        'permission',
        iface,
        `not allowed to capture on "${iface}": run as root or with CAP_NET_RAW (e.g. setcap cap_net_raw+eip on tcpdump, or the container's securityContext) (tcpdump: ${said})`,
        stderr,
      );
    }
    if (/filter|syntax error|parse|illegal|unknown (host|port|network|protocol|ether)|bad dst|not a valid|expression/i.test(stderr)) {
      return new LiveCaptureError('bad-filter', iface, `bad capture filter "${this.opts.filter ?? ''}": ${said}`, stderr);
    }
    return new LiveCaptureError('capture-failed', iface, `tcpdump could not capture on "${iface}": ${said || 'it exited without a word'}`, stderr);
  }

  private report(err: LiveCaptureError): void {
    this.opts.onError?.(err);
  }

  /** rx_dropped of the tap's interface, read in tcpdump's own network namespace. */
  private async readIfDrops(t: Tap): Promise<number> {
    const pid = t.proc.pid;
    if (pid === undefined) return 0;
    try {
      const text = await readFile(`/proc/${pid}/net/dev`, 'utf8');
      for (const line of text.split('\n')) {
        const colon = line.indexOf(':');
        if (colon < 0 || line.slice(0, colon).trim() !== t.counters.iface) continue;
        const f = line.slice(colon + 1).trim().split(/\s+/);
        return Number(f[3]) || 0;
      }
    } catch {
      // tcpdump is gone; keep the last reading.
    }
    return t.ifDropsBase + t.counters.ifDrops;
  }
}

function lastLines(stderr: string): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.includes('listening on') && !/\d+ packets? (captured|received|dropped)/.test(l) && !/^Warning: /.test(l))
    .slice(-3)
    .join(' / ');
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
