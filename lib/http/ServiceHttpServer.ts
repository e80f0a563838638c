import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';

/** The answer of a health probe: `ok` decides 200 or 503; `detail` is shown as JSON. */
export interface Probe {
  ok: boolean;
  detail?: Record<string, unknown>;
}

export interface ServiceHttpServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  /** /healthz: the process works (default: always ok). */
  live?: () => Probe;
  /** /readyz: the service should receive traffic. */
  ready: () => Probe;
  logger: Logger;
}

/**
 * The small HTTP server every netids service runs beside its real work: `/metrics` (Prometheus
 * text format from the given registry), `/healthz` and `/readyz` (200 or 503 with a JSON body).
 */
export class ServiceHttpServer {
  private server: Server | null = null;

  constructor(private readonly options: ServiceHttpServerOptions) {}

  /** Listens; resolves to the bound port (useful with port 0). */
  async start(): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as AddressInfo).port;
    this.options.logger.info({ port }, 'metrics and health endpoints listening');
    return port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    try {
      if (path === '/metrics') {
        const body = await this.options.registry.metrics();
        res.writeHead(200, { 'content-type': this.options.registry.contentType }).end(body);
      } else if (path === '/healthz' || path === '/livez') {
        this.probe(res, this.options.live?.() ?? { ok: true });
      } else if (path === '/readyz') {
        this.probe(res, this.options.ready());
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics, /healthz or /readyz\n');
      }
    } catch (err) {
      this.options.logger.error({ err: (err as Error).message, path }, 'HTTP handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    }
  }

  private probe(res: ServerResponse, p: Probe): void {
    res
      .writeHead(p.ok ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: p.ok ? 'ok' : 'unavailable', ...p.detail }) + '\n');
  }
}
