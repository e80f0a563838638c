import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PacketSink } from './PacketSink.js';
import { readPcapFile, type PcapReadStats } from './readPcapFile.js';

export interface PacedFileSourceOptions {
  /**
   * Capture seconds replayed per wall-clock second: 1 is real time, 10 ten times faster,
   * Infinity as fast as the file can be read. Can be changed while reading ({@link PacedFileSource.speed}).
   */
  speed?: number;
  /** Bytes read per chunk; pacing happens between chunks. Default 8 KiB when paced, 1 MiB when not. */
  chunkSize?: number;
  /** Stops reading; `run` then resolves with what was read. */
  signal?: AbortSignal;
  /** Called after each chunk has gone to the sink, before any pause (drain downstream work here). */
  afterChunk?: () => void | Promise<void>;
}

/**
 * A pcap/pcapng file replayed at capture pace (or a multiple of it), for `netids run --pcap
 * --realtime | --speed N` and the demo: it wraps {@link readPcapFile} and, after each chunk,
 * waits until the wall clock has caught up with the chunk's last packet time divided by the
 * speed. Timestamps handed to the sink are the file's own, so everything downstream sees the
 * same packets and times at any speed.
 */
export class PacedFileSource {
  private currentSpeed: number;
  private anchorWall = 0;
  private anchorTs: number | null = null;
  private lastTs: number | null = null;
  private size = 0;
  private consumed = 0;

  constructor(
    readonly path: string,
    private readonly options: PacedFileSourceOptions = {},
  ) {
    this.currentSpeed = checkSpeed(options.speed ?? Infinity);
  }

  get speed(): number {
    return this.currentSpeed;
  }

  /** Changes the pace from the next chunk on (the replay continues from where it is). */
  set speed(value: number) {
    this.currentSpeed = checkSpeed(value);
    this.anchorTs = null;
  }

  /** Time of the last packet handed out (epoch seconds), null before the first. */
  get captureTime(): number | null {
    return this.lastTs;
  }

  /** Share of the file read so far, 0..1. */
  get progress(): number {
    return this.size > 0 ? Math.min(1, this.consumed / this.size) : 0;
  }

  /** Reads the whole file into `sink` (or until the signal); rejects as {@link readPcapFile} does. */
  async run(sink: PacketSink): Promise<PcapReadStats> {
    this.size = (await stat(this.path)).size;
    const paced = Number.isFinite(this.currentSpeed);
    const signal = this.options.signal;
    const tracking: PacketSink = (linkType, buf, offset, capLen, wireLen, ts) => {
      this.lastTs = ts;
      sink(linkType, buf, offset, capLen, wireLen, ts);
    };
    return readPcapFile(this.path, tracking, {
      chunkSize: this.options.chunkSize ?? (paced || this.options.speed !== undefined ? 8192 : 1 << 20),
      signal,
      afterChunk: async (parser) => {
        this.consumed = parser.offset;
        if (this.options.afterChunk) await this.options.afterChunk();
        await this.pace(signal);
      },
    });
  }

  private async pace(signal: AbortSignal | undefined): Promise<void> {
    const ts = this.lastTs;
    if (ts === null || !Number.isFinite(this.currentSpeed)) return;
    const now = performance.now();
    if (this.anchorTs === null || ts < this.anchorTs) {
      this.anchorTs = ts;
      this.anchorWall = now;
      return;
    }
    const due = this.anchorWall + ((ts - this.anchorTs) / this.currentSpeed) * 1000;
    const wait = due - now;
    if (wait <= 1) return;
    try {
      await sleep(wait, undefined, { signal });
    } catch {
      // aborted: readPcapFile sees the signal and stops
    }
  }
}

function checkSpeed(speed: number): number {
  if (!(speed > 0)) throw new RangeError(`replay speed must be a positive number (1 = real time), got ${speed}`);
  return speed;
}
