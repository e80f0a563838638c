import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import type { Registry } from 'prom-client';
import { ANOMALY_KINDS } from '../../lib/anomaly.js';
import type { Logger } from '../../lib/logger.js';
import { applyAnomalyQuery, parseAnomalyQuery, QueryError } from './AnomalyQuery.js';
import { anomaliesToCsv } from './anomaliesToCsv.js';
import { assetsDir } from './assetsDir.js';
import type { DashboardFeed, FeedEvent } from './DashboardFeed.js';
import { SseHub } from './SseHub.js';

export interface DashboardServerOptions {
  /** Address to bind; 127.0.0.1 unless the user asks for more. */
  bind: string;
  /** 0 picks a free port. */
  port: number;
  registry: Registry;
  logger?: Logger;
  /** Anomalies sent in the first event of a stream. Default 500. */
  snapshotAnomalies?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
};

/**
 * The dashboard and its JSON API, served by netids itself (node:http, no framework, every asset
 * a plain file of the package):
 * `/` the page, `/assets/*` its files, `/api/anomalies` (+ `/anomalies`), `/api/anomalies.csv`,
 * `/api/stats`, `/api/model`, `/api/kinds`, `/api/events` (server-sent events), `/metrics`, `/healthz`.
 */
export class DashboardServer {
  private readonly server: Server;
  private readonly hub = new SseHub();
  private readonly assets = new Map<string, { body: Buffer; type: string }>();
  private readonly onFeedEvent: (e: FeedEvent) => void;

  constructor(
    private readonly feed: DashboardFeed,
    private readonly options: DashboardServerOptions,
  ) {
    const dir = assetsDir();
    for (const name of readdirSync(dir)) {
      const type = CONTENT_TYPES[extname(name)];
      if (type) this.assets.set(name, { body: readFileSync(join(dir, name)), type });
    }
    this.onFeedEvent = (e) => this.hub.send(e.type, e.data);
    feed.on('event', this.onFeedEvent);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        options.logger?.error({ err, url: req.url }, 'dashboard request failed');
        if (!res.headersSent) this.text(res, 500, 'internal error\n');
        else res.end();
      });
    });
  }

  /** Starts listening; resolves with the URL (a clear error when the address is taken). */
  listen(): Promise<string> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          new Error(
            err.code === 'EADDRINUSE'
              ? `cannot serve the dashboard: ${this.options.bind}:${this.options.port} is already in use (pick another with --port, or --port 0 for any free one)`
              : `cannot serve the dashboard on ${this.options.bind}:${this.options.port}: ${err.message}`,
          ),
        );
      };
      this.server.once('error', onError);
      this.server.listen(this.options.port, this.options.bind, () => {
        this.server.off('error', onError);
        resolve(this.url());
      });
    });
  }

  url(): string {
    const addr = this.server.address() as AddressInfo;
    const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host;
    return `http://${shown}:${addr.port}/`;
  }

  /** Event-stream clients connected now. */
  get eventClients(): number {
    return this.hub.size;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    this.feed.off('event', this.onFeedEvent);
    this.hub.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      this.text(res, 405, `method ${req.method} not allowed\n`);
      return;
    }
    const path = url.pathname;
    switch (path) {
      case '/':
      case '/index.html':
        this.asset(res, 'index.html');
        return;
      case '/api/anomalies':
      case '/anomalies':
      case '/api/anomalies.csv':
        this.anomalies(res, url, path.endsWith('.csv'));
        return;
      case '/api/stats':
        this.json(res, 200, this.feed.stats());
        return;
      case '/api/model':
        this.json(res, 200, this.feed.modelInfo());
        return;
      case '/api/kinds':
        this.json(res, 200, ANOMALY_KINDS);
        return;
      case '/api/events':
        if (req.method === 'HEAD') {
          res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
          res.end();
          return;
        }
        this.hub.add(res, {
          event: 'snapshot',
          data: {
            stats: this.feed.stats(),
            model: this.feed.modelInfo(),
            anomalies: applyAnomalyQuery(this.feed.anomalies(), { since: null, kind: null, limit: this.options.snapshotAnomalies ?? 500 }),
          },
        });
        return;
      case '/metrics': {
        const body = await this.options.registry.metrics();
        res.writeHead(200, { 'content-type': this.options.registry.contentType });
        res.end(body);
        return;
      }
      case '/healthz': {
        const model = this.feed.modelInfo();
        this.json(res, 200, { status: 'ok', model: model.state, finished: this.feed.isFinished });
        return;
      }
    }
    if (path.startsWith('/assets/')) {
      this.asset(res, path.slice('/assets/'.length));
      return;
    }
    this.text(res, 404, `not found: ${path}\n`);
  }

  private anomalies(res: ServerResponse, url: URL, csv: boolean): void {
    let query;
    try {
      query = parseAnomalyQuery(url.searchParams);
    } catch (err) {
      if (err instanceof QueryError) {
        this.json(res, 400, { error: err.message });
        return;
      }
      throw err;
    }
    const all = this.feed.anomalies();
    const list = applyAnomalyQuery(all, query);
    if (csv) {
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': 'attachment; filename="netids-anomalies.csv"',
        'cache-control': 'no-store',
      });
      res.end(anomaliesToCsv(list));
      return;
    }
    this.json(res, 200, { anomalies: list, returned: list.length, total: all.length });
  }

  private asset(res: ServerResponse, name: string): void {
    const a = this.assets.get(name);
    if (!a) {
      this.text(res, 404, `not found: /assets/${name}\n`);
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': a.type, 'cache-control': 'no-cache' });
    res.end(a.body);
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  }

  private text(res: ServerResponse, status: number, body: string): void {
    res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
    res.end(body);
  }
}
