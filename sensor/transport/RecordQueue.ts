import type { FlowRecord } from '../flows/FlowRecord.js';

/**
 * The sensor's bounded send queue: a ring of flow records with the time each was emitted. When
 * full, push() drops the oldest record and returns 1 (the caller counts it); nothing grows.
 */
export class RecordQueue {
  private readonly records: (FlowRecord | undefined)[];
  private readonly emitted: Float64Array;
  private head = 0;
  private size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`);
    this.records = new Array<FlowRecord | undefined>(capacity);
    this.emitted = new Float64Array(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Appends; returns how many records were dropped to make room (0 or 1). */
  push(record: FlowRecord, emittedAt: number): number {
    let dropped = 0;
    if (this.size === this.capacity) {
      this.records[this.head] = undefined;
      this.head = (this.head + 1) % this.capacity;
      this.size--;
      dropped = 1;
    }
    const tail = (this.head + this.size) % this.capacity;
    this.records[tail] = record;
    this.emitted[tail] = emittedAt;
    this.size++;
    return dropped;
  }

  /**
   * Puts records back at the front (e.g. unacknowledged batches after a stream failed), oldest
   * first in `records`. Returns how many were dropped because the queue was full: the newest
   * records already queued are kept, and the oldest of the returned ones are the ones lost.
   */
  unshiftAll(records: readonly FlowRecord[], emittedAt: ArrayLike<number>): number {
    let dropped = 0;
    for (let i = records.length - 1; i >= 0; i--) {
      if (this.size === this.capacity) {
        dropped += i + 1;
        break;
      }
      this.head = (this.head - 1 + this.capacity) % this.capacity;
      this.records[this.head] = records[i];
      this.emitted[this.head] = emittedAt[i];
      this.size++;
    }
    return dropped;
  }

  /** Removes up to `max` records from the front. */
  shift(max: number): { records: FlowRecord[]; emittedAt: Float64Array } {
    const n = Math.min(max, this.size);
    const records = new Array<FlowRecord>(n);
    const emittedAt = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const at = (this.head + i) % this.capacity;
      records[i] = this.records[at] as FlowRecord;
      emittedAt[i] = this.emitted[at];
      this.records[at] = undefined;
    }
    this.head = (this.head + n) % this.capacity;
    this.size -= n;
    return { records, emittedAt };
  }

  clear(): number {
    const n = this.size;
    this.shift(n);
    return n;
  }
}
