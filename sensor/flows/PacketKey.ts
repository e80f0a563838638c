import { ARP_SENDER_IP, ARP_TARGET_IP, DecodedPacket, PROTO_ARP, PROTO_ICMP, PROTO_ICMPV6 } from '../decode/DecodedPacket.js';
import { hashAddress, mix32 } from './hashWords.js';
import { parseIpWords } from './parseIpWords.js';

/** Words per flow key: source address (4), destination address (4), ports (1), protocol word (1). */
export const KEY_WORDS = 10;

/**
 * The flow key of one packet, built without allocating: addresses as four big-endian words each
 * (IPv4 as ::ffff:a.b.c.d) read straight from the header bytes, ports packed in one word, and a
 * protocol word (protocol | IP version << 16 | ICMP class << 24). The hash is symmetric, so both
 * directions of a flow land in the same bucket. The ICMP class takes seven bits, so the word
 * stays below 2^31: a small integer to the JIT, never a heap number.
 *
 * ICMP: echo / timestamp / information / address-mask requests and their replies (ICMPv6 echo
 * too) share one flow per (hosts, request type, identifier): both ports hold the identifier.
 * Any other ICMP message (errors, redirects, router discovery…) is keyed by its type and code.
 */
export class PacketKey {
  /** Source address words [0, 4), destination [4, 8). */
  readonly addr = new Uint32Array(8);
  /** Key ports (TCP/UDP ports; ICMP as above). */
  srcPort = 0;
  dstPort = 0;
  protoWord = 0;
  hash = 0;

  /** Fills the key from `pkt`; false when its addresses cannot be read (not an IP packet). */
  load(pkt: DecodedPacket): boolean {
    const a = this.addr;
    const buf = pkt.buf;
    const o = pkt.l3Offset;
    const v = pkt.ipVersion;
    if (v === 4 && o >= 0 && o + 20 <= buf.length && buf[o] >> 4 === 4) {
      ipv4Words(a, buf, o + 12, o + 16);
    } else if (pkt.protocol === PROTO_ARP && o >= 0 && o + ARP_TARGET_IP + 4 <= buf.length) {
      ipv4Words(a, buf, o + ARP_SENDER_IP, o + ARP_TARGET_IP);
    } else if (v === 6 && o >= 0 && o + 40 <= buf.length && buf[o] >> 4 === 6) {
      for (let i = 0; i < 8; i++) {
        const p = o + 8 + 4 * i;
        a[i] = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
      }
    } else if (v === 0 || !parseIpWords(pkt.src, a, 0) || !parseIpWords(pkt.dst, a, 4)) {
      return false;
    }
    const proto = pkt.protocol;
    let sp = pkt.srcPort;
    let dp = pkt.dstPort;
    let cls = 0;
    if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
      cls = icmpRequestType(proto, sp);
      if (cls !== 0) {
        const l4 = pkt.l4Offset;
        const id = l4 >= 0 && l4 + 6 <= buf.length ? (buf[l4 + 4] << 8) | buf[l4 + 5] : 0;
        sp = id;
        dp = id;
      } else {
        cls = ICMP_OTHER;
      }
    }
    this.srcPort = sp;
    this.dstPort = dp;
    this.protoWord = (proto | (v << 16) | (cls << 24)) >>> 0;
    const hs = mix32(hashAddress(a, 0) ^ Math.imul(sp + 1, 0x27d4eb2f));
    const hd = mix32(hashAddress(a, 4) ^ Math.imul(dp + 1, 0x27d4eb2f));
    this.hash = mix32(((hs + hd) | 0) ^ Math.imul(this.protoWord, 0x165667b1));
    return true;
  }
}

/** Both addresses as ::ffff:a.b.c.d words, from the IPv4 addresses at byte offsets `src` and `dst`. */
function ipv4Words(a: Uint32Array, buf: Uint8Array, src: number, dst: number): void {
  a[0] = 0;
  a[1] = 0;
  a[2] = 0xffff;
  a[3] = ((buf[src] << 24) | (buf[src + 1] << 16) | (buf[src + 2] << 8) | buf[src + 3]) >>> 0;
  a[4] = 0;
  a[5] = 0;
  a[6] = 0xffff;
  a[7] = ((buf[dst] << 24) | (buf[dst + 1] << 16) | (buf[dst + 2] << 8) | buf[dst + 3]) >>> 0;
}

/** Flow class of an ICMP message that is none of the queries below. */
const ICMP_OTHER = 0x7f;
/** Flow class of ICMPv6 echo requests and replies (the ICMPv4 queries' classes are their request types). */
const ICMPV6_ECHO = 0x7e;

/** For an ICMP query or its reply, its flow class (below 0x80); 0 for any other message. */
function icmpRequestType(proto: number, type: number): number {
  if (proto === PROTO_ICMP) {
    switch (type) {
      case 8:
      case 0:
        return 8;
      case 13:
      case 14:
        return 13;
      case 15:
      case 16:
        return 15;
      case 17:
      case 18:
        return 17;
      default:
        return 0;
    }
  }
  return type === 128 || type === 129 ? ICMPV6_ECHO : 0;
}
