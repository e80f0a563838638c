import { describe, expect, it } from 'vitest';
import { decodeFlowBatch } from '../../../detector/server/decodeFlowBatch.js';
import { FEATURE_COUNT } from '../../../sensor/features/schema.js';
import type { WireFlowBatch, WireFlowRecord } from '../../../sensor/transport/WireMessages.js';

const wire = (over: Partial<WireFlowRecord> = {}): WireFlowRecord => ({
  src: '10.0.0.1', dst: '10.0.0.2', srcPort: 1234, dstPort: 80, protocol: 6, firstSeen: 10, lastSeen: 12, endReason: 1, emittedAt: 13, ...over,
});

function batch(records: WireFlowRecord[], vectors: number[][]): WireFlowBatch {
  const f = new Float64Array(vectors.flat());
  return { seq: 1, records, features: Buffer.from(f.buffer) };
}

const ok = (): number[] => Array.from({ length: FEATURE_COUNT }, (_, k) => k);

describe('decodeFlowBatch', () => {
  it('keeps good records and counts each bad one by reason', () => {
    const bad = ok();
    bad[3] = Infinity;
    const records = [
      wire(),
      wire({ srcPort: 70_000 }),
      wire({ protocol: 300 }),
      wire({ dst: '10.0.0' }),
      wire({ lastSeen: 5 }),
      wire(),
      wire({ endReason: 99 }),
    ];
    const vectors = [ok(), ok(), ok(), ok(), ok(), bad, ok()];
    const d = decodeFlowBatch(batch(records, vectors), 4096);
    expect(d.records).toHaveLength(2);
    expect(d.records[1].endReason).toBe('flush'); // unknown (newer) end reason kept as 'flush'
    expect(d.rejected).toEqual({ 'bad-port': 1, 'bad-protocol': 1, 'bad-address': 1, 'bad-time': 1, 'non-finite': 1 });
    expect(d.rejectedCount).toBe(5);
    expect(d.emittedAt).toEqual([13, 13]);
  });

  it('rejects a batch whose vector bytes do not match its records, and one over the record limit', () => {
    expect(decodeFlowBatch({ seq: 1, records: [wire(), wire()], features: Buffer.alloc(FEATURE_COUNT * 8) }, 4096).rejected).toEqual({ 'vector-length': 2 });
    expect(decodeFlowBatch(batch([wire(), wire()], [ok(), ok()]), 1).rejected).toEqual({ 'too-many-records': 2 });
  });

  it('accepts the per-record packed encoding when the batch has no vector bytes', () => {
    const d = decodeFlowBatch({ seq: 1, records: [wire({ features: ok() }), wire({ features: [1, 2] })], features: Buffer.alloc(0) }, 4096);
    expect(d.records).toHaveLength(1);
    expect(Array.from(d.records[0].features)).toEqual(ok());
    expect(d.rejected).toEqual({ 'vector-length': 1 });
  });

  it('copies vectors out of an unaligned receive buffer', () => {
    const f = new Float64Array(ok());
    const raw = Buffer.alloc(f.byteLength + 3);
    Buffer.from(f.buffer).copy(raw, 3);
    const d = decodeFlowBatch({ seq: 1, records: [wire()], features: raw.subarray(3) }, 4096);
    expect(Array.from(d.records[0].features)).toEqual(ok());
  });
});
