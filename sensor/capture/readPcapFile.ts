import { open } from 'node:fs/promises';
import type { PacketSink } from './PacketSink.js';
import { PcapStreamParser, type CaptureFormat, type PcapStreamParserOptions } from './PcapStreamParser.js';

export interface ReadPcapFileOptions extends PcapStreamParserOptions {
  /** Bytes read per chunk (one reused buffer). Default 1 MiB. */
  chunkSize?: number;
  /** Stops reading between chunks; the promise then resolves with what was read so far. */
  signal?: AbortSignal;
  /**
   * Called after each chunk has been parsed, with the parser (its packet count, last link type);
   * may return a promise to pause reading (the hook for paced or realtime replay, which can also
   * lower `chunkSize`).
   */
  afterChunk?: (parser: PcapStreamParser) => void | Promise<void>;
}

export interface PcapReadStats {
  format: CaptureFormat | undefined;
  packets: number;
  /** Captured bytes handed to the sink. */
  capturedBytes: number;
  /** Bytes of the file read. */
  fileBytes: number;
  /** True when `signal` stopped the read before the end of the file. */
  aborted: boolean;
  seconds: number;
}

/**
 * Streams a pcap or pcapng file through a {@link PcapStreamParser} into `sink`, reading large
 * chunks into two reused buffers: the next chunk is read while the current one is parsed, so the
 * parser never waits for the disk (or the page cache) between chunks, and memory stays constant
 * whatever the file size. Resolves with the read's figures; rejects with a PcapFormatError (after
 * every good packet before the damage has gone to the sink) when the file is damaged, or with the
 * file system's error when it cannot be read.
 */
export async function readPcapFile(path: string, sink: PacketSink, opts: ReadPcapFileOptions = {}): Promise<PcapReadStats> {
  const started = process.hrtime.bigint();
  const parser = new PcapStreamParser(sink, opts);
  const fh = await open(path, 'r');
  let fileBytes = 0;
  let aborted = false;
  // The read started and not yet awaited, if any.
  let inFlight: Promise<unknown> | undefined;
  try {
    // A small file gets a small buffer (reading many small files must not zero 1 MiB each time).
    const st = await fh.stat();
    const chunkSize = opts.chunkSize ?? 1 << 20;
    const size = st.isFile() ? Math.max(4096, Math.min(chunkSize, st.size + 1)) : chunkSize;
    const bufs = [new Uint8Array(size), new Uint8Array(size)];
    const read = (buf: Uint8Array): Promise<{ bytesRead: number }> => {
      const p = fh.read(buf, 0, size, null);
      // Awaited later (after the parser and afterChunk, which may pause): marked as handled now,
      // so a failed read is this function's error, not an unhandled rejection meanwhile.
      p.catch(() => undefined);
      inFlight = p;
      return p;
    };
    let which = 0;
    let next = read(bufs[0]);
    for (;;) {
      const { bytesRead } = await next;
      inFlight = undefined;
      if (bytesRead === 0) break;
      if (opts.signal?.aborted) {
        aborted = true;
        break;
      }
      const buf = bufs[which];
      which ^= 1;
      next = read(bufs[which]);
      fileBytes += bytesRead;
      parser.push(bytesRead === size ? buf : buf.subarray(0, bytesRead));
      if (opts.afterChunk) await opts.afterChunk(parser);
    }
    if (!aborted) parser.end();
  } finally {
    // A read still in flight (the parser threw, or the read was aborted) ends before the close.
    await inFlight?.catch(() => undefined);
    await fh.close();
  }
  return {
    format: parser.format,
    packets: parser.packets,
    capturedBytes: parser.capturedBytes,
    fileBytes,
    aborted,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}
