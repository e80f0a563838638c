// A minimal Kubernetes REST client for the test node agent: JSON over HTTPS with the credentials
// of a kubeconfig (client certificate or token), nothing else.
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export class KubeRestError extends Error {
  override name = 'KubeRestError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class KubeRest {
  private readonly kc = new KubeConfig();
  private readonly server: URL;

  constructor(kubeconfigFile: string) {
    this.kc.loadFromFile(kubeconfigFile);
    const cluster = this.kc.getCurrentCluster();
    if (!cluster) throw new Error(`kubeconfig ${kubeconfigFile} names no current cluster`);
    this.server = new URL(cluster.server);
  }

  /** The API server's https URL. */
  get serverUrl(): URL {
    return this.server;
  }

  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const options: https.RequestOptions = {
      method,
      hostname: this.server.hostname,
      port: this.server.port,
      path,
      headers: { Accept: 'application/json' },
      timeout: 30_000,
    };
    await this.kc.applyToHTTPSOptions(options);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    if (payload !== undefined) {
      const headers = options.headers as Record<string, string | number>;
      headers['Content-Type'] = contentType;
      // Node sends a DELETE body unframed without it, and the API server then ignores the body.
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    return new Promise<T>((resolve, reject) => {
      const req = https.request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            resolve((text ? JSON.parse(text) : undefined) as T);
          } else {
            let message = text;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {
              // not JSON
            }
            reject(new KubeRestError(`${method} ${path}: ${status} ${message}`, status));
          }
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET that answers undefined for 404. */
  async find<T = unknown>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeRestError && err.status === 404) return undefined;
      throw err;
    }
  }

  post<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  put<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, body);
  }

  mergePatch<T = unknown>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body, 'application/merge-patch+json');
  }

  delete<T = unknown>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, body);
  }
}
