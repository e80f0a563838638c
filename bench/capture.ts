/**
 * Capture and decode benchmark.
 *
 * 1. Decode cost per packet over every packet of the shared Zeek corpus (in memory, many passes).
 * 2. File pipeline over a generated 200 k-packet SYN-flood pcap (every packet a new flow): our reader alone, reader + decoder,
 *    and the peers on the same file: `tcpdump -r F -w /dev/null` (copy) and `tcpdump -nn -r F`
 *    (decode and print).
 * 3. Live, ~10 s each, on a veth pair between two network namespaces with `tcpreplay --topspeed`
 *    as the sender: tcpdump piped into our parser as LiveCapture ships it (immediate mode, 256-byte
 *    snaplen), immediate with tcpdump's 256 KiB snaplen, buffered (not immediate), and the `cap`
 *    addon (devDependency, benchmark only). Packets sent, received, dropped, rate, CPU per packet.
 *
 *   node dist/bench/capture.js [--seconds 10] [--skip-live]
 * Needs root, iproute2, tcpdump and tcpreplay for the live part. Last line: one JSON object.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { readPcapFile } from '../sensor/capture/readPcapFile.js';
import { DecodedPacket } from '../sensor/decode/DecodedPacket.js';
import { Decoder } from '../sensor/decode/Decoder.js';
import { writeFloodPcap } from './capture/writeFloodPcap.js';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 10;
const skipLive = args.includes('--skip-live');
const onlyLive = args.includes('--only-live');
const here = path.dirname(new URL(import.meta.url).pathname);
const projectRoot = path.resolve(here, '..', '..');
const corpus = path.resolve(projectRoot, '..', 'shared', 'pcaps', 'zeek');

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn: () => void): number => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
};

async function decodeCorpus(): Promise<Record<string, number> | undefined> {
  if (!existsSync(corpus)) return undefined;
  const pkts: { lt: number; b: Uint8Array; wire: number }[] = [];
  for (const f of readdirSync(corpus).sort()) {
    await readPcapFile(path.join(corpus, f), (lt, buf, off, cap, wire) => pkts.push({ lt, b: buf.slice(off, off + cap), wire })).catch(() => undefined);
  }
  const d = new Decoder();
  const out = new DecodedPacket();
  const pass = (): void => {
    for (let i = 0; i < pkts.length; i++) {
      const p = pkts[i];
      d.decode(p.lt, p.b, 0, p.b.length, p.wire, 0, out);
    }
  };
  for (let i = 0; i < 5; i++) pass(); // warm up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 15; i++) {
    const c0 = process.cpuUsage();
    wall.push(time(pass));
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  // CPU time is the figure to trust on a shared, loaded machine; wall time is given beside it.
  return { packets: pkts.length, cpuNsPerPacket: (median(cpu) / pkts.length) * 1e9, wallNsPerPacket: (median(wall) / pkts.length) * 1e9 };
}

async function filePipeline(file: string, packets: number): Promise<Record<string, number>> {
  const r: Record<string, number> = { packets };
  const ours = async (decode: boolean): Promise<number> => {
    const d = new Decoder();
    const out = new DecodedPacket();
    let n = 0;
    const sink = decode
      ? (lt: number, buf: Uint8Array, off: number, cap: number, wire: number, ts: number): void => {
          if (d.decode(lt, buf, off, cap, wire, ts, out)) n++;
        }
      : (): void => {
          n++;
        };
    const s = await readPcapFile(file, sink);
    if (n !== packets) throw new Error(`read ${n} of ${packets}`);
    return s.seconds;
  };
  const runs = async (fn: () => Promise<number> | number, k = 5): Promise<number> => {
    const xs: number[] = [];
    for (let i = 0; i < k; i++) xs.push(await fn());
    return median(xs);
  };
  r.parseSeconds = await runs(() => ours(false));
  r.parseDecodeSeconds = await runs(() => ours(true));
  r.parseDecodePps = packets / r.parseDecodeSeconds;
  r.parseDecodeNsPerPacket = (r.parseDecodeSeconds / packets) * 1e9;
  r.parseDecodeCpuSeconds = await runs(async () => {
    const c0 = process.cpuUsage();
    await ours(true);
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6;
  });
  const copy = shellCpu(`tcpdump -r '${file}' -w /dev/null`);
  r.tcpdumpCopySeconds = copy.wall;
  r.tcpdumpCopyCpuSeconds = copy.cpu;
  // tcpdump keeps per-connection state when printing TCP, which grows superlinearly on a flood
  // where every packet is a new connection: it gets the first 20 000 packets only.
  const printed = Math.min(packets, 20_000);
  const print = shellCpu(`tcpdump -nn -c ${printed} -r '${file}' > /dev/null`);
  r.tcpdumpDecodePrintPackets = printed;
  r.tcpdumpDecodePrintSeconds = print.wall;
  r.tcpdumpDecodePrintCpuSeconds = print.cpu;
  r.tcpdumpDecodePrintCpuNsPerPacket = (print.cpu / printed) * 1e9;
  r.parseDecodeCpuNsPerPacket = (r.parseDecodeCpuSeconds / packets) * 1e9;
  return r;
}

/** Wall and CPU (user + system of the command's processes) seconds of a shell command. */
function shellCpu(cmd: string): { wall: number; cpu: number } {
  const t = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `${cmd} 2>/dev/null; cat /proc/$$/stat`], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
  const wall = Number(process.hrtime.bigint() - t) / 1e9;
  const f = r.stdout.trim().split('\n').pop()!.split(') ')[1].split(' ');
  return { wall, cpu: (Number(f[13]) + Number(f[14])) / 100 };
}

function linkCounters(ns: string): { rx: number; tx: number; rxDrop: number } {
  const text = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/dev'], { encoding: 'utf8' });
  const f = text.split('\n').find((l) => l.trim().startsWith('veth0:'))!.split(':')[1].trim().split(/\s+/).map(Number);
  return { rx: f[1], rxDrop: f[3], tx: f[9] };
}

async function live(mode: string, flood: string): Promise<Record<string, number | string>> {
  const a = `nibench${process.pid}a`;
  const b = `nibench${process.pid}b`;
  const ip = (...x: string[]): void => void execFileSync('ip', x, { stdio: 'ignore' });
  const cleanup = (): void => {
    for (const ns of [a, b]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  };
  cleanup();
  try {
    ip('netns', 'add', a);
    ip('netns', 'add', b);
    ip('link', 'add', 'veth0', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth0', 'netns', b);
    for (const ns of [a, b]) {
      execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1']);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('-n', b, 'link', 'set', 'veth0', 'address', '02:00:00:00:00:02');
    ip('-n', a, 'addr', 'add', '10.99.0.1/24', 'dev', 'veth0');
    ip('-n', b, 'addr', 'add', '10.99.0.2/24', 'dev', 'veth0');
    for (const ns of [a, b]) ip('-n', ns, 'link', 'set', 'veth0', 'up');

    const worker = spawn('ip', ['netns', 'exec', b, process.execPath, path.join(here, 'capture', 'liveWorker.js'), mode, 'veth0'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: worker.stdout! })[Symbol.asyncIterator]();
    const next = async (): Promise<string> => {
      const r = await lines.next();
      if (r.done) throw new Error(`${mode} worker ended early`);
      return r.value;
    };
    const ready = await next();
    if (ready !== 'READY') throw new Error(`${mode} worker: ${ready}`);
    const a0 = linkCounters(a);
    const b0 = linkCounters(b);
    const t0 = process.hrtime.bigint();
    const sender = spawnSync(
      'ip',
      ['netns', 'exec', a, 'timeout', '-s', 'INT', String(seconds), 'tcpreplay', '--topspeed', '-q', '-i', 'veth0', '--loop=1000', flood],
      { encoding: 'utf8' },
    );
    const sendSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const a1 = linkCounters(a);
    const b1 = linkCounters(b);
    const sent = a1.tx - a0.tx;
    const arrived = b1.rx - b0.rx;
    // Let the capture drain: ask for its count until it reaches what arrived or stops moving.
    let got = -1;
    let stillSince = Date.now();
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      worker.stdin!.write('COUNT\n');
      const n = (JSON.parse(await next()) as { packets: number }).packets;
      if (n !== got) stillSince = Date.now();
      got = n;
      if (got >= arrived || Date.now() - stillSince > 1500) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    worker.stdin!.write('STOP\n');
    const fin = JSON.parse(await next()) as Record<string, number>;
    const cpu = fin.nodeCpuSeconds + (fin.helperCpuSeconds ?? 0);
    return {
      mode,
      sent,
      arrivedOnLink: arrived,
      linkRxDropped: b1.rxDrop - b0.rxDrop,
      received: fin.packets,
      lost: sent - fin.packets,
      kernelDrops: fin.kernelDrops,
      sendSeconds,
      sentPps: sent / sendSeconds,
      receivedPps: fin.packets / sendSeconds,
      cpuSeconds: cpu,
      nodeCpuSeconds: fin.nodeCpuSeconds,
      helperCpuSeconds: fin.helperCpuSeconds ?? 0,
      cpuUsPerPacket: (cpu / Math.max(1, fin.packets)) * 1e6,
      senderStatus: sender.status ?? -1,
    };
  } finally {
    cleanup();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'netids-bench-capture-'));
  const result: Record<string, unknown> = { bench: 'capture', loadavgAtStart: Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) };
  try {
    const floodFile = path.join(dir, 'flood-200k.pcap');
    writeFloodPcap(floodFile, 200_000);
    const corpusDecode = onlyLive ? undefined : await decodeCorpus();
    if (corpusDecode) {
      console.log(
        `decode, zeek corpus in memory: ${corpusDecode.packets} packets, ${corpusDecode.cpuNsPerPacket.toFixed(0)} ns CPU/packet ` +
          `(${corpusDecode.wallNsPerPacket.toFixed(0)} ns wall)`,
      );
    }
    result.decodeZeekCorpus = corpusDecode;

    const file = onlyLive ? undefined : await filePipeline(floodFile, 200_000);
    if (file) console.log(
      `file, 200 k SYN flood: parse ${file.parseSeconds.toFixed(3)} s, parse+decode ${file.parseDecodeSeconds.toFixed(3)} s ` +
        `(${(file.parseDecodePps / 1e6).toFixed(2)} M pkt/s, ${file.parseDecodeNsPerPacket.toFixed(0)} ns/pkt); ` +
        `${file.parseDecodeCpuNsPerPacket.toFixed(0)} ns CPU/pkt; tcpdump -w /dev/null ${file.tcpdumpCopySeconds.toFixed(3)} s, ` +
        `tcpdump -nn -r (first ${file.tcpdumpDecodePrintPackets}) ${file.tcpdumpDecodePrintCpuNsPerPacket.toFixed(0)} ns CPU/pkt`,
    );
    result.fileSynFlood = file;

    if (!skipLive) {
      const replay = floodFile;
      const liveResults = [];
      for (const mode of ['tcpdump', 'tcpdump-fullsnap', 'tcpdump-buffered', 'cap']) {
        try {
          const r = await live(mode, replay);
          console.log(
            `live ${mode}: sent ${r.sent} (${((r.sentPps as number) / 1e3).toFixed(0)} k pkt/s), received ${r.received}, lost ${r.lost}, ` +
              `kernel drops ${r.kernelDrops}, ${(r.cpuUsPerPacket as number).toFixed(2)} µs CPU/packet`,
          );
          liveResults.push(r);
        } catch (err) {
          console.log(`live ${mode}: failed: ${(err as Error).message}`);
          liveResults.push({ mode, error: (err as Error).message });
        }
      }
      result.live = liveResults;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(result));
}

void main();
