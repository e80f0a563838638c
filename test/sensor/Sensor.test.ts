import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readPcapFile } from '../../sensor/capture/readPcapFile.js';
import { PROTO_ARP, TCP_ACK, TCP_SYN } from '../../sensor/decode/DecodedPacket.js';
import { featureIndex, FEATURE_COUNT } from '../../sensor/features/schema.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';
import { Sensor } from '../../sensor/Sensor.js';
import { craftPacket } from './craftPacket.js';

const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const fixtures = resolve(root, 'test', 'fixtures', 'capture');
const zeek = resolve(root, '..', 'shared', 'pcaps', 'zeek');

async function runFile(path: string): Promise<{ sensor: Sensor; records: FlowRecord[] }> {
  const records: FlowRecord[] = [];
  const sensor = new Sensor({}, (r) => records.push(r));
  await readPcapFile(path, sensor.onPacket);
  sensor.flush();
  return { sensor, records };
}

interface Totals {
  packets: number;
  bytes: number;
  syn: number;
  fin: number;
  rst: number;
}

const tupleKey = (a: string, ap: number, b: string, bp: number): string => {
  const x = `${a}|${ap}`;
  const y = `${b}|${bp}`;
  return x < y ? `${x}-${y}` : `${y}-${x}`;
};

function ourTcpTotals(records: FlowRecord[]): Map<string, Totals> {
  const m = new Map<string, Totals>();
  const i = (n: string): number => featureIndex(n);
  for (const r of records) {
    if (r.protocol !== 6) continue;
    const k = tupleKey(r.src, r.srcPort, r.dst, r.dstPort);
    const t = m.get(k) ?? { packets: 0, bytes: 0, syn: 0, fin: 0, rst: 0 };
    const f = r.features;
    t.packets += f[i('fwd_packets')] + f[i('bwd_packets')];
    t.bytes += f[i('fwd_bytes')] + f[i('bwd_bytes')];
    t.syn += f[i('syn_count')];
    t.fin += f[i('fin_count')];
    t.rst += f[i('rst_count')];
    m.set(k, t);
  }
  return m;
}

/** Per TCP connection (unordered 5-tuple): IP bytes and flag counts from tshark's own dissection. */
function tsharkTcpTotals(path: string): Map<string, Totals> {
  const out = execFileSync(
    'tshark',
    ['-r', path, '-Y', 'tcp && !icmp && !icmpv6', '-T', 'fields', '-E', 'separator=/t',
      '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport', '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.dstport',
      '-e', 'ip.len', '-e', 'ipv6.plen', '-e', 'tcp.flags'],
    { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  const m = new Map<string, Totals>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [s4, s6, sp, d4, d6, dp, len4, plen6, flags] = line.split('\t');
    const k = tupleKey(s4 || s6, Number(sp), d4 || d6, Number(dp));
    const t = m.get(k) ?? { packets: 0, bytes: 0, syn: 0, fin: 0, rst: 0 };
    const fl = Number(flags);
    t.packets++;
    t.bytes += s4 ? Number(len4) : Number(plen6) + 40;
    if (fl & 2) t.syn++;
    if (fl & 1) t.fin++;
    if (fl & 4) t.rst++;
    m.set(k, t);
  }
  return m;
}

/** Frames per TCP conversation from `tshark -q -z conv,tcp`. */
function tsharkConvFrames(path: string): Map<string, number> {
  const out = execFileSync('tshark', ['-r', path, '-q', '-z', 'conv,tcp'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const m = new Map<string, number>();
  for (const line of out.split('\n')) {
    const t = line.trim().split(/\s+/);
    if (t[1] !== '<->') continue;
    const split = (s: string): [string, number] => {
      const i = s.lastIndexOf(':');
      return [s.slice(0, i), Number(s.slice(i + 1))];
    };
    const [a, ap] = split(t[0]);
    const [b, bp] = split(t[2]);
    const k = tupleKey(a, ap, b, bp);
    m.set(k, (m.get(k) ?? 0) + Number(t[9]));
  }
  return m;
}

const endToEnd = [
  resolve(fixtures, 'http.pcap'),
  resolve(fixtures, 'scan.pcap'),
  resolve(zeek, 'http__bro.org.pcap'),
  resolve(zeek, 'ftp__cwd-navigation.pcap'),
  resolve(zeek, 'ssh__ssh.pcap'),
  resolve(zeek, 'smb__smb2.pcap'),
].filter((p) => existsSync(p));

describe('Sensor', () => {
  it('has real captures to compare against', () => {
    expect(endToEnd.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of endToEnd) {
    it(`matches tshark's per-connection packets, bytes and flags on ${file.split('/').slice(-1)[0]}`, async () => {
      const { sensor, records } = await runFile(file);
      const c = sensor.counters();
      expect(c.activeFlows).toBe(0);
      expect(Object.values(c.flows).reduce((a, b) => a + b, 0)).toBe(records.length);
      expect(c.nonFiniteFeatures).toBe(0);
      expect(c.callbackErrors).toBe(0);
      for (const r of records) expect(r.features).toHaveLength(FEATURE_COUNT);

      const ours = ourTcpTotals(records);
      const theirs = tsharkTcpTotals(file);
      const frames = tsharkConvFrames(file);
      expect(theirs.size).toBeGreaterThan(0);
      expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
      for (const [k, t] of theirs) {
        expect(ours.get(k), k).toEqual(t);
        expect(frames.get(k), k).toBe(t.packets);
      }
    });
  }

  it('emits records in packet time, identical whatever the batching of advance() calls', async () => {
    const file = endToEnd[0];
    const a = await runFile(file);
    const records: FlowRecord[] = [];
    const s = new Sensor({}, (r) => records.push(r));
    await readPcapFile(file, (lt, buf, off, cap, wire, ts) => {
      s.onPacket(lt, buf, off, cap, wire, ts);
      s.advance(ts); // a live sensor calls this on its timer
    });
    s.flush();
    expect(records.map((r) => [r.src, r.srcPort, r.dst, r.dstPort, r.endReason, [...r.features]])).toEqual(
      a.records.map((r) => [r.src, r.srcPort, r.dst, r.dstPort, r.endReason, [...r.features]]),
    );
  });

  it('counts packets, IP packets, decode skips and flows by end reason', () => {
    const records: FlowRecord[] = [];
    const s = new Sensor({ synTimeoutS: 2 }, (r) => records.push(r));
    const frame = craftPacket({ ts: 1, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 80, flags: TCP_SYN }).buf;
    s.onPacket(1, frame, 0, frame.length, frame.length, 1);
    s.onPacket(1, frame, 0, 10, 10, 1.5); // truncated Ethernet header
    const arp = new Uint8Array(42);
    arp[12] = 0x08;
    arp[13] = 0x06;
    s.onPacket(1, arp, 0, 42, 42, 1.6);
    s.advance(10);
    const c = s.counters();
    expect(c.packets).toBe(3);
    expect(c.flowPackets).toBe(1);
    expect(c.nonIp).toBe(1);
    expect(Object.values(c.decodeSkipped).reduce((a, b) => a + b, 0)).toBe(1);
    expect(c.flows['syn-timeout']).toBe(1);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 80, protocol: 6, endReason: 'syn-timeout' });
    expect(records[0].firstSeen).toBe(1);
    expect(records[0].lastSeen).toBe(1);
  });

  it('makes an ARP request and its reply one flow, and ends an unanswered request within seconds', () => {
    const records: FlowRecord[] = [];
    const s = new Sensor({}, (r) => records.push(r));
    const arp = (op: number, sender: number[], target: number[]) =>
      Uint8Array.from([...[255, 255, 255, 255, 255, 255, 2, 0, 0, 0, 0, 1, 0x08, 0x06], 0, 1, 0x08, 0, 6, 4, 0, op, ...[2, 0, 0, 0, 0, 1], ...sender, ...[0, 0, 0, 0, 0, 0], ...target]);
    const feed = (frame: Uint8Array, ts: number) => s.onPacket(1, frame, 0, frame.length, frame.length, ts);
    feed(arp(1, [10, 0, 0, 1], [10, 0, 0, 2]), 1);
    feed(arp(2, [10, 0, 0, 2], [10, 0, 0, 1]), 1.001);
    feed(arp(1, [10, 0, 0, 1], [10, 0, 0, 3]), 1.002); // nobody has 10.0.0.3
    s.advance(5);
    expect(records.map((r) => [r.dst, r.endReason])).toEqual([['10.0.0.3', 'idle']]);
    s.advance(20);
    expect(records).toHaveLength(2);
    expect(records[1]).toMatchObject({ src: '10.0.0.1', dst: '10.0.0.2', srcPort: 0, dstPort: 0, protocol: PROTO_ARP });
    const f = records[1].features;
    expect([f[featureIndex('fwd_packets')], f[featureIndex('bwd_packets')], f[featureIndex('is_tcp')], f[featureIndex('is_udp')]]).toEqual([1, 1, 0, 0]);
    expect(s.counters()).toMatchObject({ packets: 3, flowPackets: 3, nonIp: 3 });
  });

  it('survives a throwing onFlow callback and counts it', () => {
    const s = new Sensor({}, () => {
      throw new Error('consumer bug');
    });
    s.onDecoded(craftPacket({ ts: 1, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1, dstPort: 80, flags: TCP_ACK }));
    expect(() => s.flush()).not.toThrow();
    expect(s.counters().callbackErrors).toBe(1);
  });

  it('gives every record its own feature vector', () => {
    const records: FlowRecord[] = [];
    const s = new Sensor({}, (r) => records.push(r));
    for (let i = 0; i < 600; i++) {
      s.onDecoded(craftPacket({ ts: i, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1000 + i, dstPort: 80, flags: TCP_ACK, payload: i }));
    }
    s.flush();
    const bytes = records.map((r) => r.features[featureIndex('fwd_bytes')]);
    expect(bytes).toEqual(records.map((_, i) => 40 + i));
  });

  it('rejects unknown or out-of-range settings', () => {
    expect(() => new Sensor({ maxHosts: 1 }, () => {})).toThrow(/maxHosts/);
    expect(() => new Sensor({ nope: 1 } as never, () => {})).toThrow(/nope/);
  });
});
