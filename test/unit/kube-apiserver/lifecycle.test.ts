import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";
import { until } from "./events.js";

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    return (e as { code: number }).code;
  }
}

describe("test API server: finalizers, deletion and garbage collection", () => {
  let server: KubeApiServer;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

  beforeAll(async () => {
    server = await startKubeApiServer();
    kc = server.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
  });
  afterAll(async () => {
    await server?.close();
  });

  const exists = async (name: string, ns = "default") =>
    (await status(core.readNamespacedConfigMap({ name, namespace: ns }))) === 200;

  it("keeps an object with finalizers until they are removed, with deletionTimestamp set", async () => {
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "fin", finalizers: ["gregor.io/x"] } },
    });
    await core.deleteNamespacedConfigMap({ name: "fin", namespace: "default" });
    const pending = await core.readNamespacedConfigMap({ name: "fin", namespace: "default" });
    expect(pending.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(pending.metadata?.generation).toBe(2);
    // No new finalizers on an object being deleted.
    const add = await status(
      core.patchNamespacedConfigMap(
        { name: "fin", namespace: "default", body: { metadata: { finalizers: ["gregor.io/x", "y"] } } },
        merge,
      ),
    );
    expect(add).toBe(422);
    // Updates other than finalizers still work while pending.
    await core.patchNamespacedConfigMap(
      { name: "fin", namespace: "default", body: { data: { still: "here" } } },
      merge,
    );
    await core.patchNamespacedConfigMap(
      { name: "fin", namespace: "default", body: { metadata: { finalizers: null } } },
      merge,
    );
    expect(await exists("fin")).toBe(false);
  });

  it("deletes dependents of a deleted owner (background propagation)", async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "owner" } },
    });
    const ref = {
      apiVersion: "v1",
      kind: "ConfigMap",
      name: "owner",
      uid: owner.metadata!.uid!,
      controller: true,
    };
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "dep1", ownerReferences: [ref] } },
    });
    const dep2 = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "dep2", ownerReferences: [ref] } },
    });
    // A grandchild goes too.
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: {
        metadata: {
          name: "dep2-child",
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "dep2", uid: dep2.metadata!.uid! }],
        },
      },
    });
    // An object with a second, live owner survives.
    const other = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "other-owner" } },
    });
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: {
        metadata: {
          name: "shared",
          ownerReferences: [
            ref,
            { apiVersion: "v1", kind: "ConfigMap", name: "other-owner", uid: other.metadata!.uid! },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: "owner", namespace: "default" });
    await until(
      async () => !(await exists("dep1")) && !(await exists("dep2")) && !(await exists("dep2-child")),
    );
    expect(await exists("shared")).toBe(true);
  });

  it("orphans dependents with propagationPolicy=Orphan", async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "o2" } },
    });
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: {
        metadata: {
          name: "orphan",
          ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o2", uid: owner.metadata!.uid! }],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ name: "o2", namespace: "default", propagationPolicy: "Orphan" });
    const o = await core.readNamespacedConfigMap({ name: "orphan", namespace: "default" });
    expect(o.metadata?.ownerReferences).toBeUndefined();
  });

  it("foreground deletion keeps the owner until its dependents are gone", async () => {
    const sts = await apps.createNamespacedStatefulSet({
      namespace: "default",
      body: {
        metadata: { name: "fg" },
        spec: {
          serviceName: "fg",
          selector: { matchLabels: { a: "b" } },
          template: { metadata: { labels: { a: "b" } }, spec: { containers: [] } },
        },
      },
    });
    const ref = {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      name: "fg",
      uid: sts.metadata!.uid!,
      blockOwnerDeletion: true,
    };
    await core.createNamespacedPod({
      namespace: "default",
      body: {
        metadata: { name: "fg-0", ownerReferences: [ref], finalizers: ["test/hold"] },
        spec: { containers: [{ name: "c", image: "x" }] },
      },
    });
    await apps.deleteNamespacedStatefulSet({
      name: "fg",
      namespace: "default",
      propagationPolicy: "Foreground",
    });
    const pod = () => core.readNamespacedPod({ name: "fg-0", namespace: "default" });
    await until(async () => !!(await pod()).metadata?.deletionTimestamp);
    const owner = await apps.readNamespacedStatefulSet({ name: "fg", namespace: "default" });
    expect(owner.metadata?.finalizers).toContain("foregroundDeletion");
    expect(owner.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    await core.patchNamespacedPod(
      { name: "fg-0", namespace: "default", body: { metadata: { finalizers: [] } } },
      merge,
    );
    await until(
      async () =>
        (await status(apps.readNamespacedStatefulSet({ name: "fg", namespace: "default" }))) === 404,
    );
  });

  it("terminates a namespace: content deleted, new content refused, then the namespace goes", async () => {
    await core.createNamespace({ body: { metadata: { name: "doomed" } } });
    await core.createNamespacedConfigMap({
      namespace: "doomed",
      body: { metadata: { name: "c", finalizers: ["test/hold"] } },
    });
    await core.deleteNamespace({ name: "doomed" });
    const ns = await core.readNamespace({ name: "doomed" });
    expect(ns.status?.phase).toBe("Terminating");
    expect(
      await status(
        core.createNamespacedConfigMap({ namespace: "doomed", body: { metadata: { name: "new" } } }),
      ),
    ).toBe(403);
    await core.patchNamespacedConfigMap(
      { name: "c", namespace: "doomed", body: { metadata: { finalizers: null } } },
      merge,
    );
    await until(async () => (await status(core.readNamespace({ name: "doomed" }))) === 404);
  });

  it("deletes bound pods gracefully: Terminating until the kubelet deletes them with grace 0", async () => {
    const body = (name: string, nodeName?: string) => ({
      metadata: { name },
      spec: { nodeName, terminationGracePeriodSeconds: 20, containers: [{ name: "c", image: "x" }] },
    });
    await core.createNamespacedPod({ namespace: "default", body: body("unbound") });
    await core.deleteNamespacedPod({ name: "unbound", namespace: "default" });
    expect(await status(core.readNamespacedPod({ name: "unbound", namespace: "default" }))).toBe(404);

    await core.createNamespacedPod({ namespace: "default", body: body("bound", "node-1") });
    await core.deleteNamespacedPod({ name: "bound", namespace: "default" });
    const terminating = await core.readNamespacedPod({ name: "bound", namespace: "default" });
    expect(terminating.metadata?.deletionGracePeriodSeconds).toBe(20);
    const left = terminating.metadata!.deletionTimestamp!.getTime() - Date.now();
    expect(left).toBeGreaterThan(10_000);
    // Status updates from the kubelet do not remove it.
    await core.patchNamespacedPodStatus(
      { name: "bound", namespace: "default", body: { status: { phase: "Running" } } },
      merge,
    );
    expect(await status(core.readNamespacedPod({ name: "bound", namespace: "default" }))).toBe(200);
    await core.deleteNamespacedPod({ name: "bound", namespace: "default", gracePeriodSeconds: 0 });
    expect(await status(core.readNamespacedPod({ name: "bound", namespace: "default" }))).toBe(404);
  });

  it("honours delete preconditions", async () => {
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "pre" } } });
    const code = await status(
      core.deleteNamespacedConfigMap({
        name: "pre",
        namespace: "default",
        body: { preconditions: { resourceVersion: "1" } },
      }),
    );
    expect(code).toBe(409);
    expect(await exists("pre")).toBe(true);
  });
});
