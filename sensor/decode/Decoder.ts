import { ARP_TARGET_IP, PROTO_ARP, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, type DecodedPacket } from './DecodedPacket.js';

/** pcap LINKTYPE_* values the decoder reads. */
export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
export const LINKTYPE_RAW_DLT12 = 12;
export const LINKTYPE_RAW_DLT14 = 14;
export const LINKTYPE_PPP_HDLC = 50;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_LINUX_SLL2 = 276;

const ETH_IPV4 = 0x0800;
const ETH_IPV6 = 0x86dd;
const ETH_ARP = 0x0806;
const ETH_RARP = 0x8035;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
const ETH_QINQ_OLD = 0x9100;
const ETH_QINQ_OLD2 = 0x9200;
const ETH_PPPOE_DISC = 0x8863;
const ETH_PPPOE_SESS = 0x8864;
const ETH_MPLS = 0x8847;
const ETH_MPLS_MC = 0x8848;
const ETH_LLDP = 0x88cc;
const ETH_EAPOL = 0x888e;

const MAX_VLAN_TAGS = 8;
const MAX_MPLS_LABELS = 16;
const MAX_IPV6_EXT_HEADERS = 16;
const MAX_NFLOG_TLVS = 64;

/**
 * Decodes link, network and transport headers of one captured packet into a reused
 * {@link DecodedPacket}: zero-copy (byte reads at offsets into the capture buffer), no allocation
 * per packet (address text is formatted only when `src` / `dst` are read).
 *
 * Link types: Ethernet (802.1Q / 802.1ad / 0x9100 VLAN stacks, PPPoE session, MPLS), Linux cooked
 * SLL and SLL2, raw IP (101, 12, 14), IPv4 (228), IPv6 (229), BSD NULL (0) and OpenBSD LOOP (108),
 * PPP (9, 50) and NFLOG (239); anything else is skipped as 'unsupported-linktype'.
 *
 * Choices the flow table relies on:
 * - A first IPv4/IPv6 fragment decodes its transport header. A non-first fragment returns true
 *   with `fragment` set, `protocol` from the IP header, ports 0 and `l4Offset` -1. Both count in
 *   `fragments`.
 * - Tunnels (GRE, IP-in-IP, 6in4, VXLAN, Teredo, ESP, AH) are decoded as their outer packet: the
 *   protocol (or UDP ports) of the tunnel, with the tunnel's payload as `payloadLen`.
 * - Lengths come from IP headers (so they are right for snapped captures); an IPv4 total length
 *   or IPv6 payload length of 0 (segmentation offload on the capturing host, or a jumbogram)
 *   falls back to the length on the wire.
 * - ICMP and ICMPv6: `srcPort` is the type, `dstPort` the code, `payloadLen` what follows the
 *   8-byte header.
 *
 * - ARP (Ethernet/IPv4 requests and replies): returns true with `protocol` PROTO_ARP (see
 *   DecodedPacket), counted as non-IP.
 *
 * Counters: every packet counts once in `packets` and in exactly one of `ip`, `nonIp` or one
 * reason of `skipped`.
 */
export class Decoder {
  /** Packets not decoded, by reason. */
  readonly skipped: Record<string, number> = {};
  /** Non-IP packets by kind: 'arp', 'rarp', 'lldp', 'eapol', 'llc', 'pppoe-discovery', 'ppp-control', 'mpls-non-ip', 'other'. */
  readonly nonIpByKind: Record<string, number> = {};
  /** Packets seen. */
  packets = 0;
  /** Packets returned as IP (true from decode). */
  ip = 0;
  /** Packets decoded fine but not IP. */
  nonIp = 0;
  /** IPv4 and IPv6 fragments (first and later ones). */
  fragments = 0;

  /** Buffer position one past the packet as it was on the wire (for offload-zeroed lengths). */
  private wireEnd = 0;

  /** Decode one packet into `out`; true when out holds a packet for the flow table (IP, or ARP), false otherwise (other non-IP, or skipped; counters say which). Never throws. */
  decode(
    linkType: number,
    buf: Uint8Array,
    offset: number,
    capLen: number,
    wireLen: number,
    ts: number,
    out: DecodedPacket,
  ): boolean {
    this.packets++;
    out.ts = ts;
    out.capLen = capLen;
    out.wireLen = wireLen;
    out.buf = buf;
    out.ipVersion = 0;
    out.clearAddressText();
    out.protocol = 0;
    out.srcPort = 0;
    out.dstPort = 0;
    out.tcpFlags = 0;
    out.tcpWindow = 0;
    out.payloadLen = 0;
    out.ipLen = 0;
    out.fragment = false;
    out.l3Offset = -1;
    out.l4Offset = -1;
    out.vlan = 0;
    const end = Math.min(offset + capLen, buf.length);
    this.wireEnd = offset + Math.max(wireLen, capLen);
    try {
      return this.link(linkType, buf, offset, end, out);
    } catch {
      // Every read is bounds-checked above; this only guards the "never throws" promise.
      return this.skip('internal-error');
    }
  }

  /** Sum of all skip reasons. */
  skippedTotal(): number {
    let n = 0;
    for (const k in this.skipped) n += this.skipped[k];
    return n;
  }

  private skip(reason: string): false {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    return false;
  }

  private notIp(kind: string): false {
    this.nonIp++;
    this.nonIpByKind[kind] = (this.nonIpByKind[kind] ?? 0) + 1;
    return false;
  }

  private link(linkType: number, b: Uint8Array, p: number, end: number, out: DecodedPacket): boolean {
    switch (linkType) {
      case LINKTYPE_ETHERNET: {
        if (end - p < 14) return this.skip('truncated-ethernet');
        return this.ethertype((b[p + 12] << 8) | b[p + 13], b, p + 14, end, out, true);
      }
      case LINKTYPE_LINUX_SLL: {
        if (end - p < 16) return this.skip('truncated-sll');
        const hatype = (b[p + 2] << 8) | b[p + 3];
        if (hatype === 824) return this.notIp('netlink');
        return this.ethertype((b[p + 14] << 8) | b[p + 15], b, p + 16, end, out, false);
      }
      case LINKTYPE_LINUX_SLL2: {
        if (end - p < 20) return this.skip('truncated-sll2');
        const hatype = (b[p + 8] << 8) | b[p + 9];
        if (hatype === 824) return this.notIp('netlink');
        return this.ethertype((b[p] << 8) | b[p + 1], b, p + 20, end, out, false);
      }
      case LINKTYPE_RAW:
      case LINKTYPE_RAW_DLT12:
      case LINKTYPE_RAW_DLT14:
        return this.rawIp(b, p, end, out);
      case LINKTYPE_IPV4:
        return this.ipv4(b, p, end, out);
      case LINKTYPE_IPV6:
        return this.ipv6(b, p, end, out);
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP: {
        if (end - p < 4) return this.skip('truncated-loopback');
        // NULL: the address family in the capturing host's byte order; LOOP: network order.
        const family =
          linkType === LINKTYPE_LOOP || (b[p] === 0 && b[p + 1] === 0)
            ? ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0
            : (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
        if (family === 2) return this.ipv4(b, p + 4, end, out);
        if (family === 10 || family === 24 || family === 28 || family === 30) return this.ipv6(b, p + 4, end, out);
        return this.notIp('other');
      }
      case LINKTYPE_PPP:
      case LINKTYPE_PPP_HDLC:
        return this.ppp(b, p, end, out);
      case LINKTYPE_NFLOG:
        return this.nflog(b, p, end, out);
      default:
        return this.skip('unsupported-linktype');
    }
  }

  private ethertype(type: number, b: Uint8Array, p: number, end: number, out: DecodedPacket, ethernet: boolean): boolean {
    if (type === ETH_IPV4) return this.ipv4(b, p, end, out);
    if (type === ETH_IPV6) return this.ipv6(b, p, end, out);
    let tags = 0;
    while (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD || type === ETH_QINQ_OLD2) {
      if (++tags > MAX_VLAN_TAGS) return this.skip('vlan-tag-loop');
      if (end - p < 4) return this.skip('truncated-vlan');
      if (tags === 1) out.vlan = ((b[p] << 8) | b[p + 1]) & 0xfff;
      type = (b[p + 2] << 8) | b[p + 3];
      p += 4;
    }
    switch (type) {
      case ETH_IPV4:
        return this.ipv4(b, p, end, out);
      case ETH_IPV6:
        return this.ipv6(b, p, end, out);
      case ETH_ARP:
        return this.arp(b, p, end, out);
      case ETH_RARP:
        return this.notIp('rarp');
      case ETH_LLDP:
        return this.notIp('lldp');
      case ETH_EAPOL:
        return this.notIp('eapol');
      case ETH_PPPOE_DISC:
        return this.notIp('pppoe-discovery');
      case ETH_PPPOE_SESS:
        if (end - p < 8) return this.skip('truncated-pppoe');
        return this.ppp(b, p + 6, end, out);
      case ETH_MPLS:
      case ETH_MPLS_MC: {
        for (let n = 0; ; n++) {
          if (n >= MAX_MPLS_LABELS) return this.skip('mpls-label-loop');
          if (end - p < 4) return this.skip('truncated-mpls');
          const bottom = b[p + 2] & 1;
          p += 4;
          if (bottom) break;
        }
        if (end - p < 1) return this.skip('truncated-mpls');
        const v = b[p] >> 4;
        if (v === 4) return this.ipv4(b, p, end, out);
        if (v === 6) return this.ipv6(b, p, end, out);
        return this.notIp('mpls-non-ip');
      }
      default:
        // Below 0x0600 an Ethernet "type" is an 802.3 length (LLC follows); in SLL it is a
        // pseudo-protocol (802.2, 802.3, CAN, ...).
        if (type < 0x0600) return this.notIp(ethernet ? 'llc' : 'other');
        return this.notIp('other');
    }
  }

  /**
   * An Ethernet/IPv4 ARP request or reply becomes a packet of protocol PROTO_ARP from the sender's
   * to the target's address (counted as non-IP 'arp' all the same): a request and its reply make
   * one flow, and a sweep of a local network shows as one host asking for many. Other ARP
   * (another hardware or protocol type, RARP operations) is only counted.
   */
  private arp(b: Uint8Array, p: number, end: number, out: DecodedPacket): boolean {
    this.notIp('arp');
    if (end - p < ARP_TARGET_IP + 4) return false;
    const op = (b[p + 6] << 8) | b[p + 7];
    if (b[p] !== 0 || b[p + 1] !== 1 || b[p + 2] !== 0x08 || b[p + 3] !== 0 || b[p + 4] !== 6 || b[p + 5] !== 4 || (op !== 1 && op !== 2)) return false;
    out.ipVersion = 4;
    out.protocol = PROTO_ARP;
    out.l3Offset = p;
    out.ipLen = ARP_TARGET_IP + 4;
    return true;
  }

  private rawIp(b: Uint8Array, p: number, end: number, out: DecodedPacket): boolean {
    if (end - p < 1) return this.skip('truncated-ip');
    const v = b[p] >> 4;
    if (v === 4) return this.ipv4(b, p, end, out);
    if (v === 6) return this.ipv6(b, p, end, out);
    return this.skip('bad-ip-version');
  }

  private ppp(b: Uint8Array, p: number, end: number, out: DecodedPacket): boolean {
    if (end - p >= 2 && b[p] === 0xff && b[p + 1] === 0x03) p += 2;
    if (end - p < 1) return this.skip('truncated-ppp');
    let proto: number;
    if (b[p] & 1) {
      proto = b[p]; // protocol-field compression: one byte
      p += 1;
    } else {
      if (end - p < 2) return this.skip('truncated-ppp');
      proto = (b[p] << 8) | b[p + 1];
      p += 2;
    }
    if (proto === 0x21) return this.ipv4(b, p, end, out);
    if (proto === 0x57) return this.ipv6(b, p, end, out);
    return this.notIp('ppp-control');
  }

  private nflog(b: Uint8Array, p: number, end: number, out: DecodedPacket): boolean {
    if (end - p < 4) return this.skip('truncated-nflog');
    const family = b[p];
    let q = p + 4;
    for (let n = 0; n < MAX_NFLOG_TLVS; n++) {
      if (end - q < 4) return this.skip('truncated-nflog');
      // TLV lengths and types are in the capturing host's byte order: little-endian in practice.
      const len = b[q] | (b[q + 1] << 8);
      const type = (b[q + 2] | (b[q + 3] << 8)) & 0x7fff;
      if (len < 4) return this.skip('bad-nflog-tlv');
      if (type === 9) {
        const pEnd = Math.min(end, q + len);
        this.wireEnd = q + len;
        if (family === 2) return this.ipv4(b, q + 4, pEnd, out);
        if (family === 10) return this.ipv6(b, q + 4, pEnd, out);
        return this.rawIp(b, q + 4, pEnd, out);
      }
      q += (len + 3) & ~3;
    }
    return this.skip('bad-nflog-tlv');
  }

  private ipv4(b: Uint8Array, p: number, end: number, out: DecodedPacket): boolean {
    if (end - p < 20) return this.skip('truncated-ipv4');
    const vhl = b[p];
    if (vhl >> 4 !== 4) return this.skip('bad-ip-version');
    const ihl = (vhl & 15) << 2;
    if (ihl < 20) return this.skip('bad-ipv4-header-length');
    if (ihl > end - p) return this.skip('truncated-ipv4');
    let total = (b[p + 2] << 8) | b[p + 3];
    if (total === 0) total = Math.max(0, this.wireEnd - p);
    if (total < ihl) return this.skip('bad-ipv4-total-length');
    const proto = b[p + 9];
    out.ipVersion = 4;
    out.l3Offset = p;
    out.ipLen = total;
    out.protocol = proto;
    const frag = (b[p + 6] << 8) | b[p + 7];
    if (frag & 0x3fff) {
      this.fragments++;
      if (frag & 0x1fff) {
        out.fragment = true;
        out.payloadLen = total - ihl;
        this.ip++;
        return true;
      }
    }
    return this.transport(proto, b, p + ihl, end, total - ihl, out);
  }

  private ipv6(b: Uint8Array, p: number, end: number, out: DecodedPacket): boolean {
    if (end - p < 40) return this.skip('truncated-ipv6');
    if (b[p] >> 4 !== 6) return this.skip('bad-ip-version');
    let plen = (b[p + 4] << 8) | b[p + 5];
    if (plen === 0) plen = Math.max(0, this.wireEnd - p - 40);
    let next = b[p + 6];
    out.ipVersion = 6;
    out.l3Offset = p;
    out.ipLen = plen + 40;
    let q = p + 40;
    let remaining = plen;
    for (let n = 0; ; n++) {
      switch (next) {
        case 0: // hop-by-hop
        case 43: // routing
        case 60: // destination options
        case 135: // mobility
        case 139: // HIP
        case 140: // shim6
        case 51: {
          // AH
          if (n >= MAX_IPV6_EXT_HEADERS) return this.skip('ipv6-ext-header-loop');
          if (end - q < 2) return this.skip('truncated-ipv6-ext-header');
          const hlen = next === 51 ? (b[q + 1] + 2) << 2 : (b[q + 1] + 1) << 3;
          next = b[q];
          q += hlen;
          remaining -= hlen;
          if (remaining < 0) return this.skip('bad-ipv6-ext-header-length');
          continue;
        }
        case 44: {
          // fragment
          if (n >= MAX_IPV6_EXT_HEADERS) return this.skip('ipv6-ext-header-loop');
          if (end - q < 8) return this.skip('truncated-ipv6-ext-header');
          this.fragments++;
          const fragOffset = ((b[q + 2] << 8) | b[q + 3]) & 0xfff8;
          next = b[q];
          q += 8;
          remaining -= 8;
          if (remaining < 0) return this.skip('bad-ipv6-ext-header-length');
          if (fragOffset !== 0) {
            out.protocol = next;
            out.fragment = true;
            out.payloadLen = remaining;
            this.ip++;
            return true;
          }
          continue;
        }
        default:
          out.protocol = next;
          return this.transport(next, b, q, end, remaining, out);
      }
    }
  }

  /** Transport header at `q`; `len` is its length with payload according to the IP header. */
  private transport(proto: number, b: Uint8Array, q: number, end: number, len: number, out: DecodedPacket): boolean {
    switch (proto) {
      case PROTO_TCP: {
        if (end - q < 20) return this.skip('truncated-tcp');
        const doff = (b[q + 12] >> 4) << 2;
        if (doff < 20 || doff > len) return this.skip('bad-tcp-header-length');
        out.srcPort = (b[q] << 8) | b[q + 1];
        out.dstPort = (b[q + 2] << 8) | b[q + 3];
        out.tcpFlags = b[q + 13];
        out.tcpWindow = (b[q + 14] << 8) | b[q + 15];
        out.payloadLen = len - doff;
        break;
      }
      case PROTO_UDP:
      case 136: {
        // UDP, UDP-Lite
        if (end - q < 8) return this.skip('truncated-udp');
        if (len < 8) return this.skip('bad-udp-length');
        out.srcPort = (b[q] << 8) | b[q + 1];
        out.dstPort = (b[q + 2] << 8) | b[q + 3];
        out.payloadLen = len - 8;
        break;
      }
      case PROTO_ICMP:
      case PROTO_ICMPV6: {
        if (end - q < 2) return this.skip('truncated-icmp');
        out.srcPort = b[q];
        out.dstPort = b[q + 1];
        out.payloadLen = len > 8 ? len - 8 : 0;
        break;
      }
      case 132: // SCTP
      case 33: {
        // DCCP
        if (end - q < 4) return this.skip('truncated-transport');
        out.srcPort = (b[q] << 8) | b[q + 1];
        out.dstPort = (b[q + 2] << 8) | b[q + 3];
        out.payloadLen = proto === 132 ? Math.max(0, len - 12) : len;
        break;
      }
      default:
        out.payloadLen = len;
        break;
    }
    out.protocol = proto;
    out.l4Offset = q;
    this.ip++;
    return true;
  }
}
