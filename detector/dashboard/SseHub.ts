import type { ServerResponse } from 'node:http';

/**
 * Server-sent event clients. Bounded: at most `maxClients` at once (more get 503), and a client
 * that stops reading (more than `maxBufferedBytes` waiting) is dropped rather than buffered
 * without limit. A comment line every `heartbeatMs` keeps proxies from closing idle streams.
 */
export class SseHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly heartbeat: NodeJS.Timeout;
  dropped = 0;

  constructor(
    readonly maxClients = 64,
    readonly maxBufferedBytes = 4 << 20,
    heartbeatMs = 15_000,
  ) {
    this.heartbeat = setInterval(() => this.comment('keep-alive'), heartbeatMs);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Takes over the response as an event stream; false (and a 503 sent) when full. */
  add(res: ServerResponse, first?: { event: string; data: unknown }): boolean {
    if (this.clients.size >= this.maxClients) {
      res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
      res.end(`too many event-stream clients (limit ${this.maxClients})\n`);
      return false;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
    if (first) this.write(res, format(first.event, first.data));
    return true;
  }

  send(event: string, data: unknown): void {
    if (this.clients.size === 0) return;
    const frame = format(event, data);
    for (const res of this.clients) this.write(res, frame);
  }

  /** Ends every stream (server shutdown). */
  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private comment(text: string): void {
    for (const res of this.clients) this.write(res, `: ${text}\n\n`);
  }

  private write(res: ServerResponse, frame: string): void {
    if (res.writableLength > this.maxBufferedBytes) {
      this.dropped += 1;
      this.clients.delete(res);
      res.destroy();
      return;
    }
    res.write(frame);
  }
}

function format(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
