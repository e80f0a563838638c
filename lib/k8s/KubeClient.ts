import http from 'node:http';
import https from 'node:https';
import { KubeConfig, PatchStrategy, Watch } from '@kubernetes/client-node';
import { KubeApiError } from './KubeApiError.js';
import type { KubeList, KubeObject } from './KubeObject.js';

export interface ClientOptions {
  /** Path of a kubeconfig file; without it the default chain (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string;
  /** Per-request timeout in milliseconds (watches are not limited). */
  timeoutMs?: number;
}

/** How long one set of credentials and its connection pool is reused before it is reloaded. */
const AUTH_REFRESH_MS = 60_000;

/**
 * A small REST client for the Kubernetes API on top of @kubernetes/client-node's KubeConfig
 * (credentials, TLS) and Watch. It speaks plain JSON to paths, so custom resources, status
 * subresources and server-side apply all go through one code path, and nothing is lost to a
 * typed (de)serializer. Failed requests throw a KubeApiError carrying the API server's message.
 */
export class KubeClient {
  readonly config: KubeConfig;
  private readonly timeoutMs: number;
  private auth: { opts: https.RequestOptions; at: number } | null = null;

  constructor(config: KubeConfig, timeoutMs = 30_000) {
    this.config = config;
    this.timeoutMs = timeoutMs;
  }

  static load(options: ClientOptions = {}): KubeClient {
    const kc = new KubeConfig();
    if (options.kubeconfig) kc.loadFromFile(options.kubeconfig);
    else kc.loadFromDefault();
    if (!kc.getCurrentCluster()) throw new Error('kubeconfig has no current cluster');
    return new KubeClient(kc, options.timeoutMs);
  }

  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  async get<T extends KubeObject>(path: string): Promise<T> {
    return (await this.request('GET', path)) as T;
  }

  /** GET that resolves to null on 404. */
  async getOrNull<T extends KubeObject>(path: string): Promise<T | null> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return null;
      throw err;
    }
  }

  async list<T extends KubeObject>(path: string, query: Record<string, string | number | undefined> = {}): Promise<KubeList<T>> {
    return (await this.request('GET', withQuery(path, query))) as KubeList<T>;
  }

  async create<T extends KubeObject>(path: string, body: KubeObject, query: Record<string, string | undefined> = {}): Promise<T> {
    return (await this.request('POST', withQuery(path, query), body)) as T;
  }

  async replace<T extends KubeObject>(path: string, body: KubeObject): Promise<T> {
    return (await this.request('PUT', path, body)) as T;
  }

  /** Server-side apply of `body` at `path` (an object path, or its /status) as `fieldManager`, forcing conflicts. */
  async apply<T extends KubeObject>(path: string, body: KubeObject, fieldManager: string): Promise<T> {
    const q = withQuery(path, { fieldManager, force: 'true' });
    return (await this.request('PATCH', q, body, PatchStrategy.ServerSideApply)) as T;
  }

  /** JSON merge patch (RFC 7386). */
  async mergePatch<T extends KubeObject>(path: string, patch: unknown, fieldManager?: string): Promise<T> {
    return (await this.request('PATCH', withQuery(path, { fieldManager }), patch, PatchStrategy.MergePatch)) as T;
  }

  /** DELETE; resolves false when the object was already gone. */
  async delete(path: string, propagationPolicy: 'Background' | 'Foreground' | 'Orphan' = 'Background'): Promise<boolean> {
    try {
      await this.request('DELETE', path, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy });
      return true;
    } catch (err) {
      if (err instanceof KubeApiError && err.statusCode === 404) return false;
      throw err;
    }
  }

  /**
   * Start a watch; `onEvent` gets each event, `onDone` is called once when the stream ends (err
   * null for a normal close). Returns a function that stops it.
   */
  async watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: string, object: KubeObject) => void,
    onDone: (err: unknown) => void,
  ): Promise<() => void> {
    const controller = await new Watch(this.config).watch(path, query, (type, obj) => onEvent(type, obj as KubeObject), onDone);
    return () => controller.abort();
  }

  /** One request; JSON in and out. */
  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<unknown> {
    const url = new URL(this.server + path);
    const base = await this.authOptions();
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { ...(base.headers as Record<string, string>), Accept: 'application/json' };
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = payload.length;
    }
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        { ...base, method, headers, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = undefined;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve(parsed);
            else reject(KubeApiError.fromResponse(method, path, status, parsed, text));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  private async authOptions(): Promise<https.RequestOptions> {
    if (this.auth && Date.now() - this.auth.at < AUTH_REFRESH_MS) return this.auth.opts;
    const opts: https.RequestOptions = { headers: {} };
    await this.config.applyToHTTPSOptions(opts);
    if (opts.agent instanceof https.Agent) {
      // One pooled keep-alive agent per credential period instead of one TLS handshake per request.
      opts.agent = new https.Agent({ ...opts.agent.options, keepAlive: true, maxSockets: 16 });
    }
    this.auth = { opts, at: Date.now() };
    return opts;
  }
}

export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const q = params.toString();
  if (!q) return path;
  return path + (path.includes('?') ? '&' : '?') + q;
}
