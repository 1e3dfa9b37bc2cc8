// Object storage with a global, monotonic resourceVersion and a bounded event history for watch resume.
import type { KObject } from "./types.js";

export type EventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  rv: number;
  type: EventType;
  skey: string; // storage key group/plural
  object: KObject;
  /** The object before a MODIFIED event, so filtered watches can turn it into ADDED/DELETED. */
  previous?: KObject;
}

export type Listener = (e: StoreEvent) => void;

export class Store {
  private rv = 1;
  private readonly objects = new Map<string, Map<string, KObject>>();
  private readonly history: StoreEvent[] = [];
  /** Events with rv <= this were dropped from history; resuming before it answers 410 Gone. */
  private compactedRv = 0;
  private readonly listeners = new Set<Listener>();
  /** SSA field ownership per object uid: manager -> owned field paths. */
  readonly managers = new Map<string, Map<string, Set<string>>>();

  constructor(private readonly historyLimit = 5000) {}

  currentRv(): number {
    return this.rv;
  }

  nextRv(): number {
    this.rv += 1;
    return this.rv;
  }

  get(skey: string, namespace: string | undefined, name: string): KObject | undefined {
    const o = this.bucket(skey).get(objKey(namespace, name));
    return o ? structuredClone(o) : undefined;
  }

  list(skey: string, namespace?: string): KObject[] {
    const out: KObject[] = [];
    for (const o of this.bucket(skey).values()) {
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(structuredClone(o));
    }
    out.sort((a, b) => cmp(a, b));
    return out;
  }

  /** Every stored object of every resource (for GC). */
  *entries(): Generator<[string, KObject]> {
    for (const [skey, m] of this.objects) for (const o of m.values()) yield [skey, o];
  }

  /** Store an object, assigning the next resourceVersion; returns a copy of what was stored. */
  put(skey: string, obj: KObject): KObject {
    const b = this.bucket(skey);
    const k = objKey(obj.metadata.namespace, obj.metadata.name!);
    const previous = b.get(k);
    const rv = this.nextRv();
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(rv);
    b.set(k, stored);
    this.record({ rv, type: previous ? "MODIFIED" : "ADDED", skey, object: stored, previous });
    return structuredClone(stored);
  }

  remove(skey: string, namespace: string | undefined, name: string): KObject | undefined {
    const b = this.bucket(skey);
    const k = objKey(namespace, name);
    const previous = b.get(k);
    if (!previous) return undefined;
    b.delete(k);
    if (previous.metadata.uid) this.managers.delete(previous.metadata.uid);
    const rv = this.nextRv();
    const gone = structuredClone(previous);
    gone.metadata.resourceVersion = String(rv);
    this.record({ rv, type: "DELETED", skey, object: gone, previous });
    return structuredClone(gone);
  }

  /** Events after `rv` (exclusive), or "gone" if some of them were compacted away. */
  eventsSince(rv: number): StoreEvent[] | "gone" {
    if (rv < this.compactedRv) return "gone";
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid].rv <= rv) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  private record(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRv = dropped[dropped.length - 1].rv;
    }
    for (const l of [...this.listeners]) l(e);
  }

  private bucket(skey: string): Map<string, KObject> {
    let b = this.objects.get(skey);
    if (!b) {
      b = new Map();
      this.objects.set(skey, b);
    }
    return b;
  }
}

function objKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

function cmp(a: KObject, b: KObject): number {
  const an = `${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const bn = `${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return an < bn ? -1 : an > bn ? 1 : 0;
}
