// Garbage collection: dependents of deleted owners, foreground deletion, terminating namespaces.
import type { KubeApi } from "./api.js";
import type { KObject, ResourceType } from "./types.js";

export class Collector {
  private scheduled = false;
  private closed = false;

  constructor(private readonly api: KubeApi) {}

  /** Run a collection pass soon (coalesced), like the real garbage collector but promptly. */
  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.closed) this.runUntilStable();
    });
  }

  close(): void {
    this.closed = true;
  }

  runUntilStable(): void {
    for (let i = 0; i < 50; i++) if (!this.pass()) return;
  }

  private typeOf(skey: string): ResourceType | undefined {
    const i = skey.indexOf("/");
    return this.api.registry.versionsOf(skey.slice(0, i), skey.slice(i + 1))[0];
  }

  /** One pass; returns whether anything changed. */
  private pass(): boolean {
    const all = [...this.api.store.entries()].map(([skey, o]) => ({
      skey,
      o: structuredClone(o) as KObject,
    }));
    const byUid = new Map(all.map((e) => [e.o.metadata.uid, e.o]));
    const referenced = new Set<string>();
    for (const { o } of all) for (const r of o.metadata.ownerReferences ?? []) referenced.add(r.uid);
    let changed = false;
    for (const { skey, o } of all) {
      const t = this.typeOf(skey);
      if (!t) continue;
      const ns = o.metadata.namespace;
      const name = o.metadata.name!;
      try {
        const refs = o.metadata.ownerReferences ?? [];
        if (refs.length > 0 && !o.metadata.deletionTimestamp) {
          const owners = refs.map((r) => byUid.get(r.uid));
          const allGone = owners.every((x) => x === undefined);
          const foregroundOwner = owners.some(
            (x) =>
              x?.metadata.deletionTimestamp && (x.metadata.finalizers ?? []).includes("foregroundDeletion"),
          );
          if (allGone || foregroundOwner) {
            this.api.delete(t, ns, name, {
              dryRun: false,
              propagationPolicy: foregroundOwner ? "Foreground" : "Background",
            });
            changed = true;
            continue;
          }
        }
        if (o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).includes("foregroundDeletion")) {
          if (!referenced.has(o.metadata.uid!)) {
            const finalizers = (o.metadata.finalizers ?? []).filter((f) => f !== "foregroundDeletion");
            this.api.patch(
              t,
              ns,
              name,
              "application/merge-patch+json",
              JSON.stringify({ metadata: { finalizers } }),
              {
                manager: "garbage-collector",
                dryRun: false,
                fieldValidation: "Ignore",
                force: false,
              },
            );
            changed = true;
          }
        }
        if (skey === "/namespaces" && o.metadata.deletionTimestamp)
          changed = this.drainNamespace(name) || changed;
      } catch {
        // Raced with another change; the next pass sees the new state.
        changed = true;
      }
    }
    return changed;
  }

  private drainNamespace(ns: string): boolean {
    let remaining = 0;
    let changed = false;
    for (const [skey, o] of [...this.api.store.entries()]) {
      if (o.metadata.namespace !== ns) continue;
      remaining++;
      if (o.metadata.deletionTimestamp) continue;
      const t = this.typeOf(skey);
      if (!t) continue;
      this.api.delete(t, ns, o.metadata.name!, { dryRun: false });
      changed = true;
    }
    if (remaining === 0) {
      this.api.store.remove("/namespaces", undefined, ns);
      return true;
    }
    return changed;
  }
}
