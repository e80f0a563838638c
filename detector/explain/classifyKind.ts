import type { AnomalyKind } from '../../lib/anomaly.js';
import { featureIndex } from '../../sensor/features/schema.js';
import { PROTO_ARP } from '../../sensor/decode/DecodedPacket.js';
import type { FlowRecord } from '../../sensor/flows/FlowRecord.js';

const F = {
  isTcp: featureIndex('is_tcp'),
  isUdp: featureIndex('is_udp'),
  isIcmp: featureIndex('is_icmp'),
  fwdBytes: featureIndex('fwd_bytes'),
  bwdBytes: featureIndex('bwd_bytes'),
  fwdPackets: featureIndex('fwd_packets'),
  bwdPackets: featureIndex('bwd_packets'),
  fwdLenMean: featureIndex('fwd_len_mean'),
  handshake: featureIndex('handshake_complete'),
  syn: featureIndex('syn_count'),
  srcPorts10: featureIndex('src_dst_ports_10s'),
  pairPorts10: featureIndex('pair_dst_ports_10s'),
  srcHosts1: featureIndex('src_dst_hosts_1s'),
  srcHosts10: featureIndex('src_dst_hosts_10s'),
  srcHosts100: featureIndex('src_dst_hosts_100s'),
  srcPktRate1: featureIndex('src_pkt_rate_1s'),
  pairPktRate1: featureIndex('pair_pkt_rate_1s'),
  pairPktRate10: featureIndex('pair_pkt_rate_10s'),
  srcPktRate10: featureIndex('src_pkt_rate_10s'),
  dstInPktRate10: featureIndex('dst_in_pkt_rate_10s'),
  dstInPktRate1: featureIndex('dst_in_pkt_rate_1s'),
  srcSynUnanswered10: featureIndex('src_syn_unanswered_10s'),
  dstInSynUnanswered10: featureIndex('dst_in_syn_unanswered_10s'),
  pairPktRate100: featureIndex('pair_pkt_rate_100s'),
  srcPorts100: featureIndex('src_dst_ports_100s'),
};

/** Ports of services that take passwords (ssh, telnet, ftp, smtp submission, pop3, imap, rdp, vnc, mysql, postgres). */
export const AUTH_PORTS: ReadonlySet<number> = new Set([21, 22, 23, 110, 143, 587, 993, 995, 3306, 3389, 5432, 5900]);

/** Packets per distinct port (~10 s) from a source to a destination above which it floods rather than scans. */
const FLOOD_PACKETS_PER_PORT = 10;

/** Thresholds of the kind rules; documented defaults, overridable. */
export interface KindRules {
  /** Packets per second that make a flood (SYN or UDP) from one source or into one destination. */
  floodPacketsPerSecond: number;
  /** Distinct ports on one destination (~10 s) that make a port scan. */
  scanPorts: number;
  /** Distinct hosts (~10 s or ~100 s) that make a host sweep. */
  sweepHosts: number;
  /** Bytes sent by the initiator in one flow that make an exfiltration. */
  exfilBytes: number;
  /** Mean DNS query size (bytes) that suggests data encoded in names. */
  dnsTunnelQueryBytes: number;
}

export const DEFAULT_KIND_RULES: KindRules = {
  floodPacketsPerSecond: 200,
  scanPorts: 15,
  sweepHosts: 8,
  exfilBytes: 5_000_000,
  dnsTunnelQueryBytes: 90,
};

/**
 * The kind of an anomalous flow, from simple rules over its features, in this order (first match).
 * Flow-shape rules come before context rules, because a source's context (how many hosts it
 * touched in the last ~100 s) outlives the attack that raised it.
 *
 * Rates are the larger of the ~1 s rate and twice the ~10 s rate: a flow is scored when it ends,
 * seconds after its last packet for unanswered ones, when the ~1 s rate has already decayed.
 *
 * 1. SynFlood — a TCP flow without a completed handshake while its source (or its destination,
 *    for spoofed floods) moves ≥ floodPacketsPerSecond and most SYNs go unanswered
 *    (~10 s share ≥ 0.5), or the rate alone is 4× the bar; and it hammers few ports on few hosts
 *    (else it is a scan or a sweep). "Few ports" also holds when the pair sent ≥ 10 packets per
 *    port it touched (~10 s): a scan sends one or two per port, so a flood that follows a scan of
 *    the same host is still a flood while the scan's ports linger in the ~10 s count.
 * 2. UdpFlood — an unanswered UDP flow whose source→destination rate is ≥ floodPacketsPerSecond.
 * 3. Exfiltration — the initiator sent ≥ exfilBytes in the flow and at least 10× what it got back.
 * 4. DnsTunnel — UDP to port 53 with mean query size ≥ dnsTunnelQueryBytes, or a source querying
 *    that server at ≥ 20 packets/s over ~100 s (not what a resolver does).
 * 5. PortScan — the source touched ≥ scanPorts distinct ports on this destination (~10 s), or
 *    ≥ 2×scanPorts ports overall.
 * 6. HostSweep — the source touched ≥ sweepHosts distinct hosts (~10 s).
 * 7. BruteForce — TCP to a password service (AUTH_PORTS) with a completed handshake from a source
 *    that keeps connecting to it (≥ 1 packet/s over ~100 s to the pair) on few ports.
 * 8. HostSweep (slow) — a probe-sized flow (≤ 3 packets from the initiator) from a source that
 *    touched ≥ 3×sweepHosts hosts over ~100 s.
 * 9. Unknown — anything else the models flagged.
 *
 * ARP flows (protocol 0x0806) have no ports and carry no payload: they are a HostSweep by
 * rules 6 and 8, else Unknown; the port and flood rules do not apply (a sweep right after a
 * port scan would otherwise be named a PortScan of each host, the scan's ports lingering in
 * the source's ~10 s count).
 */
export function classifyKind(record: FlowRecord, rules: KindRules = DEFAULT_KIND_RULES): AnomalyKind {
  const f = record.features;
  if (record.protocol === PROTO_ARP) {
    return f[F.srcHosts10] >= rules.sweepHosts || f[F.srcHosts100] >= 3 * rules.sweepHosts ? 'HostSweep' : 'Unknown';
  }
  const flood = rules.floodPacketsPerSecond;
  const tcp = f[F.isTcp] === 1;
  const udp = f[F.isUdp] === 1;
  const fewPorts = f[F.pairPorts10] < rules.scanPorts;
  const hammering = f[F.pairPktRate10] * 10 >= FLOOD_PACKETS_PER_PORT * f[F.pairPorts10];
  // ~1 s: a sweep's context lingers in the ~10 s window long after it stopped.
  const fewHosts = f[F.srcHosts1] < rules.sweepHosts;
  if (tcp && f[F.handshake] === 0 && f[F.syn] > 0 && (fewPorts || hammering) && fewHosts) {
    const rate = Math.max(f[F.srcPktRate1], f[F.dstInPktRate1], 2 * f[F.srcPktRate10], 2 * f[F.dstInPktRate10]);
    const unanswered = Math.max(f[F.srcSynUnanswered10], f[F.dstInSynUnanswered10]);
    if ((rate >= flood && unanswered >= 0.5) || rate >= 4 * flood) return 'SynFlood';
  }
  if (udp && f[F.bwdPackets] === 0 && Math.max(f[F.pairPktRate1], 2 * f[F.pairPktRate10]) >= flood) return 'UdpFlood';
  if (f[F.fwdBytes] >= rules.exfilBytes && f[F.fwdBytes] >= 10 * f[F.bwdBytes]) return 'Exfiltration';
  if (udp && record.dstPort === 53 && (f[F.fwdLenMean] >= rules.dnsTunnelQueryBytes || f[F.pairPktRate100] >= 20)) return 'DnsTunnel';
  if (!fewPorts || f[F.srcPorts10] >= 2 * rules.scanPorts) return 'PortScan';
  if (f[F.srcHosts10] >= rules.sweepHosts) return 'HostSweep';
  if (tcp && AUTH_PORTS.has(record.dstPort) && f[F.handshake] === 1 && f[F.pairPktRate100] >= 1) return 'BruteForce';
  if (f[F.fwdPackets] <= 3 && f[F.srcHosts100] >= 3 * rules.sweepHosts) return 'HostSweep';
  return 'Unknown';
}
