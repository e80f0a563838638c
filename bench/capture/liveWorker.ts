/**
 * One live-capture candidate, run inside the receiving namespace by bench/capture.ts:
 *   node liveWorker.js MODE IFACE     (MODE: tcpdump | tcpdump-fullsnap | tcpdump-buffered | cap)
 * Captures on IFACE and decodes every packet with the project's Decoder, prints "READY" once
 * capturing; on a line "COUNT" on stdin prints {"packets": N}; on "STOP" stops and prints one
 * JSON line of figures.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { LiveCapture } from '../../sensor/capture/LiveCapture.js';
import { DecodedPacket } from '../../sensor/decode/DecodedPacket.js';
import { Decoder } from '../../sensor/decode/Decoder.js';

interface CapLike {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  setMinBytes?(n: number): void;
  on(ev: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
  close(): void;
}

const [mode, iface] = process.argv.slice(2);
const decoder = new Decoder();
const out = new DecodedPacket();
let packets = 0;
let syn = 0;

function childCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  let stop: () => Promise<Record<string, number>>;
  let cpu0 = process.cpuUsage();
  if (mode === 'cap') {
    const require = createRequire(import.meta.url);
    const { Cap } = require('cap') as { Cap: new () => CapLike };
    const c = new Cap();
    const buffer = Buffer.alloc(65535);
    const link = c.open(iface, '', 16 * 1024 * 1024, buffer);
    const lt = link === 'ETHERNET' ? 1 : link === 'LINUX_SLL' ? 113 : -1;
    c.setMinBytes?.(0);
    c.on('packet', (nbytes) => {
      packets++;
      if (decoder.decode(lt, buffer, 0, nbytes, nbytes, 0, out) && out.tcpFlags === 2) syn++;
    });
    cpu0 = process.cpuUsage();
    stop = async () => {
      c.close();
      return { kernelDrops: -1, helperCpuSeconds: 0 };
    };
  } else {
    const cap = new LiveCapture(
      (lt, buf, off, capLen, wire, ts) => {
        packets++;
        if (decoder.decode(lt, buf, off, capLen, wire, ts, out) && out.tcpFlags === 2) syn++;
      },
      // 'tcpdump' is LiveCapture as shipped (immediate mode, 256-byte snaplen, 16 MiB buffer).
      mode === 'tcpdump'
        ? { interfaces: [iface], statsIntervalMs: 0 }
        : { interfaces: [iface], immediate: mode !== 'tcpdump-buffered', snaplen: 262144, statsIntervalMs: 0 },
    );
    await cap.start();
    cpu0 = process.cpuUsage();
    // The tcpdump pid, for its CPU time: the only child of this process.
    const pidOf = (): number | undefined => {
      try {
        return Number(readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/)[0]) || undefined;
      } catch {
        return undefined;
      }
    };
    const pid = pidOf();
    const helper0 = childCpuSeconds(pid);
    stop = async () => {
      await cap.pollStats();
      const helper = childCpuSeconds(pid) - helper0;
      const c = await cap.stop();
      return { kernelDrops: c.kernelDrops, ifDrops: c.ifDrops, helperCpuSeconds: helper };
    };
  }
  process.stdout.write('READY\n');
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === 'COUNT') process.stdout.write(JSON.stringify({ packets }) + '\n');
    if (line.trim() !== 'STOP') continue;
    const extra = await stop();
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(
      JSON.stringify({ mode, packets, syn, nodeCpuSeconds: (cpu.user + cpu.system) / 1e6, ...extra, decoderIp: decoder.ip }) + '\n',
    );
    process.exit(0);
  }
}

main().catch((err: unknown) => {
  process.stdout.write(JSON.stringify({ mode, error: String(err) }) + '\n');
  process.exit(1);
});
