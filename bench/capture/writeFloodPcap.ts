import { openSync, writeSync, closeSync } from 'node:fs';

/**
 * Writes a pcap of `count` Ethernet/IPv4/TCP SYN frames (60 bytes on the wire) from 10.99.0.1 to
 * 10.99.0.200:80 with varying source ports and addresses — a SYN flood that the receiving
 * namespace drops silently (not its address), so only the flood itself is on the link.
 */
export function writeFloodPcap(path: string, count: number, dstMac: number[] = [2, 0, 0, 0, 0, 2]): void {
  const fd = openSync(path, 'w');
  const hdr = Buffer.alloc(24);
  hdr.writeUInt32LE(0xa1b2c3d4, 0);
  hdr.writeUInt16LE(2, 4);
  hdr.writeUInt16LE(4, 6);
  hdr.writeUInt32LE(65535, 16);
  hdr.writeUInt32LE(1, 20);
  writeSync(fd, hdr);
  const rec = 16 + 60;
  const perChunk = 8192;
  const chunk = Buffer.alloc(rec * perChunk);
  let written = 0;
  while (written < count) {
    const n = Math.min(perChunk, count - written);
    for (let i = 0; i < n; i++) {
      const k = written + i;
      const o = i * rec;
      chunk.writeUInt32LE(1700000000 + Math.floor(k / 1e6), o);
      chunk.writeUInt32LE(k % 1e6, o + 4);
      chunk.writeUInt32LE(60, o + 8);
      chunk.writeUInt32LE(60, o + 12);
      const p = o + 16;
      chunk.set(dstMac, p);
      chunk.set([2, 0, 0, 0, 0, 1], p + 6);
      chunk.writeUInt16BE(0x0800, p + 12);
      const ip = p + 14;
      chunk.set([0x45, 0, 0, 40, (k >> 8) & 0xff, k & 0xff, 0x40, 0, 64, 6, 0, 0], ip);
      chunk.set([10, 99, (k >> 8) & 0xff, 1 + (k % 250)], ip + 12);
      chunk.set([10, 99, 0, 200], ip + 16);
      const t = ip + 20;
      chunk.writeUInt16BE(1024 + (k % 60000), t);
      chunk.writeUInt16BE(80, t + 2);
      chunk.writeUInt32BE(k >>> 0, t + 4);
      chunk.writeUInt32BE(0, t + 8);
      chunk.writeUInt8(0x50, t + 12);
      chunk.writeUInt8(0x02, t + 13);
      chunk.writeUInt16BE(64240, t + 14);
      chunk.writeUInt32BE(0, t + 16);
      chunk.fill(0, t + 20, p + 60); // Ethernet padding to the 60-byte minimum
    }
    writeSync(fd, chunk, 0, n * rec);
    written += n;
  }
  closeSync(fd);
}
