import { DecodedPacket, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from '../../sensor/decode/DecodedPacket.js';
import { parseIpWords } from '../../sensor/flows/parseIpWords.js';

export interface CraftOptions {
  ts: number;
  src: string;
  dst: string;
  /** Default TCP. */
  protocol?: number;
  srcPort?: number;
  dstPort?: number;
  /** TCP flags byte. */
  flags?: number;
  /** Transport payload bytes (default 0). */
  payload?: number;
  /** ICMP echo identifier (written in the ICMP header bytes). */
  icmpId?: number;
  /** Leave buf empty (only the text fields), as a hand-made packet would. */
  textOnly?: boolean;
}

/**
 * A DecodedPacket as the Decoder would fill it, with a real Ethernet frame in `buf` (Ethernet,
 * IPv4/IPv6 and transport headers; the payload itself is not included) so the flow table reads
 * addresses from bytes, or text fields only with `textOnly`.
 */
export function craftPacket(o: CraftOptions): DecodedPacket {
  const p = new DecodedPacket();
  const proto = o.protocol ?? PROTO_TCP;
  const v6 = o.src.includes(':');
  const l4Len = proto === PROTO_TCP ? 20 : 8;
  const payload = o.payload ?? 0;
  const ipHdr = v6 ? 40 : 20;
  p.ts = o.ts;
  p.ipVersion = v6 ? 6 : 4;
  p.src = o.src;
  p.dst = o.dst;
  p.protocol = proto;
  p.srcPort = o.srcPort ?? 0;
  p.dstPort = o.dstPort ?? 0;
  p.tcpFlags = proto === PROTO_TCP ? (o.flags ?? 0) : 0;
  p.payloadLen = payload;
  p.ipLen = ipHdr + l4Len + payload;
  p.wireLen = 14 + p.ipLen;
  p.capLen = p.wireLen;
  if (o.textOnly) return p;
  const buf = new Uint8Array(14 + ipHdr + l4Len);
  const ip = 14;
  const w = new Uint32Array(8);
  if (!parseIpWords(o.src, w, 0) || !parseIpWords(o.dst, w, 4)) throw new Error(`bad address ${o.src} / ${o.dst}`);
  const put32 = (at: number, v: number): void => {
    buf[at] = v >>> 24;
    buf[at + 1] = (v >>> 16) & 255;
    buf[at + 2] = (v >>> 8) & 255;
    buf[at + 3] = v & 255;
  };
  buf[12] = v6 ? 0x86 : 0x08;
  buf[13] = v6 ? 0xdd : 0x00;
  if (v6) {
    buf[ip] = 0x60;
    buf[ip + 4] = (p.ipLen - 40) >> 8;
    buf[ip + 5] = (p.ipLen - 40) & 255;
    buf[ip + 6] = proto;
    buf[ip + 7] = 64;
    for (let i = 0; i < 4; i++) {
      put32(ip + 8 + 4 * i, w[i]);
      put32(ip + 24 + 4 * i, w[4 + i]);
    }
  } else {
    buf[ip] = 0x45;
    buf[ip + 2] = p.ipLen >> 8;
    buf[ip + 3] = p.ipLen & 255;
    buf[ip + 8] = 64;
    buf[ip + 9] = proto;
    put32(ip + 12, w[3]);
    put32(ip + 16, w[7]);
  }
  const l4 = ip + ipHdr;
  if (proto === PROTO_ICMP || proto === PROTO_ICMPV6) {
    buf[l4] = p.srcPort;
    buf[l4 + 1] = p.dstPort;
    buf[l4 + 4] = ((o.icmpId ?? 0) >> 8) & 255;
    buf[l4 + 5] = (o.icmpId ?? 0) & 255;
  } else if (proto === PROTO_TCP || proto === PROTO_UDP) {
    buf[l4] = p.srcPort >> 8;
    buf[l4 + 1] = p.srcPort & 255;
    buf[l4 + 2] = p.dstPort >> 8;
    buf[l4 + 3] = p.dstPort & 255;
    if (proto === PROTO_TCP) {
      buf[l4 + 12] = 5 << 4;
      buf[l4 + 13] = p.tcpFlags;
    }
  }
  p.buf = buf;
  p.l3Offset = ip;
  p.l4Offset = l4;
  return p;
}
