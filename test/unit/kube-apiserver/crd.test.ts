import { ApiextensionsV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const G = { group: "example.gregor.io", version: "v1alpha1", namespace: "default", plural: "widgets" };

async function failure(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: number; body: string };
    return { code: err.code, body: JSON.parse(err.body) };
  }
  throw new Error("expected the request to fail");
}

// biome-ignore lint/suspicious/noExplicitAny: free-form custom objects in tests.
type Obj = any;

describe("test API server: custom resources and their schemas", () => {
  let server: KubeApiServer;
  let kc: KubeConfig;
  let custom: CustomObjectsApi;
  let ext: ApiextensionsV1Api;
  const widget = (name: string, spec: Obj) => ({
    apiVersion: "example.gregor.io/v1alpha1",
    kind: "Widget",
    metadata: { name },
    spec,
  });
  const get = async (path: string, accept = "application/json") => {
    const r = await fetch(server.url + path, { headers: { accept } });
    return { status: r.status, body: (await r.json()) as Obj };
  };

  beforeAll(async () => {
    server = await startKubeApiServer({ crdFiles: [`${FIXTURES}widgets-crd.yaml`] });
    kc = server.kubeConfig();
    custom = kc.makeApiClient(CustomObjectsApi);
    ext = kc.makeApiClient(ApiextensionsV1Api);
  });
  afterAll(async () => {
    await server?.close();
  });

  it("validates required, minimum, enum and pattern with 422 Invalid and field causes", async () => {
    const missing = await failure(custom.createNamespacedCustomObject({ ...G, body: widget("bad1", {}) }));
    expect(missing.code).toBe(422);
    expect(missing.body).toMatchObject({ reason: "Invalid", details: { kind: "Widget", name: "bad1" } });
    expect((missing.body.details as Obj).causes).toContainEqual(
      expect.objectContaining({ field: "spec.size", reason: "FieldValueRequired" }),
    );
    const many = await failure(
      custom.createNamespacedCustomObject({
        ...G,
        body: widget("bad2", { size: 0, color: "pink", owner: "Not-Valid" }),
      }),
    );
    const fields = ((many.body.details as Obj).causes as Obj[]).map((c) => c.field).sort();
    expect(fields).toEqual(["spec.color", "spec.owner", "spec.size"]);
    expect(String(many.body.message)).toContain('Unsupported value: "pink"');
  });

  it("prunes unknown fields (kept under x-kubernetes-preserve-unknown-fields) and applies defaults", async () => {
    const w = (await custom.createNamespacedCustomObject({
      ...G,
      body: {
        // A null for a non-nullable field is dropped, then defaulted (color: green).
        ...widget("prune", {
          size: 1,
          bogus: true,
          extra: { anything: { goes: 1 } },
          labels: { a: "b" },
          color: null,
        }),
        junk: 1,
      },
    })) as Obj;
    expect(w.spec).toEqual({ size: 1, color: "green", extra: { anything: { goes: 1 } }, labels: { a: "b" } });
    expect(w.junk).toBeUndefined();
  });

  it("rejects unknown fields with fieldValidation=Strict", async () => {
    const strict = await failure(
      custom.createNamespacedCustomObject({
        ...G,
        body: widget("strict", { size: 1, bogus: true }),
        fieldValidation: "Strict",
      }),
    );
    expect(strict.code).toBe(400);
    expect(String(strict.body.message)).toContain('unknown field "spec.bogus"');
  });

  it("evaluates the `self == oldSelf` transition rule", async () => {
    const w = (await custom.createNamespacedCustomObject({
      ...G,
      body: widget("immut", { size: 1, storageClass: "fast" }),
    })) as Obj;
    const r = await failure(
      custom.replaceNamespacedCustomObject({
        ...G,
        name: "immut",
        body: { ...w, spec: { ...w.spec, storageClass: "slow" } },
      }),
    );
    expect(r.code).toBe(422);
    expect(String(r.body.message)).toContain("storageClass is immutable");
    const ok = (await custom.replaceNamespacedCustomObject({
      ...G,
      name: "immut",
      body: { ...w, spec: { ...w.spec, size: 2 } },
    })) as Obj;
    expect(ok.metadata.generation).toBe(2);
  });

  it("evaluates CEL x-kubernetes-validations rules with fieldPath and messages", async () => {
    const owned = await failure(
      custom.createNamespacedCustomObject({ ...G, body: widget("cel1", { size: 7, owner: "bob" }) }),
    );
    expect(owned.code).toBe(422);
    expect((owned.body.details as Obj).causes).toContainEqual(
      expect.objectContaining({
        field: "spec.owner",
        message: 'Invalid value: "object": big widgets cannot have an owner',
      }),
    );
    await custom.createNamespacedCustomObject({ ...G, body: widget("cel2", { size: 3, owner: "bob" }) });
    const ports = await failure(
      custom.createNamespacedCustomObject({
        ...G,
        body: widget("cel3", {
          size: 1,
          ports: [
            { name: "a", port: 1 },
            { name: "b", port: 1 },
          ],
        }),
      }),
    );
    expect(String(ports.body.message)).toContain(
      'spec.ports: Invalid value: "array": ports must be distinct',
    );
  });

  it("serves a CRD created at runtime, cluster-scoped, in discovery and at its paths; deleting it removes its objects", async () => {
    await ext.createCustomResourceDefinition({
      body: {
        metadata: { name: "gadgets.example.gregor.io" },
        spec: {
          group: "example.gregor.io",
          scope: "Cluster",
          names: { plural: "gadgets", singular: "gadget", kind: "Gadget", shortNames: ["gd"] },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
            },
            {
              name: "v1beta1",
              served: true,
              storage: false,
              schema: { openAPIV3Schema: { type: "object", x_kubernetes_preserve_unknown_fields: true } },
            },
          ],
        },
      },
    });
    const crd = await ext.readCustomResourceDefinition({ name: "gadgets.example.gregor.io" });
    expect(crd.status?.conditions?.find((c) => c.type === "Established")?.status).toBe("True");
    const disco = await get("/apis/example.gregor.io/v1");
    expect(disco.body.resources).toContainEqual(
      expect.objectContaining({ name: "gadgets", kind: "Gadget", namespaced: false, shortNames: ["gd"] }),
    );
    const group = await get("/apis/example.gregor.io");
    expect(group.body.preferredVersion.version).toBe("v1");
    expect(group.body.versions.map((v: Obj) => v.version)).toEqual(["v1", "v1beta1", "v1alpha1"]);
    await custom.createClusterCustomObject({
      group: "example.gregor.io",
      version: "v1",
      plural: "gadgets",
      body: {
        apiVersion: "example.gregor.io/v1",
        kind: "Gadget",
        metadata: { name: "g1" },
        anything: { x: 1 },
      },
    });
    // Another served version reads the same object (no conversion).
    const viaBeta = (await custom.getClusterCustomObject({
      group: "example.gregor.io",
      version: "v1beta1",
      plural: "gadgets",
      name: "g1",
    })) as Obj;
    expect(viaBeta).toMatchObject({ apiVersion: "example.gregor.io/v1beta1", anything: { x: 1 } });
    await ext.deleteCustomResourceDefinition({ name: "gadgets.example.gregor.io" });
    expect((await get("/apis/example.gregor.io/v1/gadgets")).status).toBe(404);
    const all = await get("/apis/example.gregor.io");
    expect(all.body.versions.map((v: Obj) => v.version)).toEqual(["v1alpha1"]);
  });

  it("answers Table requests with the CRD's printer columns", async () => {
    await custom.createNamespacedCustomObject({ ...G, body: widget("tbl", { size: 7 }) });
    await custom.patchNamespacedCustomObjectStatus({
      ...G,
      name: "tbl",
      body: [{ op: "add", path: "/status", value: { conditions: [{ type: "Ready", status: "True" }] } }],
    });
    const t = await get(
      "/apis/example.gregor.io/v1alpha1/namespaces/default/widgets?fieldSelector=metadata.name%3Dtbl",
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json",
    );
    expect(t.body.kind).toBe("Table");
    expect(t.body.columnDefinitions.map((c: Obj) => c.name)).toEqual(["Name", "Size", "Ready", "Age"]);
    expect(t.body.rows[0].cells.slice(0, 3)).toEqual(["tbl", 7, "True"]);
    expect(t.body.rows[0].cells[3]).toMatch(/^\d+s$/);
  });

  it("serves /version, /api and /apis discovery", async () => {
    expect((await get("/version")).body).toMatchObject({ major: "1", minor: "31" });
    expect((await get("/api")).body).toMatchObject({ kind: "APIVersions", versions: ["v1"] });
    const apis = (await get("/apis")).body;
    const names = apis.groups.map((g: Obj) => g.name);
    for (const g of [
      "apps",
      "policy",
      "coordination.k8s.io",
      "rbac.authorization.k8s.io",
      "apiextensions.k8s.io",
      "example.gregor.io",
    ]) {
      expect(names).toContain(g);
    }
    const core = (await get("/api/v1")).body;
    expect(core.resources).toContainEqual(expect.objectContaining({ name: "pods/status" }));
    expect(core.resources).toContainEqual(
      expect.objectContaining({ name: "configmaps", shortNames: ["cm"], namespaced: true }),
    );
  });
});
