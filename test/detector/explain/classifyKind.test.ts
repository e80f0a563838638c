import { describe, expect, it } from 'vitest';
import { classifyKind } from '../../../detector/explain/classifyKind.js';
import { PROTO_ARP } from '../../../sensor/decode/DecodedPacket.js';
import { makeFlow } from '../flowRecordFactory.js';

describe('classifyKind', () => {
  it('calls a fast unanswered SYN stream at one port a SynFlood', () => {
    const f = makeFlow({}, { is_tcp: 1, syn_count: 1, src_pkt_rate_1s: 3000, src_syn_unanswered_10s: 0.98, pair_dst_ports_10s: 1 });
    expect(classifyKind(f)).toBe('SynFlood');
  });
  it('calls a spoofed flood (fast into one destination, unanswered) a SynFlood', () => {
    const f = makeFlow({}, { is_tcp: 1, syn_count: 1, dst_in_pkt_rate_1s: 5000, dst_in_syn_unanswered_10s: 0.9 });
    expect(classifyKind(f)).toBe('SynFlood');
  });
  it('calls many ports on one host a PortScan, even when fast', () => {
    const f = makeFlow({}, { is_tcp: 1, syn_count: 1, src_pkt_rate_1s: 3000, src_syn_unanswered_10s: 0.9, pair_dst_ports_10s: 900, src_dst_ports_10s: 900 });
    expect(classifyKind(f)).toBe('PortScan');
  });
  it('calls a flood a SynFlood even right after a scan of the same host, while the scan\'s ports linger in the ~10 s count', () => {
    // nmap scanned 2000 ports, then hping3 floods port 80 at ~30 k packets/s: ~15 packets per port after 1 s.
    const flood = makeFlow({}, { is_tcp: 1, syn_count: 1, src_pkt_rate_1s: 30_000, pair_pkt_rate_10s: 3000, pair_dst_ports_10s: 2000, src_dst_ports_10s: 2000 });
    expect(classifyKind(flood)).toBe('SynFlood');
    // The scan itself: one or two packets per port.
    const scan = makeFlow({}, { is_tcp: 1, syn_count: 1, src_pkt_rate_1s: 3000, pair_pkt_rate_10s: 300, pair_dst_ports_10s: 2000, src_dst_ports_10s: 2000 });
    expect(classifyKind(scan)).toBe('PortScan');
  });
  it('calls many hosts a HostSweep', () => {
    expect(classifyKind(makeFlow({ protocol: 1 }, { is_icmp: 1, src_dst_hosts_10s: 40, pair_dst_ports_10s: 1 }))).toBe('HostSweep');
  });
  it('calls ARP requests to many hosts a HostSweep, whatever ports the source touched before, and other ARP Unknown', () => {
    const arp = { protocol: PROTO_ARP, srcPort: 0, dstPort: 0 };
    // Right after a port scan the source's ~10 s port count is still high.
    expect(classifyKind(makeFlow(arp, { fwd_packets: 1, src_dst_hosts_10s: 40, src_dst_ports_10s: 900 }))).toBe('HostSweep');
    expect(classifyKind(makeFlow(arp, { fwd_packets: 1, src_dst_hosts_10s: 3, src_dst_hosts_100s: 30 }))).toBe('HostSweep');
    expect(classifyKind(makeFlow(arp, { fwd_packets: 1, bwd_packets: 1, src_dst_hosts_10s: 2, src_dst_ports_10s: 900 }))).toBe('Unknown');
  });
  it('calls a fast UDP stream a UdpFlood', () => {
    expect(classifyKind(makeFlow({ protocol: 17 }, { is_udp: 1, pair_pkt_rate_1s: 2000 }))).toBe('UdpFlood');
  });
  it('calls a one-sided multi-megabyte upload an Exfiltration', () => {
    expect(classifyKind(makeFlow({ dstPort: 4444 }, { is_tcp: 1, handshake_complete: 1, fwd_bytes: 80e6, bwd_bytes: 1e5 }))).toBe('Exfiltration');
    // A download of the same size is not.
    expect(classifyKind(makeFlow({}, { is_tcp: 1, handshake_complete: 1, fwd_bytes: 1e5, bwd_bytes: 80e6 }))).toBe('Unknown');
  });
  it('calls long DNS queries a DnsTunnel', () => {
    expect(classifyKind(makeFlow({ protocol: 17, dstPort: 53 }, { is_udp: 1, fwd_len_mean: 140 }))).toBe('DnsTunnel');
    expect(classifyKind(makeFlow({ protocol: 17, dstPort: 53 }, { is_udp: 1, fwd_len_mean: 60 }))).toBe('Unknown');
  });
  it('calls repeated logins to ssh a BruteForce', () => {
    expect(classifyKind(makeFlow({ dstPort: 22 }, { is_tcp: 1, handshake_complete: 1, pair_pkt_rate_100s: 4 }))).toBe('BruteForce');
    expect(classifyKind(makeFlow({ dstPort: 22 }, { is_tcp: 1, handshake_complete: 1, pair_pkt_rate_100s: 0.2 }))).toBe('Unknown');
  });
});
