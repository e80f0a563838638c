import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPcapFile } from '../../../sensor/capture/readPcapFile.js';
import { AddressFormatter } from '../../../sensor/decode/AddressFormatter.js';
import { DecodedPacket, PROTO_ARP, TCP_ACK, TCP_PSH, TCP_SYN } from '../../../sensor/decode/DecodedPacket.js';
import { Decoder } from '../../../sensor/decode/Decoder.js';
import { concat, ethernet, ext6, frag6, icmp, ipv4, ipv6, tcp, udp } from './packetBuilders.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/capture');

function decodeOne(linkType: number, pkt: Uint8Array, wireLen = pkt.length): { d: Decoder; out: DecodedPacket; ok: boolean } {
  const d = new Decoder();
  const out = new DecodedPacket();
  const ok = d.decode(linkType, pkt, 0, pkt.length, wireLen, 1.5, out);
  return { d, out, ok };
}

function skippedAs(linkType: number, pkt: Uint8Array, reason: string): void {
  const { d, ok } = decodeOne(linkType, pkt);
  expect(ok).toBe(false);
  expect(d.skipped).toEqual({ [reason]: 1 });
  expect(d.nonIp).toBe(0);
}

function invariant(d: Decoder): void {
  expect(d.packets).toBe(d.ip + d.nonIp + d.skippedTotal());
}

const tcpSyn = tcp({ sport: 40000, dport: 80, flags: TCP_SYN, window: 64240 });

describe('Decoder: Ethernet, IPv4, transports', () => {
  it('decodes Ethernet / IPv4 / TCP with flags, window and lengths', () => {
    const pkt = ethernet(0x0800, ipv4({ src: [192, 168, 1, 10], dst: [10, 255, 0, 1], proto: 6, payload: tcp({ sport: 443, dport: 51515, flags: TCP_PSH | TCP_ACK, window: 501, payload: new Uint8Array(100) }) }));
    const { d, out, ok } = decodeOne(1, pkt);
    expect(ok).toBe(true);
    expect(out).toMatchObject({ ipVersion: 4, src: '192.168.1.10', dst: '10.255.0.1', protocol: 6, srcPort: 443, dstPort: 51515, tcpFlags: TCP_PSH | TCP_ACK, tcpWindow: 501, payloadLen: 100, ipLen: 140, l3Offset: 14, l4Offset: 34, fragment: false, vlan: 0, ts: 1.5, capLen: pkt.length });
    expect(d.ip).toBe(1);
    invariant(d);
  });

  it('honours the IPv4 header length (options) and TCP data offset', () => {
    const pkt = ethernet(0x0800, ipv4({ proto: 6, options: [0x94, 4, 0, 0, 1, 1, 1, 0], payload: tcp({ sport: 1, dport: 2, flags: TCP_SYN, dataOffsetWords: 8, payload: new Uint8Array(5) }) }));
    const { out, ok } = decodeOne(1, pkt);
    expect(ok).toBe(true);
    expect(out.l4Offset).toBe(14 + 28);
    expect(out.payloadLen).toBe(5);
    expect(out.ipLen).toBe(28 + 32 + 5);
  });

  it('decodes UDP and ICMP (type and code in the port fields)', () => {
    let r = decodeOne(1, ethernet(0x0800, ipv4({ proto: 17, payload: udp(5353, 53, new Uint8Array(30)) })));
    expect(r.out).toMatchObject({ protocol: 17, srcPort: 5353, dstPort: 53, payloadLen: 30 });
    r = decodeOne(1, ethernet(0x0800, ipv4({ proto: 1, payload: icmp(3, 1, new Uint8Array(28)) })));
    expect(r.out).toMatchObject({ protocol: 1, srcPort: 3, dstPort: 1, payloadLen: 28 });
  });

  it('reads 802.1Q, 802.1ad QinQ and 0x9100 tags, keeping the outer VLAN id', () => {
    const inner = ipv4({ proto: 17, payload: udp(1, 2) });
    let r = decodeOne(1, ethernet(0x0800, inner, [{ tpid: 0x8100, id: 0x2000 | 42 }]));
    expect(r.ok).toBe(true);
    expect(r.out.vlan).toBe(42);
    expect(r.out.l3Offset).toBe(18);
    r = decodeOne(1, ethernet(0x0800, inner, [{ tpid: 0x88a8, id: 100 }, { tpid: 0x8100, id: 200 }]));
    expect(r.out).toMatchObject({ vlan: 100, l3Offset: 22, srcPort: 1 });
    r = decodeOne(1, ethernet(0x86dd, ipv6({ next: 17, payload: udp(7, 8) }), [{ tpid: 0x9100, id: 7 }]));
    expect(r.out).toMatchObject({ vlan: 7, ipVersion: 6, srcPort: 7 });
  });

  it('turns an Ethernet/IPv4 ARP request or reply into a PROTO_ARP packet from sender to target, counted as non-IP', () => {
    const message = (op: number, sender: number[], target: number[]) =>
      concat([0, 1, 0x08, 0x00, 6, 4, 0, op], [2, 0, 0, 0, 0, 2], sender, [0, 0, 0, 0, 0, 0], target);
    const request = decodeOne(1, ethernet(0x0806, message(1, [10, 0, 0, 66], [10, 0, 0, 9])));
    expect(request.ok).toBe(true);
    expect(request.out).toMatchObject({ protocol: PROTO_ARP, ipVersion: 4, src: '10.0.0.66', dst: '10.0.0.9', srcPort: 0, dstPort: 0, ipLen: 28, l3Offset: 14, l4Offset: -1 });
    const reply = decodeOne(1, ethernet(0x0806, message(2, [10, 0, 0, 9], [10, 0, 0, 66]), [{ tpid: 0x8100, id: 5 }]));
    expect(reply.out).toMatchObject({ protocol: PROTO_ARP, src: '10.0.0.9', dst: '10.0.0.66', vlan: 5 });
    expect(reply.d.nonIpByKind).toEqual({ arp: 1 });
    invariant(reply.d);
    // RARP operations, other hardware or protocol types, and truncated messages are only counted.
    for (const bad of [message(3, [10, 0, 0, 1], [10, 0, 0, 2]), concat([0, 6], message(1, [1, 2, 3, 4], [5, 6, 7, 8]).slice(2)), message(1, [1, 2, 3, 4], [5, 6, 7, 8]).slice(0, 27)]) {
      const r = decodeOne(1, ethernet(0x0806, bad));
      expect(r.ok).toBe(false);
      expect(r.d.nonIpByKind).toEqual({ arp: 1 });
      invariant(r.d);
    }
  });

  it('counts ARP, LLDP and 802.3/LLC frames as non-IP', () => {
    const d = new Decoder();
    const out = new DecodedPacket();
    const arp = ethernet(0x0806, new Uint8Array(28));
    const lldp = ethernet(0x88cc, new Uint8Array(20));
    const llc = ethernet(46, new Uint8Array(46));
    for (const p of [arp, arp, lldp, llc]) expect(d.decode(1, p, 0, p.length, p.length, 0, out)).toBe(false);
    expect(d.nonIp).toBe(4);
    expect(d.nonIpByKind).toEqual({ arp: 2, lldp: 1, llc: 1 });
    expect(out.ipVersion).toBe(0);
    invariant(d);
  });

  it('decodes the first IPv4 fragment fully and later ones without ports', () => {
    const d = new Decoder();
    const out = new DecodedPacket();
    const first = ethernet(0x0800, ipv4({ proto: 17, flagsFrag: 0x2000, payload: udp(1000, 2000, new Uint8Array(1472)) }));
    expect(d.decode(1, first, 0, first.length, first.length, 0, out)).toBe(true);
    expect(out).toMatchObject({ fragment: false, srcPort: 1000, dstPort: 2000 });
    const later = ethernet(0x0800, ipv4({ proto: 17, flagsFrag: 185, payload: new Uint8Array(600) }));
    expect(d.decode(1, later, 0, later.length, later.length, 0, out)).toBe(true);
    expect(out).toMatchObject({ fragment: true, protocol: 17, srcPort: 0, dstPort: 0, payloadLen: 600, l4Offset: -1 });
    expect(d.fragments).toBe(2);
    invariant(d);
  });

  it('uses the wire length when IPv4 total length is 0 (segmentation offload)', () => {
    const seg = tcp({ sport: 1, dport: 2, flags: TCP_ACK, payload: new Uint8Array(3000) });
    const pkt = ethernet(0x0800, ipv4({ proto: 6, payload: seg, totalLength: 0 }));
    const { out, ok } = decodeOne(1, pkt.subarray(0, 200), pkt.length);
    expect(ok).toBe(true);
    expect(out.ipLen).toBe(pkt.length - 14);
    expect(out.payloadLen).toBe(3000);
  });

  it('decodes GRE as its outer packet (tunnels are not entered)', () => {
    const { out, ok } = decodeOne(1, ethernet(0x0800, ipv4({ proto: 47, payload: new Uint8Array(64) })));
    expect(ok).toBe(true);
    expect(out).toMatchObject({ protocol: 47, srcPort: 0, payloadLen: 64, l4Offset: 34 });
  });

  it('reads packets at an offset inside a larger buffer without copying', () => {
    const pkt = ethernet(0x0800, ipv4({ proto: 6, payload: tcpSyn }));
    const big = new Uint8Array(1000);
    big.set(pkt, 300);
    const d = new Decoder();
    const out = new DecodedPacket();
    expect(d.decode(1, big, 300, pkt.length, pkt.length, 0, out)).toBe(true);
    expect(out.buf).toBe(big);
    expect(out.l3Offset).toBe(314);
    expect(out.srcPort).toBe(40000);
  });
});

describe('Decoder: IPv6', () => {
  it('decodes IPv6 / TCP and ICMPv6', () => {
    let r = decodeOne(1, ethernet(0x86dd, ipv6({ next: 6, payload: tcpSyn })));
    expect(r.out).toMatchObject({ ipVersion: 6, src: 'fd77::1', dst: 'fd77::2', protocol: 6, srcPort: 40000, dstPort: 80, tcpFlags: TCP_SYN, ipLen: 60, l4Offset: 54, payloadLen: 0 });
    r = decodeOne(1, ethernet(0x86dd, ipv6({ next: 58, payload: icmp(128, 0, new Uint8Array(56)) })));
    expect(r.out).toMatchObject({ protocol: 58, srcPort: 128, dstPort: 0, payloadLen: 56 });
  });

  it('walks hop-by-hop, routing, destination options and AH headers', () => {
    const ah = concat([17, 4, 0, 0], new Array<number>(20).fill(0)); // (4 + 2) * 4 = 24 bytes
    const payload = ext6(43, ext6(60, ext6(51, concat(ah, udp(111, 222, new Uint8Array(9))))));
    const { out, ok } = decodeOne(1, ethernet(0x86dd, ipv6({ next: 0, payload })));
    expect(ok).toBe(true);
    expect(out).toMatchObject({ protocol: 17, srcPort: 111, dstPort: 222, payloadLen: 9, l4Offset: 14 + 40 + 24 + 24 });
  });

  it('decodes the first IPv6 fragment and marks later ones', () => {
    const d = new Decoder();
    const out = new DecodedPacket();
    const first = ethernet(0x86dd, ipv6({ next: 44, payload: frag6(17, 0, true, udp(9, 10, new Uint8Array(100))) }));
    expect(d.decode(1, first, 0, first.length, first.length, 0, out)).toBe(true);
    expect(out).toMatchObject({ fragment: false, protocol: 17, srcPort: 9 });
    const later = ethernet(0x86dd, ipv6({ next: 44, payload: frag6(17, 14, false, new Uint8Array(50)) }));
    expect(d.decode(1, later, 0, later.length, later.length, 0, out)).toBe(true);
    expect(out).toMatchObject({ fragment: true, protocol: 17, srcPort: 0, payloadLen: 50 });
    expect(d.fragments).toBe(2);
  });

  it('formats addresses per RFC 5952', () => {
    const f = new AddressFormatter();
    const fmt = (hex: string): string => f.formatIpv6(Uint8Array.from(Buffer.from(hex.replace(/:/g, ''), 'hex')), 0);
    expect(fmt('2001:0db8:0000:0000:0000:0000:0000:0001')).toBe('2001:db8::1');
    expect(fmt('0000:0000:0000:0000:0000:0000:0000:0000')).toBe('::');
    expect(fmt('0000:0000:0000:0000:0000:0000:0000:0001')).toBe('::1');
    expect(fmt('fe80:0000:0000:0000:0000:0000:0000:0000')).toBe('fe80::');
    expect(fmt('2001:0db8:0000:0001:0001:0001:0001:0001')).toBe('2001:db8:0:1:1:1:1:1');
    expect(fmt('2001:0000:0000:0001:0000:0000:0000:0001')).toBe('2001:0:0:1::1');
    expect(fmt('2001:0db8:0000:0000:0001:0000:0000:0001')).toBe('2001:db8::1:0:0:1');
    expect(fmt('0000:0000:0000:0000:0000:ffff:c000:0280')).toBe('::ffff:192.0.2.128');
    expect(fmt('2001:0DB8:00aB:0c00:0000:0000:0000:0000')).toBe('2001:db8:ab:c00::');
    // The cached path gives the same text.
    const b = Uint8Array.from(Buffer.from('20010db8000000000000000000000001', 'hex'));
    expect(f.ipv6(b, 0)).toBe('2001:db8::1');
    expect(f.ipv6(b, 0)).toBe('2001:db8::1');
  });
});

describe('Decoder: link types', () => {
  const ip4 = ipv4({ proto: 17, payload: udp(53, 5353) });
  const ip6 = ipv6({ next: 17, payload: udp(53, 5353) });
  const cases: [string, number, Uint8Array, number][] = [
    ['Linux SLL', 113, concat([0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00], ip4), 4],
    ['Linux SLL2', 276, concat([0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0], ip6), 6],
    ['raw 101 v4', 101, ip4, 4],
    ['raw 101 v6', 101, ip6, 6],
    ['raw 12', 12, ip4, 4],
    ['raw 14', 14, ip6, 6],
    ['IPv4 228', 228, ip4, 4],
    ['IPv6 229', 229, ip6, 6],
    ['NULL little-endian AF_INET', 0, concat([2, 0, 0, 0], ip4), 4],
    ['NULL big-endian AF_INET', 0, concat([0, 0, 0, 2], ip4), 4],
    ['NULL AF_INET6 (BSD 30)', 0, concat([30, 0, 0, 0], ip6), 6],
    ['LOOP AF_INET6 (24)', 108, concat([0, 0, 0, 24], ip6), 6],
    ['PPP', 9, concat([0xff, 0x03, 0x00, 0x21], ip4), 4],
    ['PPPoE session', 1, ethernet(0x8864, concat([0x11, 0, 0, 1, 0, 0], [0x00, 0x57], ip6)), 6],
    ['MPLS two labels', 1, ethernet(0x8847, concat([0, 1, 0, 64, 0, 2, 1, 64], ip4)), 4],
    ['NFLOG', 239, concat([2, 0, 0, 0], [8, 0, 1, 0, 0, 0, 0, 0], [ip4.length + 4, 0, 9, 0], ip4), 4],
  ];
  for (const [name, lt, pkt, v] of cases) {
    it(`decodes ${name}`, () => {
      const { out, ok, d } = decodeOne(lt, pkt);
      expect(ok).toBe(true);
      expect(out).toMatchObject({ ipVersion: v, protocol: 17, srcPort: 53, dstPort: 5353 });
      invariant(d);
    });
  }
});

describe('Decoder: skip reasons', () => {
  const eth4 = (p: Uint8Array): Uint8Array => ethernet(0x0800, p);
  const ok4 = ipv4({ proto: 6, payload: tcpSyn });
  it.each([
    ['truncated-ethernet', 1, new Uint8Array(10)],
    ['truncated-ipv4', 1, eth4(ok4.subarray(0, 12))],
    ['bad-ipv4-header-length', 1, eth4(Uint8Array.from([0x44, ...ok4.subarray(1)]))],
    ['bad-ipv4-total-length', 1, eth4(ipv4({ proto: 6, payload: tcpSyn, totalLength: 10 }))],
    ['bad-ip-version', 101, Uint8Array.from([0x55, ...ok4.subarray(1)])],
    ['truncated-tcp', 1, eth4(ok4.subarray(0, 30))],
    ['bad-tcp-header-length', 1, eth4(ipv4({ proto: 6, payload: tcp({ sport: 1, dport: 2, flags: 2, dataOffsetWords: 4 }) }))],
    ['truncated-udp', 1, eth4(ipv4({ proto: 17, payload: udp(1, 2) }).subarray(0, 24))],
    ['bad-udp-length', 1, eth4(ipv4({ proto: 17, payload: udp(1, 2), totalLength: 24 }))],
    ['truncated-icmp', 1, eth4(ipv4({ proto: 1, payload: icmp(8, 0) }).subarray(0, 21))],
    ['truncated-ipv6', 1, ethernet(0x86dd, ipv6({ next: 6, payload: tcpSyn }).subarray(0, 30))],
    ['truncated-ipv6-ext-header', 1, ethernet(0x86dd, ipv6({ next: 0, payload: new Uint8Array(0) }))],
    ['bad-ipv6-ext-header-length', 1, ethernet(0x86dd, ipv6({ next: 0, payload: ext6(6, tcpSyn), payloadLength: 4 }))],
    ['ipv6-ext-header-loop', 1, ethernet(0x86dd, ipv6({ next: 0, payload: Array.from({ length: 17 }).reduce<Uint8Array>((acc) => ext6(0, acc), new Uint8Array(8)) }))],
    ['vlan-tag-loop', 1, ethernet(0x0800, ok4, Array.from({ length: 9 }, () => ({ tpid: 0x8100, id: 1 })))],
    ['truncated-vlan', 1, ethernet(0x8100, new Uint8Array(2))],
    ['unsupported-linktype', 127, new Uint8Array(64)],
    ['truncated-sll', 113, new Uint8Array(10)],
    ['truncated-sll2', 276, new Uint8Array(10)],
    ['truncated-loopback', 0, new Uint8Array(2)],
    ['truncated-ip', 101, new Uint8Array(0)],
    ['mpls-label-loop', 1, ethernet(0x8847, new Uint8Array(80))],
    ['truncated-pppoe', 1, ethernet(0x8864, new Uint8Array(4))],
    ['bad-nflog-tlv', 239, concat([2, 0, 0, 0], [2, 0, 1, 0])],
  ] as [string, number, Uint8Array][])('counts %s', (reason, lt, pkt) => skippedAs(lt, pkt, reason));

  it('never throws on a capture length beyond the buffer', () => {
    const d = new Decoder();
    const out = new DecodedPacket();
    const pkt = ethernet(0x0800, ok4);
    expect(d.decode(1, pkt, 0, 5000, 5000, 0, out)).toBe(true);
    expect(d.decode(1, pkt, 60, 5000, 5000, 0, out)).toBe(false);
    invariant(d);
  });
});

describe('Decoder on recorded captures', () => {
  const expected = JSON.parse(readFileSync(path.join(fixtures, 'expected.json'), 'utf8')) as Record<
    string,
    { ts: string; v: number; src: string; dst: string; proto: number; sport: number; dport: number; flags: number; win: number; ipLen: number; fragment: boolean; anyFragment: boolean }[]
  >;
  for (const [file, want] of Object.entries(expected)) {
    it(`agrees with tshark on every packet of ${file}`, async () => {
      const d = new Decoder();
      const out = new DecodedPacket();
      const got: unknown[] = [];
      await readPcapFile(path.join(fixtures, file), (lt, buf, off, cap, wire, ts) => {
        const ok = d.decode(lt, buf, off, cap, wire, ts, out);
        got.push({
          ts: Math.round(ts * 1e6),
          v: ok ? out.ipVersion : 0,
          src: out.src,
          dst: out.dst,
          proto: out.protocol,
          sport: out.srcPort,
          dport: out.dstPort,
          flags: out.tcpFlags,
          win: out.tcpWindow,
          ipLen: out.ipLen,
          fragment: out.fragment,
        });
      });
      const w = want.map((p) => ({ ts: Math.round(Number(p.ts) * 1e6), v: p.v, src: p.src, dst: p.dst, proto: p.proto, sport: p.sport, dport: p.dport, flags: p.flags, win: p.win, ipLen: p.ipLen, fragment: p.fragment }));
      expect(got).toEqual(w);
      expect(d.fragments).toBe(want.filter((p) => p.anyFragment).length);
      invariant(d);
    });
  }

  it('sees the handshake flags of the recorded HTTP exchanges', async () => {
    const d = new Decoder();
    const out = new DecodedPacket();
    let syn = 0;
    let synAck = 0;
    let v6 = 0;
    await readPcapFile(path.join(fixtures, 'http.pcap'), (lt, buf, off, cap, wire, ts) => {
      if (!d.decode(lt, buf, off, cap, wire, ts, out)) return;
      if (out.tcpFlags === TCP_SYN) syn++;
      if (out.tcpFlags === (TCP_SYN | TCP_ACK)) synAck++;
      if (out.ipVersion === 6) v6++;
    });
    expect(syn).toBe(3);
    expect(synAck).toBe(3);
    expect(v6).toBeGreaterThan(5);
  });
});
