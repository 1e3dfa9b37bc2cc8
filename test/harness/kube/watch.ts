// Watch streams: newline-delimited JSON events with resume from a resourceVersion and bookmarks.
import type { ServerResponse } from "node:http";
import { gone } from "./errors.js";
import type { Matcher } from "./selectors.js";
import type { Store, StoreEvent } from "./store.js";
import { apiVersionOf, type Json, type KObject, type ResourceType, storageKey } from "./types.js";

export interface WatchParams {
  namespace?: string;
  match: Matcher;
  resourceVersion: string | null;
  allowBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds: number | null;
  bookmarkIntervalMs: number;
  /** Converts each object before sending (e.g. to a Table); identity by default. */
  render?: (o: KObject) => Json;
}

/** Active watch streams, so closing the server ends them. */
export class WatchHub {
  private readonly open = new Set<() => void>();

  constructor(private readonly store: Store) {}

  closeAll(): void {
    for (const end of [...this.open]) end();
  }

  serve(t: ResourceType, p: WatchParams, res: ServerResponse): void {
    const skey = storageKey(t);
    const version = (o: KObject): Json => {
      const c = structuredClone(o);
      c.apiVersion = apiVersionOf(t);
      c.kind = t.kind;
      return p.render ? p.render(c) : c;
    };
    const inScope = (o: KObject | undefined): boolean =>
      !!o && (p.namespace === undefined || o.metadata.namespace === p.namespace) && p.match(o);
    const write = (type: string, object: Json): void => {
      if (res.writableEnded || res.destroyed) return;
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const translate = (e: StoreEvent): void => {
      if (e.skey !== skey) return;
      const now = inScope(e.object);
      const before = e.type === "ADDED" ? false : inScope(e.previous);
      if (e.type === "DELETED") {
        if (before || now) write("DELETED", version(e.object));
      } else if (now && before) write("MODIFIED", version(e.object));
      else if (now) write("ADDED", version(e.object));
      else if (before) write("DELETED", version(e.object));
    };

    res.writeHead(200, {
      "Content-Type": "application/json",
      "Transfer-Encoding": "chunked",
      "Cache-Control": "no-cache",
    });
    // Clients wait for the response headers before they consider the watch established.
    res.flushHeaders();
    // Subscribe and replay in the same tick: no event can fall between the two.
    const rvParam = p.resourceVersion;
    if (rvParam === null || rvParam === "" || rvParam === "0") {
      for (const o of this.store.list(skey, t.namespaced ? p.namespace : undefined))
        if (inScope(o)) write("ADDED", version(o));
      if (p.sendInitialEvents && p.allowBookmarks) {
        write("BOOKMARK", {
          kind: t.kind,
          apiVersion: apiVersionOf(t),
          metadata: {
            resourceVersion: String(this.store.currentRv()),
            annotations: { "k8s.io/initial-events-end": "true" },
          },
        });
      }
    } else {
      const n = Number(rvParam);
      const history = Number.isFinite(n) ? this.store.eventsSince(n) : "gone";
      if (history === "gone") {
        const status = gone(`too old resource version: ${rvParam} (${this.store.currentRv()})`).toStatus();
        write("ERROR", status);
        res.end();
        return;
      }
      for (const e of history) translate(e);
    }
    const unsubscribe = this.store.subscribe(translate);
    const timers: NodeJS.Timeout[] = [];
    if (p.allowBookmarks) {
      const t1 = setInterval(() => {
        write("BOOKMARK", {
          kind: t.kind,
          apiVersion: apiVersionOf(t),
          metadata: { resourceVersion: String(this.store.currentRv()) },
        });
      }, p.bookmarkIntervalMs);
      timers.push(t1);
    }
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      unsubscribe();
      for (const x of timers) clearInterval(x);
      this.open.delete(end);
      if (!res.writableEnded) res.end();
    };
    if (p.timeoutSeconds !== null && p.timeoutSeconds > 0)
      timers.push(setTimeout(end, p.timeoutSeconds * 1000));
    this.open.add(end);
    res.on("close", end);
  }
}
