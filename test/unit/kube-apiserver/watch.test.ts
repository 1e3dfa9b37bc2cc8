import {
  CoreV1Api,
  type KubeConfig,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  type V1ConfigMap,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";
import { EventQueue, until } from "./events.js";

describe("test API server: watch", () => {
  let server: KubeApiServer;
  let kc: KubeConfig;
  let core: CoreV1Api;
  const controllers: AbortController[] = [];

  async function watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
  ): Promise<EventQueue> {
    const q = new EventQueue();
    controllers.push(await new Watch(kc).watch(path, query, q.push, q.finish));
    return q;
  }

  beforeAll(async () => {
    server = await startKubeApiServer({ historyLimit: 20, bookmarkIntervalMs: 50 });
    kc = server.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "w" } } });
  });
  afterAll(async () => {
    for (const c of controllers) c.abort();
    await server?.close();
  });

  it("streams ADDED, MODIFIED and DELETED from a list's resourceVersion", async () => {
    const list = await core.listNamespacedConfigMap({ namespace: "w" });
    const q = await watch("/api/v1/namespaces/w/configmaps", {
      resourceVersion: list.metadata?.resourceVersion,
    });
    const cm = await core.createNamespacedConfigMap({
      namespace: "w",
      body: { metadata: { name: "a" }, data: { x: "1" } },
    });
    await core.replaceNamespacedConfigMap({ name: "a", namespace: "w", body: { ...cm, data: { x: "2" } } });
    await core.deleteNamespacedConfigMap({ name: "a", namespace: "w" });
    const e1 = await q.next();
    expect(e1.type).toBe("ADDED");
    expect(e1.object).toMatchObject({ kind: "ConfigMap", apiVersion: "v1", metadata: { name: "a" } });
    const e2 = await q.next();
    expect(e2.type).toBe("MODIFIED");
    expect(e2.object.data).toEqual({ x: "2" });
    const e3 = await q.next();
    expect(e3.type).toBe("DELETED");
    expect(Number(e3.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(e2.object.metadata.resourceVersion),
    );
  });

  it("resumes from an older resourceVersion and replays what was missed", async () => {
    const c1 = await core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "r1" } } });
    await core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "r2" } } });
    const q = await watch("/api/v1/namespaces/w/configmaps", {
      resourceVersion: c1.metadata?.resourceVersion,
    });
    const e = await q.next();
    expect(e).toMatchObject({ type: "ADDED", object: { metadata: { name: "r2" } } });
  });

  it("without resourceVersion starts with synthetic ADDED events for existing objects", async () => {
    const q = await watch("/api/v1/namespaces/w/configmaps", { fieldSelector: "metadata.name=r1" });
    expect(await q.next()).toMatchObject({ type: "ADDED", object: { metadata: { name: "r1" } } });
  });

  it("answers a resourceVersion older than the history window with a 410 ERROR event", async () => {
    const first = await core.createNamespacedConfigMap({
      namespace: "w",
      body: { metadata: { name: "old" } },
    });
    for (let i = 0; i < 25; i++) {
      await core.patchNamespacedConfigMap({
        name: "old",
        namespace: "w",
        body: [{ op: "add", path: "/data", value: { i: String(i) } }],
      });
    }
    const q = await watch("/api/v1/namespaces/w/configmaps", {
      resourceVersion: first.metadata?.resourceVersion,
    });
    const e = await q.next();
    expect(e.type).toBe("ERROR");
    expect(e.object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" });
    await q.ended();
  });

  it("sends BOOKMARK events when allowed and ends after timeoutSeconds", async () => {
    const q = await watch("/api/v1/namespaces/w/configmaps", {
      allowWatchBookmarks: true,
      resourceVersion: "1000000",
      timeoutSeconds: 1,
    });
    const b = await q.next([]);
    expect(b.type).toBe("BOOKMARK");
    expect(b.object).toMatchObject({ kind: "ConfigMap", metadata: {} });
    expect(Number(b.object.metadata.resourceVersion)).toBeGreaterThan(0);
    await q.ended(5000);
    expect(q.doneError).toBeFalsy();
  });

  it("turns label changes into ADDED/DELETED for a filtered watch", async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: "w",
      body: { metadata: { name: "lab", labels: { k: "no" } } },
    });
    const q = await watch("/api/v1/namespaces/w/configmaps", {
      labelSelector: "k=yes",
      resourceVersion: cm.metadata?.resourceVersion,
    });
    const patch = (v: string) =>
      core.patchNamespacedConfigMap(
        { name: "lab", namespace: "w", body: { metadata: { labels: { k: v } } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
    await patch("yes");
    expect((await q.next()).type).toBe("ADDED");
    await patch("no");
    expect((await q.next()).type).toBe("DELETED");
  });

  it("serves the legacy /watch/ path prefix, also for a single object", async () => {
    const q = await watch("/api/v1/watch/namespaces/w/configmaps", { fieldSelector: "metadata.name=r2" });
    expect(await q.next()).toMatchObject({ type: "ADDED", object: { metadata: { name: "r2" } } });
    const one = await watch("/api/v1/watch/namespaces/w/configmaps/r1", {});
    expect(await one.next()).toMatchObject({ type: "ADDED", object: { metadata: { name: "r1" } } });
    await core.createNamespacedConfigMap({ namespace: "w", body: { metadata: { name: "r3" } } });
    await core.deleteNamespacedConfigMap({ name: "r1", namespace: "w" });
    expect(await one.next()).toMatchObject({ type: "DELETED", object: { metadata: { name: "r1" } } });
  });

  it("feeds client-node's informer: list, then add, update and delete callbacks", async () => {
    await core.createNamespace({ body: { metadata: { name: "inf" } } });
    await core.createNamespacedConfigMap({ namespace: "inf", body: { metadata: { name: "pre" } } });
    const informer = makeInformer<V1ConfigMap>(kc, "/api/v1/namespaces/inf/configmaps", () =>
      core.listNamespacedConfigMap({ namespace: "inf" }),
    );
    const seen: string[] = [];
    informer.on("add", (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on("update", (o) => seen.push(`update:${o.metadata?.name}:${o.data?.v}`));
    informer.on("delete", (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    try {
      await until(() => seen.includes("add:pre"));
      const cm = await core.createNamespacedConfigMap({
        namespace: "inf",
        body: { metadata: { name: "x" }, data: { v: "1" } },
      });
      await until(() => seen.includes("add:x"));
      await core.replaceNamespacedConfigMap({
        name: "x",
        namespace: "inf",
        body: { ...cm, data: { v: "2" } },
      });
      await until(() => seen.includes("update:x:2"));
      await core.deleteNamespacedConfigMap({ name: "x", namespace: "inf" });
      await until(() => seen.includes("delete:x"));
      expect(informer.list().map((o) => o.metadata?.name)).toEqual(["pre"]);
    } finally {
      await informer.stop();
    }
  });
});
