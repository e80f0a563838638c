import type { PcapWriter } from './PcapWriter.js';

export const F_FIN = 0x01;
export const F_SYN = 0x02;
export const F_RST = 0x04;
export const F_PSH = 0x08;
export const F_ACK = 0x10;

/** Endpoint address: a 32-bit IPv4 address, or 16 bytes of IPv6. */
export type Address = number | Uint8Array;

/**
 * Writes Ethernet/IPv4 or IPv6 + TCP/UDP/ICMP frames into a PcapWriter, truncated at `snapLen`
 * (the IP length fields always say the full size). IPv4 header checksums are real; transport
 * checksums are left 0.
 */
export class FrameBuilder {
  constructor(
    private readonly w: PcapWriter,
    private readonly snapLen = 128,
  ) {}

  tcp(ts: number, src: Address, dst: Address, sport: number, dport: number, flags: number, payload: number, seq = 0, ack = 0): void {
    const at = this.ip(ts, src, dst, 6, 20 + payload);
    if (at < 0) return;
    const b = this.w.buf;
    b.writeUInt16BE(sport, at);
    b.writeUInt16BE(dport, at + 2);
    b.writeUInt32BE(seq >>> 0, at + 4);
    b.writeUInt32BE(ack >>> 0, at + 8);
    b[at + 12] = 5 << 4;
    b[at + 13] = flags;
    b.writeUInt16BE(65535, at + 14);
    this.w.commit();
  }

  udp(ts: number, src: Address, dst: Address, sport: number, dport: number, payload: number): void {
    const at = this.ip(ts, src, dst, 17, 8 + payload);
    if (at < 0) return;
    const b = this.w.buf;
    b.writeUInt16BE(sport, at);
    b.writeUInt16BE(dport, at + 2);
    b.writeUInt16BE(8 + payload, at + 4);
    this.w.commit();
  }

  icmpEcho(ts: number, src: Address, dst: Address, reply: boolean, id: number, seq: number, payload: number): void {
    const v6 = typeof src !== 'number';
    const at = this.ip(ts, src, dst, v6 ? 58 : 1, 8 + payload);
    if (at < 0) return;
    const b = this.w.buf;
    b[at] = v6 ? (reply ? 129 : 128) : reply ? 0 : 8;
    b.writeUInt16BE(id, at + 4);
    b.writeUInt16BE(seq, at + 6);
    this.w.commit();
  }

  /** Writes Ethernet + IP headers; returns the transport header offset (in w.buf), the record begun. */
  private ip(ts: number, src: Address, dst: Address, proto: number, l4Len: number): number {
    const v6 = typeof src !== 'number';
    const ipHdr = v6 ? 40 : 20;
    const wire = 14 + ipHdr + l4Len;
    const cap = Math.min(wire, this.snapLen);
    const o = this.w.begin(ts, wire, cap);
    const b = this.w.buf;
    b[o + 0] = 0x02;
    b[o + 5] = 0x01;
    b[o + 6] = 0x02;
    b[o + 11] = 0x02;
    b.writeUInt16BE(v6 ? 0x86dd : 0x0800, o + 12);
    const ip = o + 14;
    if (!v6) {
      b[ip] = 0x45;
      b.writeUInt16BE(ipHdr + l4Len, ip + 2);
      b[ip + 6] = 0x40; // DF
      b[ip + 8] = 64;
      b[ip + 9] = proto;
      b.writeUInt32BE(src >>> 0, ip + 12);
      b.writeUInt32BE((dst as number) >>> 0, ip + 16);
      let sum = 0;
      for (let i = 0; i < 20; i += 2) sum += (b[ip + i] << 8) | b[ip + i + 1];
      while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
      b.writeUInt16BE(~sum & 0xffff, ip + 10);
    } else {
      b[ip] = 0x60;
      b.writeUInt16BE(l4Len, ip + 4);
      b[ip + 6] = proto;
      b[ip + 7] = 64;
      b.set(src, ip + 8);
      b.set(dst as Uint8Array, ip + 24);
    }
    return ip + ipHdr;
  }
}
