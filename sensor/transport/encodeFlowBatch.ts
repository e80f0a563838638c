import { FEATURE_COUNT } from '../features/schema.js';
import type { FlowRecord } from '../flows/FlowRecord.js';
import { endReasonCode } from './EndReasonCodes.js';

/**
 * Encodes one `SensorMessage { batch: FlowBatch }` of proto/netids.proto straight into a Buffer,
 * ready for the wire (the client's serializer passes Buffers through). Hand-written because it
 * is the hot path: the generic protobuf.js encoder measured several times slower (BENCHMARKS.md,
 * "gRPC transport"). Standard protobuf encoding; field order on the wire is free, so the vector
 * bytes (FlowBatch.features, row-major little-endian float64) come first, 8-byte aligned, and are
 * filled with one typed-array copy per record.
 *
 * `emittedAt[i]` is when record i left the sensor (epoch seconds).
 */
export function encodeFlowBatch(seq: number, records: readonly FlowRecord[], emittedAt: ArrayLike<number>): Buffer {
  const n = records.length;
  const featureBytes = n * FEATURE_COUNT * 8;
  const srcLen = new Uint32Array(n);
  const dstLen = new Uint32Array(n);
  const recLen = new Uint32Array(n);
  let recordsBytes = 0;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    const sl = Buffer.byteLength(r.src, 'utf8');
    const dl = Buffer.byteLength(r.dst, 'utf8');
    srcLen[i] = sl;
    dstLen[i] = dl;
    // src, dst, src_port, dst_port, protocol, first_seen, last_seen, end_reason, emitted_at
    const len =
      1 + varintSize(sl) + sl +
      1 + varintSize(dl) + dl +
      1 + varintSize(r.srcPort >>> 0) +
      1 + varintSize(r.dstPort >>> 0) +
      1 + varintSize(r.protocol >>> 0) +
      9 + 9 +
      1 + varintSize(endReasonCode(r.endReason)) +
      9;
    recLen[i] = len;
    recordsBytes += 1 + varintSize(len) + len;
  }
  const batchLen = 1 + varintSize(seq) + 1 + varintSize(featureBytes) + featureBytes + recordsBytes;
  const header = 1 + varintSize(batchLen) + 1 + varintSize(seq) + 1 + varintSize(featureBytes);
  const pad = (8 - (header % 8)) % 8;
  const out = Buffer.from(new ArrayBuffer(pad + header + featureBytes + recordsBytes), pad);
  let p = 0;
  out[p++] = 0x12; // SensorMessage.batch (2, length-delimited)
  p = writeVarint(out, p, batchLen);
  out[p++] = 0x08; // FlowBatch.seq (1, varint)
  p = writeVarint(out, p, seq);
  out[p++] = 0x1a; // FlowBatch.features (3, length-delimited)
  p = writeVarint(out, p, featureBytes);
  const values = new Float64Array(out.buffer, out.byteOffset + p, n * FEATURE_COUNT);
  for (let i = 0; i < n; i++) {
    const f = records[i].features;
    values.set(f.length === FEATURE_COUNT ? f : f.subarray(0, FEATURE_COUNT), i * FEATURE_COUNT);
  }
  if (!HOST_IS_LITTLE_ENDIAN) swapFloat64(out.subarray(p, p + featureBytes));
  p += featureBytes;
  for (let i = 0; i < n; i++) {
    const r = records[i];
    out[p++] = 0x12; // FlowBatch.records (2, length-delimited)
    p = writeVarint(out, p, recLen[i]);
    out[p++] = 0x0a; // src (1)
    p = writeVarint(out, p, srcLen[i]);
    p += out.write(r.src, p, srcLen[i], 'utf8');
    out[p++] = 0x12; // dst (2)
    p = writeVarint(out, p, dstLen[i]);
    p += out.write(r.dst, p, dstLen[i], 'utf8');
    out[p++] = 0x18; // src_port (3)
    p = writeVarint(out, p, r.srcPort >>> 0);
    out[p++] = 0x20; // dst_port (4)
    p = writeVarint(out, p, r.dstPort >>> 0);
    out[p++] = 0x28; // protocol (5)
    p = writeVarint(out, p, r.protocol >>> 0);
    out[p++] = 0x31; // first_seen (6, 64-bit)
    p = out.writeDoubleLE(r.firstSeen, p);
    out[p++] = 0x39; // last_seen (7, 64-bit)
    p = out.writeDoubleLE(r.lastSeen, p);
    out[p++] = 0x40; // end_reason (8, varint)
    p = writeVarint(out, p, endReasonCode(r.endReason));
    out[p++] = 0x49; // emitted_at (9, 64-bit)
    p = out.writeDoubleLE(emittedAt[i], p);
  }
  return out;
}

function varintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/** Unsigned varint of a non-negative integer up to 2^53. */
function writeVarint(buf: Uint8Array, p: number, v: number): number {
  while (v >= 0x80) {
    buf[p++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[p++] = v;
  return p;
}

/** True on little-endian hosts (all the platforms Node ships for, in practice). */
export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Byte-swap every float64 in place (big-endian hosts only). */
export function swapFloat64(bytes: Uint8Array): void {
  for (let o = 0; o + 8 <= bytes.length; o += 8) {
    for (let a = o, b = o + 7; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}
