/**
 * List-then-watch for one resource type, keeping a cache and calling a handler on every change.
 * A watch that ends (timeout, 410 Gone, network) is resumed from the last resourceVersion, or
 * relisted when that is too old; a relist reports objects that vanished meanwhile as deleted.
 */
import type { Logger } from "pino";
import { KubeApiError, type KubeClient, type KubeObj, type WatchEvent } from "./client.js";
import { type Clock, systemClock } from "./clock.js";
import type { ResourceType } from "./resources.js";

export type ChangeType = "ADDED" | "MODIFIED" | "DELETED";
export type ChangeHandler<T> = (type: ChangeType, obj: T) => void;

export const objectKey = (o: KubeObj) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export class Informer<T extends KubeObj> {
  private readonly cache = new Map<string, T>();
  private resourceVersion = "";
  private abort: AbortController | undefined;
  private timer: unknown;
  private stopped = false;
  private syncedResolve!: () => void;
  readonly synced: Promise<void> = new Promise((r) => {
    this.syncedResolve = r;
  });

  constructor(
    private readonly client: KubeClient,
    readonly type: ResourceType,
    private readonly opts: {
      namespace?: string;
      labelSelector?: string;
      onChange: ChangeHandler<T>;
      log?: Logger;
      clock?: Clock;
      retryMs?: number;
    },
  ) {}

  get(namespace: string, name: string): T | undefined {
    return this.cache.get(`${namespace}/${name}`);
  }

  list(): T[] {
    return [...this.cache.values()];
  }

  start(): void {
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    if (this.timer !== undefined) (this.opts.clock ?? systemClock).clearTimeout(this.timer);
  }

  private retry(fn: () => void): void {
    if (this.stopped) return;
    this.timer = (this.opts.clock ?? systemClock).setTimeout(fn, this.opts.retryMs ?? 1000);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const res = await this.client.list<T>(this.type, this.opts.namespace, this.opts.labelSelector);
      if (this.stopped) return;
      const fresh = new Map(res.items.map((o) => [objectKey(o), o] as const));
      for (const [k, old] of this.cache) {
        if (!fresh.has(k)) {
          this.cache.delete(k);
          this.opts.onChange("DELETED", old);
        }
      }
      for (const [k, o] of fresh) {
        const old = this.cache.get(k);
        this.cache.set(k, o);
        if (!old) this.opts.onChange("ADDED", o);
        else if (old.metadata.resourceVersion !== o.metadata.resourceVersion)
          this.opts.onChange("MODIFIED", o);
      }
      this.resourceVersion = res.resourceVersion;
      this.syncedResolve();
      await this.watch();
    } catch (err) {
      this.opts.log?.warn({ err: String(err), kind: this.type.kind }, "list failed; retrying");
      this.retry(() => void this.relist());
    }
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    let gone = false;
    const started = (this.opts.clock ?? systemClock).now();
    const rewatch = () => void this.watch().catch(() => this.retry(() => void this.relist()));
    this.abort = await this.client.watch<T>(
      this.type,
      this.opts.namespace,
      { resourceVersion: this.resourceVersion, labelSelector: this.opts.labelSelector },
      (e) => {
        if (this.handleEvent(e)) gone = true;
      },
      (err) => {
        if (this.stopped) return;
        const status =
          err instanceof KubeApiError ? err.status : (err as { statusCode?: number } | null)?.statusCode;
        if (gone || status === 410) this.retry(() => void this.relist());
        // A watch the server ended cleanly after a while resumes at once; one that failed or
        // ended immediately waits, so a misbehaving server is not hammered.
        else if (err || (this.opts.clock ?? systemClock).now() - started < 1000) this.retry(rewatch);
        else rewatch();
      },
    );
  }

  /** Applies one event; returns true when the watch must be restarted from a fresh list. */
  private handleEvent(e: WatchEvent<T>): boolean {
    if (e.type === "ERROR") return true;
    const rv = e.object?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (e.type === "BOOKMARK") return false;
    const o = { apiVersion: this.type.apiVersion, kind: this.type.kind, ...e.object } as T;
    const k = objectKey(o);
    if (e.type === "DELETED") {
      this.cache.delete(k);
    } else {
      this.cache.set(k, o);
    }
    this.opts.onChange(e.type, o);
    return false;
  }
}
