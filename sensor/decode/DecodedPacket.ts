import { AddressFormatter } from './AddressFormatter.js';

/** Formats the addresses of decoded packets when asked (shared: its cache serves every packet). */
const formatter = new AddressFormatter();

/**
 * One decoded packet: the contract between decode and the flow table.
 *
 * Zero-copy: `buf` is the capture buffer (reused by the reader for the next packet, so copy
 * anything kept past the sink call), and offsets point into it. One instance is reused for every
 * packet; the flow table reads the fields it needs synchronously.
 */
export class DecodedPacket {
  /** Capture timestamp, epoch seconds (fractional). */
  ts = 0;
  /** Bytes captured and bytes on the wire. */
  capLen = 0;
  wireLen = 0;
  buf: Uint8Array = new Uint8Array(0);

  /** 4 or 6 when an IP header was decoded, 4 for an ARP message about IPv4 addresses, else 0. */
  ipVersion = 0;
  /**
   * Text given to `src` / `dst` (hand-made packets); '' to format from the header bytes. The
   * decoder leaves these empty: addresses are formatted only when read, which the flow table
   * does not do per packet (it keys flows by the address words).
   */
  private srcText = '';
  private dstText = '';
  /**
   * IANA protocol number of the transport header: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, else the raw
   * next header; PROTO_ARP for an ARP request or reply (its sender and target addresses are
   * src and dst, `l3Offset` is the ARP header's).
   */
  protocol = 0;
  /** TCP/UDP ports; for ICMP/ICMPv6 srcPort = type, dstPort = code. */
  srcPort = 0;
  dstPort = 0;
  /** TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80). */
  tcpFlags = 0;
  tcpWindow = 0;
  /** Transport payload length in bytes (from IP lengths, so it is right even when the capture is snapped). */
  payloadLen = 0;
  /** IP packet length (IPv4 total length, or IPv6 payload length + 40). */
  ipLen = 0;
  /** A non-first IPv4/IPv6 fragment: no transport header. First fragments decode their transport header. */
  fragment = false;
  /** Offsets into buf: start of the network header and of the transport header (-1 when absent). */
  l3Offset = -1;
  l4Offset = -1;
  /** VLAN id of the outermost 802.1Q tag, 0 when untagged. */
  vlan = 0;

  /**
   * Source address as text: dotted quad, or RFC 5952 compressed IPv6; '' when ipVersion is 0.
   * Formatted from the header bytes when read (read it during the sink call, while `buf` holds
   * this packet), unless text was assigned.
   */
  get src(): string {
    return this.srcText !== '' ? this.srcText : this.addressAt(this.protocol === PROTO_ARP ? ARP_SENDER_IP : this.ipVersion === 4 ? 12 : 8);
  }

  set src(text: string) {
    this.srcText = text;
  }

  /** Destination address as text (as `src`). */
  get dst(): string {
    return this.dstText !== '' ? this.dstText : this.addressAt(this.protocol === PROTO_ARP ? ARP_TARGET_IP : this.ipVersion === 4 ? 16 : 24);
  }

  set dst(text: string) {
    this.dstText = text;
  }

  /** Forgets assigned address text (the decoder calls this for every packet). */
  clearAddressText(): void {
    this.srcText = '';
    this.dstText = '';
  }

  private addressAt(rel: number): string {
    const o = this.l3Offset;
    const v = this.ipVersion;
    if (o < 0 || (v !== 4 && v !== 6) || o + rel + (v === 4 ? 4 : 16) > this.buf.length) return '';
    return v === 4 ? formatter.ipv4(this.buf, o + rel) : formatter.ipv6(this.buf, o + rel);
  }
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;
/**
 * ARP's EtherType, as the protocol of ARP "flows" (a request and its reply; a host sweep on a
 * local network is ARP requests). No IP protocol number is above 255, so it cannot collide.
 */
export const PROTO_ARP = 0x0806;
/** Offsets of the sender's and the target's IPv4 address in an Ethernet/IPv4 ARP message. */
export const ARP_SENDER_IP = 14;
export const ARP_TARGET_IP = 24;

export function protocolName(protocol: number): string {
  switch (protocol) {
    case PROTO_TCP:
      return 'tcp';
    case PROTO_UDP:
      return 'udp';
    case PROTO_ICMP:
      return 'icmp';
    case PROTO_ICMPV6:
      return 'icmpv6';
    case PROTO_ARP:
      return 'arp';
    default:
      return 'other';
  }
}
