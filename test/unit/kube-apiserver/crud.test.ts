import { AppsV1Api, CoreV1Api, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

/** client-node throws ApiException with the Status body as a JSON string. */
async function failure(p: Promise<unknown>): Promise<{ code: number; body: Record<string, unknown> }> {
  try {
    await p;
  } catch (e) {
    const err = e as { code: number; body: string };
    return { code: err.code, body: JSON.parse(err.body) };
  }
  throw new Error("expected the request to fail");
}

describe("test API server: CRUD through @kubernetes/client-node", () => {
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

  it("serves a real HTTP URL and a kubeconfig", () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(kc.getCurrentCluster()?.server).toBe(server.url);
  });

  it("creates, reads, replaces and deletes a ConfigMap with uid, timestamps and resourceVersion", async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "cm1", labels: { app: "x" } }, data: { a: "1" } },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata?.creationTimestamp).toBeInstanceOf(Date);
    const rv1 = Number(created.metadata?.resourceVersion);
    expect(rv1).toBeGreaterThan(0);
    const read = await core.readNamespacedConfigMap({ name: "cm1", namespace: "default" });
    expect(read.data).toEqual({ a: "1" });
    read.data = { a: "2" };
    const replaced = await core.replaceNamespacedConfigMap({ name: "cm1", namespace: "default", body: read });
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(rv1);
    expect(replaced.metadata?.uid).toBe(created.metadata?.uid);
    await core.deleteNamespacedConfigMap({ name: "cm1", namespace: "default" });
    const nf = await failure(core.readNamespacedConfigMap({ name: "cm1", namespace: "default" }));
    expect(nf.code).toBe(404);
    expect(nf.body).toMatchObject({ kind: "Status", status: "Failure", reason: "NotFound", code: 404 });
    expect(nf.body.details).toMatchObject({ name: "cm1", kind: "configmaps" });
  });

  it("answers 409 Conflict to an update with a stale resourceVersion", async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "cm2" } },
    });
    await core.replaceNamespacedConfigMap({
      name: "cm2",
      namespace: "default",
      body: { ...cm, data: { v: "1" } },
    });
    const c = await failure(
      core.replaceNamespacedConfigMap({
        name: "cm2",
        namespace: "default",
        body: { ...cm, data: { v: "2" } },
      }),
    );
    expect(c.code).toBe(409);
    expect(c.body).toMatchObject({ reason: "Conflict", code: 409 });
    expect(String(c.body.message)).toContain("the object has been modified");
  });

  it("answers 409 AlreadyExists and 404 for a missing namespace", async () => {
    await core.createNamespacedSecret({
      namespace: "default",
      body: { metadata: { name: "s1" }, stringData: { pw: "hi" } },
    });
    const s = await core.readNamespacedSecret({ name: "s1", namespace: "default" });
    expect(s.data).toEqual({ pw: Buffer.from("hi").toString("base64") });
    expect(s.type).toBe("Opaque");
    const dup = await failure(
      core.createNamespacedSecret({ namespace: "default", body: { metadata: { name: "s1" } } }),
    );
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({ reason: "AlreadyExists", details: { name: "s1", kind: "secrets" } });
    const raw = await failure(
      core.createNamespacedSecret({
        namespace: "default",
        body: { metadata: { name: "s2" }, data: { pw: "not base64!" } },
      }),
    );
    expect(raw.code).toBe(400);
    const noNs = await failure(
      core.createNamespacedSecret({ namespace: "nope", body: { metadata: { name: "s1" } } }),
    );
    expect(noNs.code).toBe(404);
    expect(String(noNs.body.message)).toContain('namespaces "nope" not found');
  });

  it("generates names and rejects invalid ones with 422", async () => {
    const sa = await core.createNamespacedServiceAccount({
      namespace: "default",
      body: { metadata: { generateName: "sa-" } },
    });
    expect(sa.metadata?.name).toMatch(/^sa-[a-z0-9]{5}$/);
    const bad = await failure(
      core.createNamespacedServiceAccount({ namespace: "default", body: { metadata: { name: "Bad_Name" } } }),
    );
    expect(bad.code).toBe(422);
    expect(bad.body).toMatchObject({ reason: "Invalid" });
  });

  it("lists across namespaces with label and field selectors", async () => {
    const ns = await core.createNamespace({ body: { metadata: { name: "team-a" } } });
    expect(ns.metadata?.labels).toEqual({ "kubernetes.io/metadata.name": "team-a" });
    expect(ns.status?.phase).toBe("Active");
    await core.readNamespacedServiceAccount({ name: "default", namespace: "team-a" });
    for (const [ns, name, tier] of [
      ["default", "p1", "web"],
      ["team-a", "p2", "web"],
      ["team-a", "p3", "db"],
    ]) {
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name, labels: { tier } },
          spec: { containers: [{ name: "c", image: "busybox" }] },
        },
      });
    }
    const all = await core.listPodForAllNamespaces({ labelSelector: "tier in (web,db)" });
    expect(all.items.map((p) => p.metadata?.name)).toEqual(["p1", "p2", "p3"]);
    const web = await core.listPodForAllNamespaces({ labelSelector: "tier=web" });
    expect(web.items.map((p) => p.metadata?.name)).toEqual(["p1", "p2"]);
    const notWeb = await core.listNamespacedPod({ namespace: "team-a", labelSelector: "tier!=web" });
    expect(notWeb.items.map((p) => p.metadata?.name)).toEqual(["p3"]);
    const page1 = await core.listPodForAllNamespaces({ limit: 2 });
    expect(page1.items.map((p) => p.metadata?.name)).toEqual(["p1", "p2"]);
    expect(page1.metadata?.remainingItemCount).toBe(1);
    const page2 = await core.listPodForAllNamespaces({ limit: 2, _continue: page1.metadata?._continue });
    expect(page2.items.map((p) => p.metadata?.name)).toEqual(["p3"]);
    expect(page2.metadata?._continue).toBeUndefined();
    expect(page2.metadata?.resourceVersion).toBe(page1.metadata?.resourceVersion);
    const byName = await core.listNamespacedPod({ namespace: "team-a", fieldSelector: "metadata.name=p2" });
    expect(byName.items.map((p) => p.metadata?.name)).toEqual(["p2"]);
    expect(Number(all.metadata?.resourceVersion)).toBeGreaterThan(0);
    // Defaults the real server applies and a controller might read.
    expect(byName.items[0].status?.phase).toBe("Pending");
    expect(byName.items[0].spec?.restartPolicy).toBe("Always");
  });

  it("bumps generation on spec changes only and keeps status behind the status subresource", async () => {
    const sts = await apps.createNamespacedStatefulSet({
      namespace: "default",
      body: {
        metadata: { name: "web" },
        spec: {
          serviceName: "web",
          replicas: 1,
          selector: { matchLabels: { app: "web" } },
          template: {
            metadata: { labels: { app: "web" } },
            spec: { containers: [{ name: "c", image: "nginx:1" }] },
          },
        },
        status: { replicas: 7 },
      },
    });
    expect(sts.metadata?.generation).toBe(1);
    expect(sts.status?.replicas).toBe(0); // status on create is ignored
    const labelled = await apps.replaceNamespacedStatefulSet({
      name: "web",
      namespace: "default",
      body: { ...sts, metadata: { ...sts.metadata, labels: { x: "y" } } },
    });
    expect(labelled.metadata?.generation).toBe(1);
    const withStatus = await apps.replaceNamespacedStatefulSetStatus({
      name: "web",
      namespace: "default",
      body: {
        ...labelled,
        spec: { ...labelled.spec!, replicas: 9 },
        status: { replicas: 1, readyReplicas: 1 },
      },
    });
    expect(withStatus.status?.readyReplicas).toBe(1);
    expect(withStatus.spec?.replicas).toBe(1); // status endpoint ignores spec
    expect(withStatus.metadata?.generation).toBe(1);
    const scaled = await apps.replaceNamespacedStatefulSet({
      name: "web",
      namespace: "default",
      body: { ...withStatus, spec: { ...withStatus.spec!, replicas: 3 }, status: { replicas: 99 } },
    });
    expect(scaled.metadata?.generation).toBe(2);
    expect(scaled.status?.readyReplicas).toBe(1); // main endpoint ignores status
  });

  it("serves the scale subresource of statefulsets", async () => {
    const scale = await apps.readNamespacedStatefulSetScale({ name: "web", namespace: "default" });
    expect(scale).toMatchObject({ kind: "Scale", spec: { replicas: 3 }, status: { selector: "app=web" } });
    const put = await apps.replaceNamespacedStatefulSetScale({
      name: "web",
      namespace: "default",
      body: { ...scale, spec: { replicas: 4 } },
    });
    expect(put.spec?.replicas).toBe(4);
    const stale = await failure(
      apps.replaceNamespacedStatefulSetScale({
        name: "web",
        namespace: "default",
        body: { ...scale, spec: { replicas: 5 } },
      }),
    );
    expect(stale.code).toBe(409);
    const sts = await apps.readNamespacedStatefulSet({ name: "web", namespace: "default" });
    expect(sts.spec?.replicas).toBe(4);
    expect(sts.metadata?.generation).toBe(3);
  });

  it("enforces the immutable fields of built-ins that controllers trip over", async () => {
    const sts = await apps.readNamespacedStatefulSet({ name: "web", namespace: "default" });
    const forbidden = await failure(
      apps.replaceNamespacedStatefulSet({
        name: "web",
        namespace: "default",
        body: {
          ...sts,
          spec: {
            ...sts.spec!,
            volumeClaimTemplates: [
              { metadata: { name: "data" }, spec: { resources: { requests: { storage: "1Gi" } } } },
            ],
          },
        },
      }),
    );
    expect(forbidden.code).toBe(422);
    expect(String(forbidden.body.message)).toContain("updates to statefulset spec for fields other than");
    const template = await apps.replaceNamespacedStatefulSet({
      name: "web",
      namespace: "default",
      body: {
        ...sts,
        spec: {
          ...sts.spec!,
          template: { ...sts.spec!.template, metadata: { labels: { app: "web" }, annotations: { r: "1" } } },
        },
      },
    });
    expect(template.spec?.template.metadata?.annotations).toEqual({ r: "1" });

    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "frozen" }, data: { a: "1" }, immutable: true },
    });
    const frozen = await failure(
      core.replaceNamespacedConfigMap({
        name: "frozen",
        namespace: "default",
        body: { ...cm, data: { a: "2" } },
      }),
    );
    expect(frozen.code).toBe(422);
    await core.replaceNamespacedConfigMap({
      name: "frozen",
      namespace: "default",
      body: { ...cm, metadata: { ...cm.metadata, labels: { ok: "yes" } } },
    });

    const pod = await core.readNamespacedPod({ name: "p1", namespace: "default" });
    const image = await core.replaceNamespacedPod({
      name: "p1",
      namespace: "default",
      body: {
        ...pod,
        spec: { ...pod.spec!, containers: [{ ...pod.spec!.containers[0], image: "busybox:2" }] },
      },
    });
    expect(image.spec?.containers[0].image).toBe("busybox:2");
    const env = await failure(
      core.replaceNamespacedPod({
        name: "p1",
        namespace: "default",
        body: {
          ...image,
          spec: {
            ...image.spec!,
            containers: [{ ...image.spec!.containers[0], env: [{ name: "A", value: "1" }] }],
          },
        },
      }),
    );
    expect(String(env.body.message)).toContain("pod updates may not change fields");
  });

  it("validates the built-in fields controllers most often get wrong", async () => {
    const causes = async (p: Promise<unknown>) => {
      const f = await failure(p);
      expect(f.code).toBe(422);
      return ((f.body.details as { causes: { field: string }[] }).causes ?? []).map((c) => c.field);
    };
    const longPort = core.createNamespacedPod({
      namespace: "default",
      body: {
        metadata: { name: "bad-pod", labels: { ok: "x".repeat(64) } },
        spec: {
          containers: [
            {
              name: "c",
              image: "x",
              ports: [{ name: "controller-listener", containerPort: 9093 }],
              volumeMounts: [{ name: "data", mountPath: "/d" }],
            },
          ],
        },
      },
    });
    expect(await causes(longPort)).toEqual([
      "metadata.labels",
      "spec.containers[0].ports[0].name",
      "spec.containers[0].volumeMounts[0].name",
    ]);
    const svc = core.createNamespacedService({
      namespace: "default",
      body: { metadata: { name: "svc" }, spec: { ports: [{ port: 1 }, { port: 2 }] } },
    });
    expect(await causes(svc)).toEqual(["spec.ports[0].name", "spec.ports[1].name"]);
    const sts = apps.createNamespacedStatefulSet({
      namespace: "default",
      body: {
        metadata: { name: "mismatch" },
        spec: {
          serviceName: "m",
          selector: { matchLabels: { app: "a" } },
          template: { metadata: { labels: { app: "b" } }, spec: { containers: [] } },
        },
      },
    });
    expect(await causes(sts)).toEqual(["spec.template.metadata.labels"]);
  });

  it("answers malformed requests with Status errors and keeps serving", async () => {
    const call = async (method: string, path: string, body?: string, contentType = "application/json") => {
      const r = await fetch(server.url + path, { method, body, headers: { "content-type": contentType } });
      return { status: r.status, body: (await r.json()) as { kind: string; reason: string } };
    };
    expect(await call("POST", "/api/v1/namespaces/default/configmaps", "{not json")).toMatchObject({
      status: 400,
      body: { kind: "Status", reason: "BadRequest" },
    });
    expect((await call("GET", "/apis/nope.io/v1/things")).status).toBe(404);
    expect((await call("GET", "/api/v1/namespaces/default/configmaps/x/bogus")).status).toBe(404);
    expect(
      (await call("PATCH", "/api/v1/namespaces/default/configmaps/cm2", "{}", "text/plain")).status,
    ).toBe(415);
    expect((await call("POST", "/api/v1/configmaps", "{}")).status).toBe(405);
    expect((await call("GET", "/api/v1/namespaces/default/configmaps/%E0%A4%A")).status).toBe(400);
    expect(
      (
        await call(
          "POST",
          "/api/v1/namespaces/default/configmaps",
          '{"kind":"Secret","metadata":{"name":"k"}}',
        )
      ).status,
    ).toBe(400);
    expect((await call("GET", "/api/v1/namespaces/default/configmaps?labelSelector=a%20b%20c")).status).toBe(
      400,
    );
    expect((await call("GET", "/version")).status).toBe(200);
  });

  it("does not bump resourceVersion for a no-op update", async () => {
    const cm = await core.createNamespacedConfigMap({
      namespace: "default",
      body: { metadata: { name: "noop" }, data: { a: "1" } },
    });
    const again = await core.replaceNamespacedConfigMap({ name: "noop", namespace: "default", body: cm });
    expect(again.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);
  });

  it("serves custom resources with status subresource through CustomObjectsApi", async () => {
    const args = { group: "example.gregor.io", version: "v1alpha1", namespace: "default", plural: "widgets" };
    const w = (await custom.createNamespacedCustomObject({
      ...args,
      body: {
        apiVersion: "example.gregor.io/v1alpha1",
        kind: "Widget",
        metadata: { name: "w1" },
        spec: { size: 2 },
      },
    })) as { metadata: { generation: number; resourceVersion: string }; spec: Record<string, unknown> };
    expect(w.metadata.generation).toBe(1);
    expect(w.spec.color).toBe("green"); // schema default
    const st = (await custom.replaceNamespacedCustomObjectStatus({
      ...args,
      name: "w1",
      body: { ...w, status: { phase: "Ready", observedGeneration: 1 } },
    })) as { metadata: { generation: number }; status: { phase: string } };
    expect(st.status.phase).toBe("Ready");
    expect(st.metadata.generation).toBe(1);
    const got = (await custom.getNamespacedCustomObject({ ...args, name: "w1" })) as {
      status: { phase: string };
    };
    expect(got.status.phase).toBe("Ready");
    // Custom resources refuse updates without resourceVersion, like the real server.
    const norv = await failure(
      custom.replaceNamespacedCustomObject({
        ...args,
        name: "w1",
        body: {
          apiVersion: "example.gregor.io/v1alpha1",
          kind: "Widget",
          metadata: { name: "w1" },
          spec: { size: 3 },
        },
      }),
    );
    expect(norv.code).toBe(422);
    const list = (await custom.listClusterCustomObject({
      group: args.group,
      version: args.version,
      plural: "widgets",
    })) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(1);
  });
});
