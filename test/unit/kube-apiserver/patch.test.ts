import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

async function failure(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: number; body: string };
    return { code: err.code, body: JSON.parse(err.body) };
  }
  throw new Error("expected the request to fail");
}

const as = (strategy: string) => setHeaderOptions("Content-Type", strategy);

describe("test API server: patch types client-node sends", () => {
  let server: KubeApiServer;
  let kc: KubeConfig;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let custom: CustomObjectsApi;

  beforeAll(async () => {
    server = await startKubeApiServer({ crdFiles: [`${FIXTURES}widgets-crd.yaml`] });
    kc = server.kubeConfig();
    core = kc.makeApiClient(CoreV1Api);
    apps = kc.makeApiClient(AppsV1Api);
    custom = kc.makeApiClient(CustomObjectsApi);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("applies a JSON patch (client-node's default content type)", async () => {
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "jp" }, data: { a: "1", b: "2" } },
    });
    const out = await core.patchNamespacedConfigMap({
      name: "jp",
      namespace: "default",
      body: [
        { op: "replace", path: "/data/a", value: "10" },
        { op: "remove", path: "/data/b" },
        { op: "add", path: "/metadata/labels", value: { x: "y" } },
      ],
    });
    expect(out.data).toEqual({ a: "10" });
    expect(out.metadata?.labels).toEqual({ x: "y" });
    const bad = await failure(
      core.patchNamespacedConfigMap({
        name: "jp",
        namespace: "default",
        body: [{ op: "test", path: "/data/a", value: "nope" }],
      }),
    );
    expect(bad.code).toBe(422);
  });

  it("applies a JSON merge patch, null deleting keys", async () => {
    await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "mp" }, data: { a: "1", b: "2" } },
    });
    const out = await core.patchNamespacedConfigMap(
      { name: "mp", namespace: "default", body: { data: { a: null, c: "3" } } },
      as(PatchStrategy.MergePatch),
    );
    expect(out.data).toEqual({ b: "2", c: "3" });
  });

  it("conflicts on a merge patch that carries a stale resourceVersion", async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "mprv" } },
    });
    await core.patchNamespacedConfigMap(
      { name: "mprv", namespace: "default", body: { data: { a: "1" } } },
      as(PatchStrategy.MergePatch),
    );
    const c = await failure(
      core.patchNamespacedConfigMap(
        {
          name: "mprv",
          namespace: "default",
          body: { metadata: { resourceVersion: cm.metadata?.resourceVersion }, data: { a: "2" } },
        },
        as(PatchStrategy.MergePatch),
      ),
    );
    expect(c.code).toBe(409);
  });

  it("merges containers and env by name in a strategic merge patch", async () => {
    await apps.createNamespacedStatefulSet({
      namespace: "default",
      body: {
        metadata: { name: "smp" },
        spec: {
          serviceName: "smp",
          selector: { matchLabels: { app: "smp" } },
          template: {
            metadata: { labels: { app: "smp" } },
            spec: {
              containers: [
                { name: "a", image: "a:1", env: [{ name: "X", value: "1" }] },
                { name: "b", image: "b:1" },
              ],
            },
          },
        },
      },
    });
    const out = await apps.patchNamespacedStatefulSet(
      {
        name: "smp",
        namespace: "default",
        body: {
          spec: {
            replicas: 2,
            template: {
              spec: {
                containers: [
                  { name: "a", image: "a:2", env: [{ name: "Y", value: "2" }] },
                  { name: "b", $patch: "delete" },
                ],
              },
            },
          },
        },
      },
      as(PatchStrategy.StrategicMergePatch),
    );
    const cs = out.spec?.template.spec?.containers ?? [];
    expect(cs.map((c) => c.name)).toEqual(["a"]);
    expect(cs[0].image).toBe("a:2");
    expect(cs[0].env).toEqual([
      { name: "X", value: "1" },
      { name: "Y", value: "2" },
    ]);
    expect(out.spec?.replicas).toBe(2);
    expect(out.metadata?.generation).toBe(2);
  });

  it("refuses strategic merge patches on custom resources (415), like the real server", async () => {
    await custom.createNamespacedCustomObject({
      group: "example.gregor.io",
      version: "v1alpha1",
      namespace: "default",
      plural: "widgets",
      body: {
        apiVersion: "example.gregor.io/v1alpha1",
        kind: "Widget",
        metadata: { name: "smp" },
        spec: { size: 1 },
      },
    });
    const r = await failure(
      custom.patchNamespacedCustomObject(
        {
          group: "example.gregor.io",
          version: "v1alpha1",
          namespace: "default",
          plural: "widgets",
          name: "smp",
          body: { spec: { size: 2 } },
        },
        as(PatchStrategy.StrategicMergePatch),
      ),
    );
    expect(r.code).toBe(415);
  });

  it("works with client-node's generic KubernetesObjectApi (discovery, apply, list, delete)", async () => {
    const client = KubernetesObjectApi.makeApiClient(kc);
    const spec = {
      apiVersion: "example.gregor.io/v1alpha1",
      kind: "Widget",
      metadata: { name: "generic", namespace: "default" },
      spec: { size: 2 },
    };
    const applied = (await client.patch(
      spec,
      undefined,
      undefined,
      "generic-mgr",
      true,
      PatchStrategy.ServerSideApply,
    )) as unknown as {
      spec: { size: number; color: string };
    };
    expect(applied.spec).toMatchObject({ size: 2, color: "green" });
    const read = (await client.read({ ...spec, spec: undefined } as never)) as { metadata: { uid: string } };
    expect(read.metadata.uid).toBeTruthy();
    const list = await client.list("example.gregor.io/v1alpha1", "Widget", "default");
    expect(list.items.map((i) => i.metadata?.name)).toContain("generic");
    await client.delete(spec);
    const gone = await failure(client.read(spec as never));
    expect(gone.code).toBe(404);
  });

  describe("server-side apply", () => {
    const body = (data: Record<string, string>) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "ssa" },
      data,
    });

    it("creates when missing and requires a fieldManager", async () => {
      const missing = await failure(
        core.patchNamespacedConfigMap(
          { name: "ssa", namespace: "default", body: body({ a: "1" }) },
          as(PatchStrategy.ServerSideApply),
        ),
      );
      expect(missing.code).toBe(400);
      const created = await core.patchNamespacedConfigMap(
        { name: "ssa", namespace: "default", body: body({ a: "1", b: "1" }), fieldManager: "op" },
        as(PatchStrategy.ServerSideApply),
      );
      expect(created.data).toEqual({ a: "1", b: "1" });
    });

    it("removes fields the manager stopped applying and keeps others' fields", async () => {
      await core.patchNamespacedConfigMap(
        { name: "ssa", namespace: "default", body: { data: { c: "other" } }, fieldManager: "human" },
        as(PatchStrategy.MergePatch),
      );
      const out = await core.patchNamespacedConfigMap(
        { name: "ssa", namespace: "default", body: body({ a: "1" }), fieldManager: "op" },
        as(PatchStrategy.ServerSideApply),
      );
      expect(out.data).toEqual({ a: "1", c: "other" });
    });

    it("conflicts when a second manager changes an owned field, unless forced", async () => {
      const c = await failure(
        core.patchNamespacedConfigMap(
          { name: "ssa", namespace: "default", body: body({ a: "2" }), fieldManager: "intruder" },
          as(PatchStrategy.ServerSideApply),
        ),
      );
      expect(c.code).toBe(409);
      expect(c.body).toMatchObject({ reason: "Conflict" });
      expect(String(c.body.message)).toContain('conflict with "op"');
      // Same value: shared ownership, no conflict.
      await core.patchNamespacedConfigMap(
        { name: "ssa", namespace: "default", body: body({ a: "1" }), fieldManager: "sharer" },
        as(PatchStrategy.ServerSideApply),
      );
      const forced = await core.patchNamespacedConfigMap(
        { name: "ssa", namespace: "default", body: body({ a: "2" }), fieldManager: "intruder", force: true },
        as(PatchStrategy.ServerSideApply),
      );
      expect(forced.data?.a).toBe("2");
      // op lost ownership of .data.a, so its next apply of a different value conflicts with intruder.
      const back = await failure(
        core.patchNamespacedConfigMap(
          { name: "ssa", namespace: "default", body: body({ a: "3" }), fieldManager: "op" },
          as(PatchStrategy.ServerSideApply),
        ),
      );
      expect(String(back.body.message)).toContain('conflict with "intruder"');
    });

    it("is a no-op (same resourceVersion) when nothing changes", async () => {
      const a = await core.patchNamespacedConfigMap(
        { name: "ssa", namespace: "default", body: body({ a: "2" }), fieldManager: "intruder" },
        as(PatchStrategy.ServerSideApply),
      );
      const b = await core.patchNamespacedConfigMap(
        { name: "ssa", namespace: "default", body: body({ a: "2" }), fieldManager: "intruder" },
        as(PatchStrategy.ServerSideApply),
      );
      expect(b.metadata?.resourceVersion).toBe(a.metadata?.resourceVersion);
    });

    it("applies status through the status subresource only", async () => {
      const args = {
        group: "example.gregor.io",
        version: "v1alpha1",
        namespace: "default",
        plural: "widgets",
        name: "applied",
      };
      const cr = { apiVersion: "example.gregor.io/v1alpha1", kind: "Widget", metadata: { name: "applied" } };
      const created = (await custom.patchNamespacedCustomObject(
        { ...args, body: { ...cr, spec: { size: 4 }, status: { phase: "ignored" } }, fieldManager: "op" },
        as(PatchStrategy.ServerSideApply),
      )) as { spec: { size: number }; status?: unknown; metadata: { generation: number } };
      expect(created.spec.size).toBe(4);
      expect(created.status).toBeUndefined();
      const st = (await custom.patchNamespacedCustomObjectStatus(
        {
          ...args,
          body: { ...cr, status: { phase: "Ready", conditions: [{ type: "Ready", status: "True" }] } },
          fieldManager: "op",
        },
        as(PatchStrategy.ServerSideApply),
      )) as { status: { phase: string }; spec: { size: number }; metadata: { generation: number } };
      expect(st.status.phase).toBe("Ready");
      expect(st.metadata.generation).toBe(1);
      // Re-applying the spec without status must not drop the status the same manager applied via /status.
      const again = (await custom.patchNamespacedCustomObject(
        { ...args, body: { ...cr, spec: { size: 5 } }, fieldManager: "op" },
        as(PatchStrategy.ServerSideApply),
      )) as { status: { phase: string }; metadata: { generation: number } };
      expect(again.status.phase).toBe("Ready");
      expect(again.metadata.generation).toBe(2);
    });

    it("follows CRD list markers: map lists merge by key, unmarked lists are atomic", async () => {
      const args = {
        group: "example.gregor.io",
        version: "v1alpha1",
        namespace: "default",
        plural: "widgets",
        name: "lists",
      };
      const cr = (spec: Record<string, unknown>) => ({
        apiVersion: "example.gregor.io/v1alpha1",
        kind: "Widget",
        metadata: { name: "lists" },
        spec: { size: 1, ...spec },
      });
      const apply = (manager: string, spec: Record<string, unknown>, force = false) =>
        custom.patchNamespacedCustomObject(
          { ...args, body: cr(spec), fieldManager: manager, force },
          as(PatchStrategy.ServerSideApply),
        ) as Promise<{ spec: { ports?: unknown[]; tags?: unknown[] } }>;
      await apply("a", { ports: [{ name: "x", port: 1 }], tags: [{ name: "t", value: "1" }] });
      const both = await apply("b", { ports: [{ name: "y", port: 2 }] });
      expect(both.spec.ports).toEqual([
        { name: "x", port: 1 },
        { name: "y", port: 2 },
      ]);
      const atomic = await failure(apply("b", { tags: [{ name: "u", value: "2" }] }));
      expect(String(atomic.body.message)).toContain('conflict with "a": .spec.tags');
      const forced = await apply(
        "b",
        { ports: [{ name: "y", port: 2 }], tags: [{ name: "u", value: "2" }] },
        true,
      );
      expect(forced.spec.tags).toEqual([{ name: "u", value: "2" }]);
    });

    it("merges keyed lists (containers by name) across managers", async () => {
      const sts = (containers: { name: string; image: string }[]) => ({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "ssa-sts" },
        spec: {
          serviceName: "s",
          selector: { matchLabels: { app: "s" } },
          template: { metadata: { labels: { app: "s" } }, spec: { containers } },
        },
      });
      await apps.patchNamespacedStatefulSet(
        {
          name: "ssa-sts",
          namespace: "default",
          body: sts([{ name: "main", image: "m:1" }]),
          fieldManager: "op",
        },
        as(PatchStrategy.ServerSideApply),
      );
      const out = await apps.patchNamespacedStatefulSet(
        {
          name: "ssa-sts",
          namespace: "default",
          body: sts([{ name: "sidecar", image: "s:1" }]),
          fieldManager: "injector",
        },
        as(PatchStrategy.ServerSideApply),
      );
      expect(out.spec?.template.spec?.containers.map((c) => c.name)).toEqual(["main", "sidecar"]);
    });
  });
});
