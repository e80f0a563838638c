import { createWriteStream, type WriteStream } from 'node:fs';
import type { Anomaly } from '../../lib/anomaly.js';
import type { AnomalySink } from './RunSession.js';

/**
 * `--out FILE`: anomalies as JSON lines (the Anomaly JSON shape, one object a line). A line is
 * written when an anomaly is first raised, again (same `id`) at most every `updateEveryMs`
 * while it grows, and once more on `close()` for any that changed since; the last line of an
 * id is its final state. Bounded: a flood raises one anomaly with a growing count, not a line
 * per flow.
 */
export class JsonlAnomalyWriter implements AnomalySink {
  private readonly stream: WriteStream;
  private readonly dirty = new Map<string, Anomaly>();
  private readonly timer: NodeJS.Timeout;
  private error: Error | null = null;
  lines = 0;

  constructor(
    readonly path: string,
    updateEveryMs = 10_000,
  ) {
    this.stream = createWriteStream(path, { flags: 'w' });
    this.stream.on('error', (err) => {
      this.error = err;
    });
    this.timer = setInterval(() => this.writeDirty(), updateEveryMs);
    this.timer.unref();
  }

  /** Resolves once the file is open (rejects with a clear error when it cannot be). */
  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.error) return reject(new Error(`cannot write anomalies to ${this.path}: ${this.error.message}`));
      this.stream.once('ready', () => resolve());
      this.stream.once('error', (err) => reject(new Error(`cannot write anomalies to ${this.path}: ${err.message}`)));
    });
  }

  anomaly(a: Anomaly, isNew: boolean): void {
    if (isNew) {
      this.dirty.delete(a.id);
      this.write(a);
    } else {
      this.dirty.set(a.id, a);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.writeDirty();
    await new Promise<void>((resolve) => this.stream.end(() => resolve()));
    if (this.error) throw new Error(`writing anomalies to ${this.path} failed: ${this.error.message}`);
  }

  private writeDirty(): void {
    for (const a of this.dirty.values()) this.write(a);
    this.dirty.clear();
  }

  private write(a: Anomaly): void {
    if (this.error) return;
    this.stream.write(JSON.stringify(a) + '\n');
    this.lines += 1;
  }
}
