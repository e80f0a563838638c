import { describe, expect, it } from 'vitest';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_UDP, TCP_ACK, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN } from '../../../sensor/decode/DecodedPacket.js';
import { FLOW_FEATURES } from '../../../sensor/features/schema.js';
import { writeFlowFeatures } from '../../../sensor/features/writeFlowFeatures.js';
import type { FlowEndReason } from '../../../sensor/flows/FlowRecord.js';
import { F64_STRIDE, F_LAST, F_START, FlowTable } from '../../../sensor/flows/FlowTable.js';
import type { FlowTableConfig } from '../../../sensor/flows/FlowTableConfig.js';
import { craftPacket, CraftOptions } from '../craftPacket.js';

interface Ended {
  reason: FlowEndReason;
  at: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  firstSeen: number;
  lastSeen: number;
  f: Record<string, number>;
}

function harness(config: Partial<FlowTableConfig> = {}) {
  const ended: Ended[] = [];
  const packets: { slot: number; forward: boolean; isNew: boolean }[] = [];
  const table: FlowTable = new FlowTable(config, {
    onFlowPacket: (_pkt, slot, forward, isNew) => packets.push({ slot, forward, isNew }),
    onFlowEnd: (slot, reason, at) => {
      const v = new Float64Array(FLOW_FEATURES.length);
      writeFlowFeatures(table, slot, v, 0);
      const f: Record<string, number> = {};
      FLOW_FEATURES.forEach((n, i) => (f[n] = v[i]));
      ended.push({
        reason,
        at,
        src: table.srcAddrOf(slot),
        dst: table.dstAddrOf(slot),
        srcPort: table.srcPortOf(slot),
        dstPort: table.dstPortOf(slot),
        protocol: table.protocolOf(slot),
        firstSeen: table.f64[slot * F64_STRIDE + F_START],
        lastSeen: table.f64[slot * F64_STRIDE + F_LAST],
        f,
      });
    },
  });
  const add = (o: CraftOptions): number => table.add(craftPacket(o));
  return { table, ended, packets, add };
}

const C = '10.0.0.1';
const S = '10.0.0.2';

/** A client→server TCP packet at t (or server→client with `back`). */
function tcp(t: number, flags: number, payload = 0, back = false, cport = 40000, sport = 80): CraftOptions {
  return back
    ? { ts: t, src: S, dst: C, srcPort: sport, dstPort: cport, flags, payload }
    : { ts: t, src: C, dst: S, srcPort: cport, dstPort: sport, flags, payload };
}

describe('FlowTable', () => {
  it('emits a full TCP session at its final ACK with both directions counted', () => {
    const h = harness();
    h.add(tcp(100.0, TCP_SYN));
    h.add(tcp(100.01, TCP_SYN | TCP_ACK, 0, true));
    h.add(tcp(100.02, TCP_ACK));
    h.add(tcp(100.03, TCP_PSH | TCP_ACK, 100));
    h.add(tcp(100.05, TCP_PSH | TCP_ACK, 1000, true));
    h.add(tcp(100.06, TCP_FIN | TCP_ACK));
    expect(h.ended).toHaveLength(0);
    h.add(tcp(100.07, TCP_FIN | TCP_ACK, 0, true));
    expect(h.ended).toHaveLength(0); // waits for the final ACK
    h.add(tcp(100.08, TCP_ACK));
    expect(h.ended).toHaveLength(1);
    const e = h.ended[0];
    expect(e.reason).toBe('fin');
    expect(e.at).toBe(100.08);
    expect([e.src, e.srcPort, e.dst, e.dstPort, e.protocol]).toEqual([C, 40000, S, 80, 6]);
    expect(e.f.fwd_packets).toBe(5);
    expect(e.f.bwd_packets).toBe(3);
    expect(e.f.fwd_bytes).toBe(4 * 40 + 140);
    expect(e.f.bwd_bytes).toBe(40 + 1040 + 40);
    expect(e.f.fwd_len_min).toBe(40);
    expect(e.f.fwd_len_max).toBe(140);
    expect(e.f.bwd_len_max).toBe(1040);
    expect(e.f.duration_s).toBeCloseTo(0.08, 9);
    expect(e.f.syn_count).toBe(2);
    expect(e.f.fin_count).toBe(2);
    expect(e.f.rst_count).toBe(0);
    expect(e.f.psh_count).toBe(2);
    expect(e.f.ack_count).toBe(7);
    expect(e.f.handshake_complete).toBe(1);
    expect(e.f.dst_port_wellknown).toBe(1);
    expect(e.f.is_tcp).toBe(1);
    expect(e.f.down_up_ratio).toBeCloseTo(3 / 5, 12);
    expect(e.f.iat_min).toBeCloseTo(0.01, 9);
    expect(e.f.iat_max).toBeCloseTo(0.02, 9);
    expect(e.f.iat_mean).toBeCloseTo(0.08 / 7, 9);
    expect(h.table.active).toBe(0);
  });

  it('assigns direction from the first packet, also when it comes from the server', () => {
    const h = harness();
    h.add(tcp(1, TCP_ACK | TCP_PSH, 500, true));
    h.add(tcp(1.1, TCP_ACK));
    h.add(tcp(1.2, TCP_ACK | TCP_PSH, 500, true));
    expect(h.packets.map((p) => p.forward)).toEqual([true, false, true]);
    expect(h.packets.map((p) => p.isNew)).toEqual([true, false, false]);
    h.table.flush();
    const e = h.ended[0];
    expect([e.src, e.srcPort, e.dst, e.dstPort]).toEqual([S, 80, C, 40000]);
    expect(e.reason).toBe('flush');
    expect(e.f.fwd_packets).toBe(2);
    expect(e.f.bwd_packets).toBe(1);
    expect(e.f.handshake_complete).toBe(0);
    expect(e.f.dst_port_wellknown).toBe(0); // the "destination" is the client's ephemeral port
  });

  it('ends a flow at once on RST, counting the RST', () => {
    const h = harness();
    h.add(tcp(5, TCP_SYN));
    h.add(tcp(5.001, TCP_RST | TCP_ACK, 0, true));
    expect(h.ended).toHaveLength(1);
    expect(h.ended[0].reason).toBe('rst');
    expect(h.ended[0].at).toBe(5.001);
    expect(h.ended[0].f.rst_count).toBe(1);
    expect(h.ended[0].f.bwd_packets).toBe(1);
    expect(h.table.active).toBe(0);
  });

  it('expires an unanswered SYN after the SYN timeout (from its last SYN), at the deadline time', () => {
    const h = harness({ synTimeoutS: 3 });
    h.add(tcp(10, TCP_SYN));
    h.add(tcp(11, TCP_SYN)); // retransmission
    h.table.advance(13.9);
    expect(h.ended).toHaveLength(0);
    h.table.advance(14.5);
    expect(h.ended).toHaveLength(1);
    expect(h.ended[0].reason).toBe('syn-timeout');
    expect(h.ended[0].at).toBe(14);
    expect(h.ended[0].f.fwd_packets).toBe(2);
    expect(h.ended[0].f.syn_count).toBe(2);
  });

  it('an answered SYN leaves the SYN class: no SYN timeout, TCP idle timeout instead', () => {
    const h = harness({ synTimeoutS: 3, tcpIdleTimeoutS: 60 });
    h.add(tcp(10, TCP_SYN));
    h.add(tcp(10.1, TCP_SYN | TCP_ACK, 0, true));
    h.table.advance(20);
    expect(h.ended).toHaveLength(0);
    h.table.advance(70.2);
    expect(h.ended.map((e) => [e.reason, e.at])).toEqual([['idle', 70.1]]);
  });

  it('expires a packet-driven timeout before handling the packet that passes it', () => {
    const h = harness({ udpIdleTimeoutS: 30 });
    h.add({ ts: 0, src: C, dst: S, protocol: PROTO_UDP, srcPort: 5353, dstPort: 53 });
    h.add({ ts: 0, src: S, dst: C, protocol: PROTO_UDP, srcPort: 53, dstPort: 5353 });
    h.add({ ts: 40, src: C, dst: S, protocol: PROTO_UDP, srcPort: 5353, dstPort: 53 });
    expect(h.ended.map((e) => [e.reason, e.at, e.f.fwd_packets, e.f.bwd_packets])).toEqual([['idle', 30, 1, 1]]);
    expect(h.packets[2].isNew).toBe(true); // the packet after the timeout starts a new flow
  });

  it('orients a flow first seen at its SYN-ACK from the side that sent the SYN', () => {
    const h = harness({});
    h.add(tcp(0, TCP_SYN | TCP_ACK, 0, true)); // server → client; the SYN was not captured
    h.add(tcp(0.001, TCP_RST, 0, false)); // client → server
    expect(h.ended).toHaveLength(1);
    const [e] = h.ended;
    expect([e.src, e.srcPort, e.dstPort, e.f.fwd_packets, e.f.bwd_packets, e.f.handshake_complete]).toEqual([C, 40000, 80, 1, 1, 0]);
  });

  it('ends an unanswered UDP flow after the short timeout, so floods are scored within seconds', () => {
    const h = harness({ synTimeoutS: 3, udpIdleTimeoutS: 30 });
    for (let i = 0; i < 100; i++) h.add({ ts: i * 0.001, src: C, dst: S, protocol: PROTO_UDP, srcPort: 1000 + i, dstPort: 9999 });
    h.table.advance(10);
    expect(h.ended).toHaveLength(100);
    expect(h.ended.every((e) => e.reason === 'idle' && e.at < 3.2)).toBe(true);
  });

  it('uses per-protocol idle timeouts', () => {
    const h = harness({ tcpIdleTimeoutS: 60, udpIdleTimeoutS: 20, otherIdleTimeoutS: 10 });
    h.add(tcp(0, TCP_ACK));
    h.add({ ts: 0, src: C, dst: S, protocol: PROTO_UDP, srcPort: 1, dstPort: 2 });
    h.add({ ts: 0, src: S, dst: C, protocol: PROTO_UDP, srcPort: 2, dstPort: 1 });
    h.add({ ts: 0, src: C, dst: S, protocol: 47 });
    h.table.advance(100);
    expect(h.ended.map((e) => [e.protocol, e.at])).toEqual([
      [47, 10],
      [17, 20],
      [6, 60],
    ]);
  });

  it('emits periodic active records of a long flow with fresh counters, keeping direction and TCP state', () => {
    const h = harness({ activeTimeoutS: 120, tcpIdleTimeoutS: 60 });
    h.add(tcp(0, TCP_SYN));
    h.add(tcp(0.01, TCP_SYN | TCP_ACK, 0, true));
    h.add(tcp(0.02, TCP_ACK));
    let n = 3;
    for (let t = 1; t <= 300; t++) {
      h.add(tcp(t, TCP_ACK | TCP_PSH, 10, t % 2 === 0));
      n++;
    }
    h.table.flush();
    expect(h.ended.map((e) => e.reason)).toEqual(['active', 'active', 'flush']);
    expect(h.ended[0].at).toBe(120);
    expect(h.ended[0].firstSeen).toBe(0);
    expect(h.ended[0].lastSeen).toBe(119);
    expect(h.ended[1].firstSeen).toBe(120);
    expect(h.ended[1].lastSeen).toBe(239);
    for (const e of h.ended) {
      expect([e.src, e.dst]).toEqual([C, S]);
      expect(e.f.handshake_complete).toBe(1);
    }
    expect(h.ended[1].f.syn_count).toBe(0);
    expect(h.ended.reduce((s, e) => s + e.f.fwd_packets + e.f.bwd_packets, 0)).toBe(n);
  });

  it('closes after FIN both ways without the final ACK after the linger time', () => {
    const h = harness({ closeLingerS: 1 });
    h.add(tcp(0, TCP_ACK));
    h.add(tcp(0.1, TCP_FIN | TCP_ACK));
    h.add(tcp(0.2, TCP_FIN | TCP_ACK, 0, true));
    h.table.advance(1.1);
    expect(h.ended).toHaveLength(0);
    h.table.advance(1.3);
    expect(h.ended.map((e) => [e.reason, e.at])).toEqual([['fin', 1.2]]);
  });

  it('evicts the least recently seen flow when full, and counts it', () => {
    const h = harness({ maxFlows: 3 });
    h.add(tcp(0, TCP_ACK, 0, false, 1));
    h.add(tcp(1, TCP_ACK, 0, false, 2));
    h.add(tcp(2, TCP_ACK, 0, false, 3));
    h.add(tcp(3, TCP_ACK, 0, false, 1)); // refreshes flow 1: flow 2 is now the oldest
    h.add(tcp(4, TCP_ACK, 0, false, 4));
    expect(h.ended.map((e) => [e.reason, e.srcPort, e.at])).toEqual([['evicted', 2, 4]]);
    expect(h.table.evictions).toBe(1);
    expect(h.table.active).toBe(3);
  });

  it('stays within maxFlows under a flood of new flows', () => {
    const h = harness({ maxFlows: 500 });
    let maxActive = 0;
    for (let i = 0; i < 20_000; i++) {
      h.add({ ts: i * 1e-5, src: `10.1.${(i >> 8) & 255}.${i & 255}`, dst: S, srcPort: 1024 + (i % 60000), dstPort: 80, flags: TCP_SYN });
      maxActive = Math.max(maxActive, h.table.active);
    }
    expect(maxActive).toBe(500);
    expect(h.table.evictions).toBe(19_500);
    h.table.flush();
    expect(h.ended).toHaveLength(20_000);
    expect(h.table.active).toBe(0);
  });

  it('finds every flow again after its bucket array has grown, in both directions', () => {
    // 5 000 flows open at once: the buckets double from 1 024 several times while flows are live.
    const h = harness();
    const n = 5000;
    const client = (i: number): string => `10.2.${i >> 8}.${i & 255}`;
    for (let i = 0; i < n; i++) h.add({ ts: i * 1e-4, src: client(i), dst: S, srcPort: 1024 + i, dstPort: 80, flags: TCP_SYN });
    for (let i = 0; i < n; i++) h.add({ ts: 1 + i * 1e-4, src: S, dst: client(i), srcPort: 80, dstPort: 1024 + i, flags: TCP_SYN | TCP_ACK });
    for (let i = 0; i < n; i++) h.add({ ts: 2 + i * 1e-4, src: client(i), dst: S, srcPort: 1024 + i, dstPort: 80, flags: TCP_ACK });
    expect(h.table.active).toBe(n);
    expect(h.packets.filter((p) => p.isNew)).toHaveLength(n);
    h.table.flush();
    expect(h.ended).toHaveLength(n);
    expect(h.ended.every((e) => e.f.fwd_packets === 2 && e.f.bwd_packets === 1 && e.f.handshake_complete === 1)).toBe(true);
  });

  it('expires flows in deadline order when one flow keeps getting packets at the tail of its list', () => {
    const h = harness({ tcpIdleTimeoutS: 10 });
    h.add(tcp(0, TCP_ACK, 0, false, 40001));
    // Flow 40002 is the latest of its list from here on: its packets leave the list order as it is.
    for (let t = 1; t <= 12; t++) h.add(tcp(t, TCP_ACK, 10, false, 40002));
    expect(h.ended.map((e) => [e.srcPort, e.at])).toEqual([[40001, 10]]);
    h.table.advance(21.5);
    expect(h.ended.map((e) => [e.srcPort, e.at])).toEqual([[40001, 10]]);
    h.table.advance(22);
    expect(h.ended.map((e) => [e.srcPort, e.at])).toEqual([
      [40001, 10],
      [40002, 22],
    ]);
    expect(h.ended[1].f.fwd_packets).toBe(12);
  });

  it('keeps UDP request and response in one flow', () => {
    const h = harness();
    h.add({ ts: 1, src: C, dst: S, protocol: PROTO_UDP, srcPort: 5353, dstPort: 53, payload: 30 });
    h.add({ ts: 1.01, src: S, dst: C, protocol: PROTO_UDP, srcPort: 53, dstPort: 5353, payload: 200 });
    h.table.flush();
    expect(h.ended).toHaveLength(1);
    const e = h.ended[0];
    expect(e.f.is_udp).toBe(1);
    expect(e.f.fwd_bytes).toBe(58);
    expect(e.f.bwd_bytes).toBe(228);
    expect(e.f.dst_port_wellknown).toBe(1);
  });

  it('pairs ICMP echo requests and replies by identifier, and keys other ICMP by type/code', () => {
    const h = harness();
    const echo = (t: number, reply: boolean, id: number): CraftOptions =>
      reply
        ? { ts: t, src: S, dst: C, protocol: PROTO_ICMP, srcPort: 0, dstPort: 0, icmpId: id, payload: 56 }
        : { ts: t, src: C, dst: S, protocol: PROTO_ICMP, srcPort: 8, dstPort: 0, icmpId: id, payload: 56 };
    h.add(echo(0, false, 7));
    h.add(echo(0.001, true, 7));
    h.add(echo(1, false, 7));
    h.add(echo(1.001, true, 7));
    h.add(echo(2, false, 9)); // another ping process
    h.add({ ts: 3, src: S, dst: C, protocol: PROTO_ICMP, srcPort: 3, dstPort: 3, payload: 28 }); // port unreachable
    h.add({ ts: 3, src: 'fe80::1', dst: 'fe80::2', protocol: PROTO_ICMPV6, srcPort: 128, dstPort: 0, icmpId: 7 });
    h.add({ ts: 3.1, src: 'fe80::2', dst: 'fe80::1', protocol: PROTO_ICMPV6, srcPort: 129, dstPort: 0, icmpId: 7 });
    h.table.flush();
    const byKey = h.ended.map((e) => [e.src, e.srcPort, e.dstPort, e.f.fwd_packets, e.f.bwd_packets, e.f.is_icmp]);
    expect(byKey).toEqual(
      expect.arrayContaining([
        [C, 8, 0, 2, 2, 1],
        [C, 8, 0, 1, 0, 1],
        [S, 3, 3, 1, 0, 1],
        ['fe80::1', 128, 0, 1, 1, 1],
      ]),
    );
    expect(h.ended).toHaveLength(4);
  });

  it('keys a packet the same from header bytes and from text addresses (IPv4 and IPv6)', () => {
    const h = harness();
    h.add({ ts: 0, src: C, dst: S, srcPort: 1, dstPort: 2, flags: TCP_ACK });
    h.add({ ts: 1, src: S, dst: C, srcPort: 2, dstPort: 1, flags: TCP_ACK, textOnly: true });
    h.add({ ts: 0, src: '2001:db8::1', dst: '2001:db8:0:0:1::2', srcPort: 1, dstPort: 2, flags: TCP_ACK, textOnly: true });
    h.add({ ts: 1, src: '2001:db8::1:0:0:2', dst: '2001:db8::1', srcPort: 2, dstPort: 1, flags: TCP_ACK });
    expect(h.packets.map((p) => p.isNew)).toEqual([true, false, true, false]);
    expect(h.packets.map((p) => p.forward)).toEqual([true, false, true, false]);
    // Record addresses are formatted from the key: canonical text whichever form came in.
    h.table.flush();
    expect(h.ended.map((e) => [e.src, e.dst])).toEqual(
      expect.arrayContaining([
        [C, S],
        ['2001:db8::1', '2001:db8::1:0:0:2'],
      ]),
    );
  });

  it('does not confuse IPv4 with IPv4-mapped IPv6, nor TCP with UDP on the same ports', () => {
    const h = harness();
    h.add({ ts: 0, src: C, dst: S, srcPort: 1, dstPort: 2 });
    h.add({ ts: 0, src: '::ffff:10.0.0.1', dst: '::ffff:10.0.0.2', srcPort: 1, dstPort: 2 });
    h.add({ ts: 0, src: C, dst: S, srcPort: 1, dstPort: 2, protocol: PROTO_UDP });
    expect(h.packets.map((p) => p.isNew)).toEqual([true, true, true]);
    expect(h.table.active).toBe(3);
    h.table.flush();
    expect(h.ended.map((e) => [e.src, e.dst])).toEqual([
      [C, S],
      ['::ffff:10.0.0.1', '::ffff:10.0.0.2'],
      [C, S],
    ]);
  });

  it('treats a timestamp going backwards as the latest time seen', () => {
    const h = harness();
    h.add(tcp(10, TCP_ACK));
    h.add(tcp(9.5, TCP_ACK, 0, true));
    h.table.flush();
    expect(h.ended[0].f.duration_s).toBe(0);
    expect(h.ended[0].f.iat_min).toBe(0);
    expect(h.ended[0].lastSeen).toBe(10);
  });

  it('counts packets without readable addresses instead of throwing', () => {
    const h = harness();
    expect(h.add({ ts: 0, src: 'not-an-ip', dst: S, textOnly: true })).toBe(-1);
    expect(h.table.unkeyed).toBe(1);
    expect(h.table.active).toBe(0);
  });

  it('gives finite rates for a single-packet flow (duration floored at 1 ms)', () => {
    const h = harness();
    h.add(tcp(0, TCP_SYN));
    h.table.flush();
    const f = h.ended[0].f;
    expect(f.packets_per_s).toBe(1000);
    expect(f.bytes_per_s).toBe(40_000);
    expect(f.iat_mean).toBe(0);
    expect(Object.values(f).every(Number.isFinite)).toBe(true);
    expect(f.down_up_ratio).toBe(0);
  });

  it('rejects bad configuration with a clear error', () => {
    expect(() => new FlowTable({ maxFlows: 0 }, { onFlowPacket() {}, onFlowEnd() {} })).toThrow(/maxFlows/);
    expect(() => new FlowTable({ synTimeoutS: -1 }, { onFlowPacket() {}, onFlowEnd() {} })).toThrow(/synTimeoutS/);
    expect(() => new FlowTable({ bogus: 1 } as never, { onFlowPacket() {}, onFlowEnd() {} })).toThrow(/bogus/);
  });
});
