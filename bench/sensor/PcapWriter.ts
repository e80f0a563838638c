import { closeSync, openSync, writeSync } from 'node:fs';

const CHUNK = 4 << 20;

/**
 * Writes a classic pcap file (microsecond timestamps, little endian) of Ethernet frames, built in
 * place: call `begin(ts, wireLen, capLen)` to get the offset at which to write `capLen` frame
 * bytes into `buf`, then `commit()`. Packets are buffered in 4 MiB chunks.
 */
export class PcapWriter {
  readonly buf = Buffer.alloc(CHUNK);
  private readonly fd: number;
  private used = 0;
  private pendingLen = 0;
  packets = 0;

  constructor(path: string, snapLen = 65535, linkType = 1) {
    this.fd = openSync(path, 'w');
    const h = Buffer.alloc(24);
    h.writeUInt32LE(0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(snapLen, 16);
    h.writeUInt32LE(linkType, 20);
    writeSync(this.fd, h);
  }

  /** Reserves a record; returns the offset in `buf` where the frame's first byte goes (zeroed). */
  begin(ts: number, wireLen: number, capLen: number): number {
    if (this.used + 16 + capLen > CHUNK) this.flushChunk();
    const b = this.buf;
    let sec = Math.floor(ts);
    let usec = Math.round((ts - sec) * 1e6);
    if (usec >= 1e6) {
      sec += 1;
      usec -= 1e6;
    }
    b.writeUInt32LE(sec, this.used);
    b.writeUInt32LE(usec, this.used + 4);
    b.writeUInt32LE(capLen, this.used + 8);
    b.writeUInt32LE(wireLen, this.used + 12);
    const at = this.used + 16;
    b.fill(0, at, at + capLen);
    this.pendingLen = 16 + capLen;
    return at;
  }

  commit(): void {
    this.used += this.pendingLen;
    this.pendingLen = 0;
    this.packets++;
  }

  close(): void {
    this.flushChunk();
    closeSync(this.fd);
  }

  private flushChunk(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }
}
