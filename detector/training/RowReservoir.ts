import { SeededRandom } from '../models/SeededRandom.js';

/**
 * A bounded uniform sample of feature rows (reservoir sampling, algorithm R): memory is
 * `capacity × d` doubles however long the baseline runs.
 */
export class RowReservoir {
  readonly rows: Float64Array;
  /** Rows offered so far. */
  seen = 0;
  private readonly random: SeededRandom;

  constructor(
    readonly capacity: number,
    readonly d: number,
    seed = 1,
  ) {
    this.rows = new Float64Array(capacity * d);
    this.random = new SeededRandom(seed);
  }

  /** Rows held: min(seen, capacity). */
  get size(): number {
    return Math.min(this.seen, this.capacity);
  }

  offer(row: Float64Array): void {
    const slot = this.seen < this.capacity ? this.seen : Math.floor(this.random.next() * (this.seen + 1));
    this.seen++;
    if (slot < this.capacity) this.rows.set(row, slot * this.d);
  }

  /** The held rows, row-major, as a view (copy it if the reservoir keeps filling). */
  view(): Float64Array {
    return this.rows.subarray(0, this.size * this.d);
  }

  clear(): void {
    this.seen = 0;
  }
}
