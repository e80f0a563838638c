import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT } from '../../../sensor/features/schema.js';
import type { FlowRecord } from '../../../sensor/flows/FlowRecord.js';
import { RecordQueue } from '../../../sensor/transport/RecordQueue.js';

const rec = (i: number): FlowRecord => ({
  src: '10.0.0.1', dst: '10.0.0.2', srcPort: i, dstPort: 80, protocol: 6, firstSeen: i, lastSeen: i, endReason: 'fin',
  features: new Float64Array(FEATURE_COUNT),
});

describe('RecordQueue', () => {
  it('drops the oldest when full and says so', () => {
    const q = new RecordQueue(3);
    expect([1, 2, 3].map((i) => q.push(rec(i), i))).toEqual([0, 0, 0]);
    expect(q.push(rec(4), 4)).toBe(1);
    const { records, emittedAt } = q.shift(10);
    expect(records.map((r) => r.srcPort)).toEqual([2, 3, 4]);
    expect(Array.from(emittedAt)).toEqual([2, 3, 4]);
    expect(q.length).toBe(0);
  });

  it('puts unacknowledged records back in front, dropping the oldest of them when there is no room', () => {
    const q = new RecordQueue(4);
    q.push(rec(10), 10);
    q.push(rec(11), 11);
    expect(q.unshiftAll([rec(1), rec(2), rec(3)], [1, 2, 3])).toBe(1);
    expect(q.shift(10).records.map((r) => r.srcPort)).toEqual([2, 3, 10, 11]);
  });

  it('wraps around', () => {
    const q = new RecordQueue(2);
    for (let i = 0; i < 7; i++) {
      q.push(rec(i), i);
      if (i % 2 === 1) expect(q.shift(1).records[0].srcPort).toBe(i - 1);
    }
    expect(q.length).toBe(2);
    expect(() => new RecordQueue(0)).toThrow(/positive integer/);
  });
});
