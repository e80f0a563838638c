import type { Logger } from '../logger.js';
import { watchRestarts } from '../metrics.js';
import { delay, exponentialBackoffMs } from './Backoff.js';
import { KubeApiError } from './KubeApiError.js';
import type { KubeClient } from './KubeClient.js';
import { type KubeObject, objectKey } from './KubeObject.js';

export interface InformerOptions {
  /** Short name for logs and the watch-restart metric (e.g. 'daemonsets'). */
  name: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Every resyncMs, each cached object is handed to the 'update' handlers again (0: never). */
  resyncMs?: number;
  /** Server-side watch timeout, seconds (the watch is then resumed from the last resourceVersion). */
  watchTimeoutSeconds?: number;
  /** A watch that ends sooner than this counts as a failure and is retried after a backoff. */
  minWatchMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  logger?: Logger;
  /** Reduce each object before it is cached (keep only the fields the handlers need). */
  transform?: (obj: KubeObject) => KubeObject;
}

export type InformerEvent = 'add' | 'update' | 'delete';
type Handler<T> = (obj: T, old?: T) => void;

/**
 * List-then-watch cache of one kind of object. Unlike the client library's informer, a watch
 * that ends at once (API server down, a refused request, an expired resourceVersion) is retried
 * with exponential backoff instead of in a tight loop, a 410 Gone relists, and a periodic resync
 * replays the cache to the handlers so a level-triggered controller converges even if it missed
 * something. Handlers never throw into the loop.
 */
export class Informer<T extends KubeObject> {
  private readonly cache = new Map<string, T>();
  private readonly handlers: Record<InformerEvent, Handler<T>[]> = { add: [], update: [], delete: [] };
  private resourceVersion = '';
  private stopped = true;
  private stopWatch: (() => void) | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  private readonly abort = new AbortController();
  private synced = false;
  private loop: Promise<void> | null = null;
  private readonly opts: Required<Omit<InformerOptions, 'labelSelector' | 'fieldSelector' | 'logger' | 'transform'>> & InformerOptions;

  constructor(
    private readonly client: KubeClient,
    /** Collection path, e.g. resourcePath('DaemonSet') or resourcePath('Pod', 'ns'). */
    private readonly path: string,
    options: InformerOptions,
  ) {
    this.opts = { resyncMs: 0, watchTimeoutSeconds: 300, minWatchMs: 1000, backoffBaseMs: 200, backoffMaxMs: 30_000, ...options };
  }

  on(event: InformerEvent, handler: Handler<T>): this {
    this.handlers[event].push(handler);
    return this;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    let markSynced!: () => void;
    const firstSync = new Promise<void>((resolve) => (markSynced = resolve));
    this.loop = this.run(markSynced);
    if (this.opts.resyncMs > 0) {
      this.resyncTimer = setInterval(() => this.resync(), this.opts.resyncMs);
      this.resyncTimer.unref();
    }
    await Promise.race([firstSync, this.loop]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.stopWatch?.();
    await this.loop;
  }

  private async run(markSynced: () => void): Promise<void> {
    let failures = 0;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.relist();
          needList = false;
          if (!this.synced) {
            this.synced = true;
            markSynced();
          }
        }
        const started = Date.now();
        const outcome = await this.watchOnce();
        if (outcome === 'gone') needList = true;
        if (outcome === 'gone' || Date.now() - started >= this.opts.minWatchMs) {
          failures = 0;
          continue;
        }
        failures++;
        watchRestarts.inc({ resource: this.opts.name, reason: 'short' });
      } catch (err) {
        if (this.stopped) break;
        failures++;
        watchRestarts.inc({ resource: this.opts.name, reason: 'error' });
        if (err instanceof KubeApiError && err.statusCode === 410) needList = true;
        this.opts.logger?.warn({ err: (err as Error).message, resource: this.opts.name, failures }, 'list/watch failed; backing off');
      }
      await delay(exponentialBackoffMs(failures, this.opts.backoffBaseMs, this.opts.backoffMaxMs), this.abort.signal);
    }
  }

  private async relist(): Promise<void> {
    const list = await this.client.list<T>(this.path, { labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector });
    const fresh = new Map<string, T>();
    for (const raw of list.items) {
      const item = this.shape(raw);
      fresh.set(objectKey(item), item);
    }
    for (const [key, old] of this.cache) {
      if (!fresh.has(key)) {
        this.cache.delete(key);
        this.emit('delete', old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.cache.get(key);
      this.cache.set(key, obj);
      if (!old) this.emit('add', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', obj, old);
    }
    this.resourceVersion = list.metadata?.resourceVersion ?? '';
  }

  /** One watch from the last resourceVersion; resolves how it ended. */
  private watchOnce(): Promise<'closed' | 'gone'> {
    return new Promise<'closed' | 'gone'>((resolve, reject) => {
      let gone = false;
      const query = {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.opts.watchTimeoutSeconds,
        labelSelector: this.opts.labelSelector,
        fieldSelector: this.opts.fieldSelector,
      };
      const onEvent = (type: string, obj: KubeObject): void => {
        if (type === 'ERROR') {
          const status = obj as { code?: number; message?: string };
          if (status.code === 410) gone = true;
          else this.opts.logger?.warn({ resource: this.opts.name, status }, 'watch error event');
          this.stopWatch?.();
          return;
        }
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (type === 'BOOKMARK') return;
        const item = this.shape(obj);
        const key = objectKey(item);
        if (type === 'DELETED') {
          const old = this.cache.get(key) ?? item;
          this.cache.delete(key);
          this.emit('delete', old);
        } else if (type === 'ADDED' || type === 'MODIFIED') {
          const old = this.cache.get(key);
          this.cache.set(key, item);
          this.emit(old ? 'update' : 'add', item, old);
        }
      };
      const onDone = (err: unknown): void => {
        this.stopWatch = null;
        if (gone) resolve('gone');
        else if (err && !this.stopped && (err as Error).name !== 'AbortError') reject(err);
        else resolve('closed');
      };
      this.client.watch(this.path, query, onEvent, onDone).then(
        (stop) => {
          this.stopWatch = stop;
          if (this.stopped) stop();
        },
        reject,
      );
    });
  }

  private shape(obj: KubeObject): T {
    return (this.opts.transform ? this.opts.transform(obj) : obj) as T;
  }

  private resync(): void {
    for (const obj of this.cache.values()) this.emit('update', obj, obj);
  }

  private emit(event: InformerEvent, obj: T, old?: T): void {
    for (const h of this.handlers[event]) {
      try {
        h(obj, old);
      } catch (err) {
        this.opts.logger?.error({ err: (err as Error).message, resource: this.opts.name, event }, 'informer handler threw');
      }
    }
  }
}
