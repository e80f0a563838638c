import { describe, expect, it } from 'vitest';
import { PROTO_UDP, TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from '../../../sensor/decode/DecodedPacket.js';
import { featureIndex, FEATURE_COUNT } from '../../../sensor/features/schema.js';
import type { FlowRecord } from '../../../sensor/flows/FlowRecord.js';
import { Sensor, SensorConfig } from '../../../sensor/Sensor.js';
import { craftPacket, CraftOptions } from '../craftPacket.js';

function sensor(config: Partial<SensorConfig> = {}) {
  const records: FlowRecord[] = [];
  const s = new Sensor(config, (r) => records.push(r));
  const add = (o: CraftOptions): void => s.onDecoded(craftPacket(o));
  return { s, records, add };
}

const f = (r: FlowRecord, name: string): number => r.features[featureIndex(name)];

/** Deterministic uniform [0, 1). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
}

describe('ContextTracker', () => {
  it('damped statistics match the direct formula Σ e^(-(t - tᵢ)/window) · xᵢ', () => {
    const { s, records, add } = sensor();
    const r = rng(1);
    const A = '10.0.0.1';
    const B = '10.0.0.2';
    const C = '10.0.0.3';
    const D = '10.0.0.4';
    const sentByA: [number, number][] = [];
    const aToB: [number, number][] = [];
    const intoB: number[] = [];
    let t = 1000;
    for (let i = 0; i < 400; i++) {
      t += r() * 0.2;
      const payload = Math.floor(r() * 1000);
      const len = 28 + payload;
      const kind = r();
      if (kind < 0.5) {
        add({ ts: t, src: A, dst: B, protocol: PROTO_UDP, srcPort: 1000, dstPort: 2000, payload });
        sentByA.push([t, len]);
        aToB.push([t, len]);
        intoB.push(t);
      } else if (kind < 0.7) {
        add({ ts: t, src: A, dst: C, protocol: PROTO_UDP, srcPort: 1000, dstPort: 2000, payload });
        sentByA.push([t, len]);
      } else if (kind < 0.85) {
        add({ ts: t, src: B, dst: A, protocol: PROTO_UDP, srcPort: 2000, dstPort: 1000, payload });
      } else {
        add({ ts: t, src: D, dst: B, protocol: PROTO_UDP, srcPort: 3000, dstPort: 2000, payload });
        intoB.push(t);
      }
    }
    const end = t;
    s.flush();
    const rec = records.find((x) => x.src === A && x.dst === B);
    expect(rec).toBeDefined();
    const at = end;
    for (const w of [1, 10, 100]) {
      const damp = (ti: number): number => Math.exp(-(at - ti) / w);
      const stats = (xs: [number, number][]) => {
        let W = 0;
        let LS = 0;
        let SS = 0;
        for (const [ti, x] of xs) {
          W += damp(ti);
          LS += damp(ti) * x;
          SS += damp(ti) * x * x;
        }
        const mean = LS / W;
        return { rate: W / w, byteRate: LS / w, mean, std: Math.sqrt(SS / W - mean * mean) };
      };
      const src = stats(sentByA);
      const pair = stats(aToB);
      const rel = (name: string, want: number): void => {
        expect(Math.abs(f(rec!, name) - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
      };
      rel(`src_pkt_rate_${w}s`, src.rate);
      rel(`src_byte_rate_${w}s`, src.byteRate);
      rel(`src_len_mean_${w}s`, src.mean);
      rel(`src_len_std_${w}s`, src.std);
      rel(`pair_pkt_rate_${w}s`, pair.rate);
      rel(`pair_byte_rate_${w}s`, pair.byteRate);
      rel(`pair_len_mean_${w}s`, pair.mean);
      rel(`pair_len_std_${w}s`, pair.std);
      rel(`dst_in_pkt_rate_${w}s`, intoB.reduce((acc, ti) => acc + damp(ti), 0) / w);
    }
  });

  it('keeps the damped sums exact across decay-origin rebases (30 minutes at epoch time, sparse and bursty)', () => {
    const { s, records, add } = sensor({ tcpIdleTimeoutS: 3600, activeTimeoutS: 7200 });
    const r = rng(5);
    const A = '10.0.0.1';
    const B = '10.0.0.2';
    const sent: [number, number][] = [];
    let t = 1.7e9;
    for (let i = 0; i < 600; i++) {
      // Mostly seconds apart, with bursts and a few gaps of minutes (several rebases).
      const u = r();
      t += u < 0.3 ? r() * 0.01 : u < 0.97 ? r() * 4 : 60 + r() * 240;
      const payload = Math.floor(r() * 1400);
      add({ ts: t, src: A, dst: B, srcPort: 40000, dstPort: 443, flags: 0x10, payload });
      sent.push([t, 40 + payload]);
    }
    s.flush();
    expect(t - 1.7e9).toBeGreaterThan(1500);
    const rec = records.find((x) => x.src === A && x.dst === B);
    expect(rec).toBeDefined();
    for (const w of [1, 10, 100]) {
      let W = 0;
      let LS = 0;
      let SS = 0;
      for (const [ti, x] of sent) {
        const d = Math.exp(-(t - ti) / w);
        W += d;
        LS += d * x;
        SS += d * x * x;
      }
      const mean = LS / W;
      const near = (name: string, want: number): void => {
        expect(Math.abs(f(rec!, name) - want), name).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
      };
      near(`src_pkt_rate_${w}s`, W / w);
      near(`src_byte_rate_${w}s`, LS / w);
      near(`src_len_mean_${w}s`, mean);
      near(`pair_pkt_rate_${w}s`, W / w);
      near(`pair_byte_rate_${w}s`, LS / w);
      near(`dst_in_pkt_rate_${w}s`, W / w);
      // The spread is a difference of large sums: compare it to its own scale.
      expect(Math.abs(f(rec!, `src_len_std_${w}s`) - Math.sqrt(Math.max(0, SS / W - mean * mean)))).toBeLessThan(1e-3);
    }
  });

  it('counts a fast port scan as about N distinct ports (within ±20 %)', () => {
    const { records, add } = sensor();
    const X = '192.168.1.66';
    const Y = '192.168.1.10';
    for (let i = 0; i < 1000; i++) {
      const t = 50 + (2 * i) / 1000;
      add({ ts: t, src: X, dst: Y, srcPort: 40000, dstPort: i + 1, flags: TCP_SYN });
      add({ ts: t + 0.0005, src: Y, dst: X, srcPort: i + 1, dstPort: 40000, flags: TCP_RST | TCP_ACK });
    }
    expect(records).toHaveLength(1000);
    const last = records[records.length - 1];
    expect(last.endReason).toBe('rst');
    expect(f(last, 'src_dst_ports_10s')).toBeGreaterThan(800);
    expect(f(last, 'src_dst_ports_10s')).toBeLessThan(1200);
    expect(f(last, 'pair_dst_ports_10s')).toBeGreaterThan(800);
    expect(f(last, 'pair_dst_ports_10s')).toBeLessThan(1200);
    expect(f(last, 'src_dst_ports_100s')).toBeGreaterThan(800);
    expect(f(last, 'src_dst_ports_100s')).toBeLessThan(1200);
    // 500 distinct ports in the last second.
    expect(f(last, 'src_dst_ports_1s')).toBeGreaterThan(400);
    expect(f(last, 'src_dst_ports_1s')).toBeLessThan(600);
    // One target host, one source.
    expect(f(last, 'src_dst_hosts_10s')).toBeGreaterThan(0.8);
    expect(f(last, 'src_dst_hosts_10s')).toBeLessThan(1.2);
    expect(f(last, 'dst_in_srcs_10s')).toBeGreaterThan(0.8);
    expect(f(last, 'dst_in_srcs_10s')).toBeLessThan(1.2);
    // Refused SYNs are not accepted connections.
    expect(f(last, 'src_syn_unanswered_10s')).toBeCloseTo(1, 6);
    expect(f(last, 'dst_in_syn_unanswered_10s')).toBeCloseTo(1, 6);
  });

  it('counts a host sweep as distinct hosts, one port', () => {
    const { records, add } = sensor();
    for (let i = 0; i < 300; i++) {
      const t = 10 + i * 0.01;
      const target = `10.9.${i >> 8}.${i & 255}`;
      add({ ts: t, src: '10.0.0.5', dst: target, srcPort: 50000 + i, dstPort: 22, flags: TCP_SYN });
      add({ ts: t + 0.001, src: target, dst: '10.0.0.5', srcPort: 22, dstPort: 50000 + i, flags: TCP_RST | TCP_ACK });
    }
    const last = records[records.length - 1];
    expect(f(last, 'src_dst_hosts_10s')).toBeGreaterThan(240);
    expect(f(last, 'src_dst_hosts_10s')).toBeLessThan(360);
    expect(f(last, 'src_dst_ports_10s')).toBeGreaterThan(0.8);
    expect(f(last, 'src_dst_ports_10s')).toBeLessThan(1.2);
    expect(f(last, 'pair_dst_ports_10s')).toBeGreaterThan(0.8);
    expect(f(last, 'pair_dst_ports_10s')).toBeLessThan(1.2);
  });

  it('keeps normal repeated connections to one service at about one port, one host, no unanswered SYNs', () => {
    const { records, add } = sensor();
    const C = '10.0.0.1';
    const S = '10.0.0.2';
    for (let i = 0; i < 200; i++) {
      const t = 100 + i * 0.1;
      const cp = 30000 + i;
      add({ ts: t, src: C, dst: S, srcPort: cp, dstPort: 443, flags: TCP_SYN });
      add({ ts: t + 0.001, src: S, dst: C, srcPort: 443, dstPort: cp, flags: TCP_SYN | TCP_ACK });
      add({ ts: t + 0.002, src: C, dst: S, srcPort: cp, dstPort: 443, flags: TCP_ACK });
      add({ ts: t + 0.01, src: C, dst: S, srcPort: cp, dstPort: 443, flags: TCP_FIN | TCP_ACK });
      add({ ts: t + 0.011, src: S, dst: C, srcPort: 443, dstPort: cp, flags: TCP_FIN | TCP_ACK });
      add({ ts: t + 0.012, src: C, dst: S, srcPort: cp, dstPort: 443, flags: TCP_ACK });
    }
    expect(records).toHaveLength(200);
    const last = records[records.length - 1];
    expect(last.endReason).toBe('fin');
    for (const w of [1, 10, 100]) {
      for (const name of ['src_dst_ports', 'src_dst_hosts', 'pair_dst_ports', 'dst_in_srcs']) {
        const v = f(last, `${name}_${w}s`);
        expect(v, `${name}_${w}s`).toBeGreaterThan(0.8);
        expect(v, `${name}_${w}s`).toBeLessThan(1.2);
      }
      expect(f(last, `src_syn_unanswered_${w}s`)).toBe(0);
      expect(f(last, `dst_in_syn_unanswered_${w}s`)).toBe(0);
    }
  });

  it('estimates a steady stream of new keys as rate × window (each key weighs e^(-age/window))', () => {
    const { records, add } = sensor();
    const times: number[] = [];
    // 10 new destination ports per second for 200 s (UDP, one packet each)…
    for (let i = 0; i < 2000; i++) {
      times.push(i * 0.1);
      add({ ts: i * 0.1, src: '10.0.0.1', dst: '10.0.0.2', protocol: PROTO_UDP, srcPort: 999, dstPort: 1 + i });
    }
    // …then a refused TCP connection, whose record is emitted at once (at T).
    const T = 200;
    add({ ts: T, src: '10.0.0.1', dst: '10.0.0.2', srcPort: 999, dstPort: 7, flags: TCP_SYN });
    add({ ts: T, src: '10.0.0.2', dst: '10.0.0.1', srcPort: 7, dstPort: 999, flags: TCP_RST | TCP_ACK });
    const rec = records.find((r) => r.protocol === 6);
    expect(rec?.endReason).toBe('rst');
    for (const w of [1, 10, 100]) {
      const want = 1 + times.reduce((acc, t) => acc + Math.exp(-(T - t) / w), 0);
      expect(f(rec!, `src_dst_ports_${w}s`)).toBeCloseTo(want, 6);
      expect(f(rec!, `pair_dst_ports_${w}s`)).toBeCloseTo(want, 6);
    }
    // Steady state: about rate × window.
    expect(f(rec!, 'src_dst_ports_10s')).toBeGreaterThan(95);
    expect(f(rec!, 'src_dst_ports_10s')).toBeLessThan(105);
  });

  it('marks unanswered SYNs from a source as unanswered (SYN flood, one destination port)', () => {
    const { s, records, add } = sensor({ maxFlows: 1000 });
    const r = rng(3);
    let maxActive = 0;
    for (let i = 0; i < 20000; i++) {
      add({ ts: i * 1e-4, src: '10.6.6.6', dst: '10.0.0.2', srcPort: 1024 + Math.floor(r() * 64000), dstPort: 80, flags: TCP_SYN });
      maxActive = Math.max(maxActive, s.table.active);
    }
    expect(maxActive).toBe(1000);
    s.flush();
    const c = s.counters();
    expect(c.flowEvictions).toBeGreaterThan(10000);
    const lastOne = records[records.length - 1];
    expect(f(lastOne, 'src_syn_unanswered_10s')).toBeCloseTo(1, 6);
    expect(f(lastOne, 'dst_in_syn_unanswered_1s')).toBeCloseTo(1, 6);
    expect(f(lastOne, 'src_dst_ports_10s')).toBeGreaterThan(0.8);
    expect(f(lastOne, 'src_dst_ports_10s')).toBeLessThan(1.2);
    expect(f(lastOne, 'pair_pkt_rate_1s')).toBeGreaterThan(8000); // 10 k SYNs/s
  });

  it('bounds host and pair tables, counts evictions, and keeps every value finite', () => {
    const { s, records, add } = sensor({ maxHosts: 16, maxPairs: 16, recentKeys: 64 });
    const r = rng(9);
    for (let i = 0; i < 5000; i++) {
      const a = `10.0.${Math.floor(r() * 4)}.${Math.floor(r() * 250)}`;
      const b = `10.1.${Math.floor(r() * 4)}.${Math.floor(r() * 250)}`;
      add({ ts: i * 0.01, src: a, dst: b, protocol: PROTO_UDP, srcPort: 1 + Math.floor(r() * 60000), dstPort: 53, payload: 40 });
      if (r() < 0.5) add({ ts: i * 0.01 + 0.001, src: b, dst: a, protocol: PROTO_UDP, srcPort: 53, dstPort: 1, payload: 100 });
    }
    s.flush();
    const c = s.counters();
    expect(c.hostEvictions).toBeGreaterThan(1000);
    expect(c.pairEvictions).toBeGreaterThan(1000);
    expect(c.nonFiniteFeatures).toBe(0);
    expect(s.context.hosts.size).toBe(16);
    expect(records.length).toBeGreaterThan(5000);
    const bad = records.filter((rec) => rec.features.length !== FEATURE_COUNT || !rec.features.every(Number.isFinite));
    expect(bad).toHaveLength(0);
  });
});
