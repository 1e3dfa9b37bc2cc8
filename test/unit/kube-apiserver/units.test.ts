// Pure pieces of the test API server: selectors, patches, field ownership, JSONPath, version order.
import { describe, expect, it } from "vitest";
import { recordUpdate, serverSideApply } from "../../harness/kube/apply.js";
import { compareVersions } from "../../harness/kube/discovery.js";
import { ApiError } from "../../harness/kube/errors.js";
import { jsonPatch, mergePatch, strategicMerge } from "../../harness/kube/patch.js";
import { fieldMatcher, labelMatcher } from "../../harness/kube/selectors.js";
import { evalJsonPath, humanAge } from "../../harness/kube/table.js";
import type { KObject } from "../../harness/kube/types.js";

const obj = (labels: Record<string, string>, extra: Record<string, unknown> = {}): KObject => ({
  metadata: { name: "n", namespace: "ns", labels },
  ...extra,
});

describe("selectors", () => {
  it("matches equality, inequality, set and existence requirements", () => {
    const o = obj({ app: "web", tier: "front" });
    expect(labelMatcher("app=web,tier==front")(o)).toBe(true);
    expect(labelMatcher("app!=web")(o)).toBe(false);
    expect(labelMatcher("app in (db, web),tier notin (back)")(o)).toBe(true);
    expect(labelMatcher("app notin (web)")(o)).toBe(false);
    expect(labelMatcher("tier")(o)).toBe(true);
    expect(labelMatcher("!tier")(o)).toBe(false);
    expect(labelMatcher("missing!=x")(o)).toBe(true);
    expect(() => labelMatcher("a b c")).toThrow(ApiError);
  });

  it("matches field selectors on dotted paths", () => {
    const o = obj({}, { status: { phase: "Running" } });
    expect(fieldMatcher("metadata.name=n,metadata.namespace==ns")(o)).toBe(true);
    expect(fieldMatcher("status.phase!=Running")(o)).toBe(false);
    expect(fieldMatcher("metadata.name=other")(o)).toBe(false);
  });
});

describe("patches", () => {
  it("merge patch replaces lists and deletes nulls", () => {
    expect(mergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({
      a: { c: 2, d: 3 },
      l: [3],
    });
  });

  it("JSON patch supports add/remove/replace/move/copy/test and escapes", () => {
    const out = jsonPatch({ a: { "x/y": 1 }, l: [1, 2] }, [
      { op: "add", path: "/l/-", value: 3 },
      { op: "add", path: "/l/0", value: 0 },
      { op: "move", from: "/a/x~1y", path: "/b" },
      { op: "copy", from: "/b", path: "/c" },
      { op: "replace", path: "/c", value: 9 },
      { op: "test", path: "/b", value: 1 },
      { op: "remove", path: "/l/1" },
    ]);
    expect(out).toEqual({ a: {}, l: [0, 2, 3], b: 1, c: 9 });
    expect(() => jsonPatch({}, [{ op: "replace", path: "/missing", value: 1 }])).toThrow(ApiError);
    expect(() => jsonPatch({}, [{ op: "remove", path: "/missing" }])).toThrow(ApiError);
  });

  it("strategic merge honours $patch, $retainKeys, $deleteFromPrimitiveList and keyed lists", () => {
    const cur = {
      metadata: { finalizers: ["a", "b"] },
      spec: {
        strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } },
        containers: [
          { name: "x", image: "x:1", ports: [{ containerPort: 80, name: "http" }] },
          { name: "y", image: "y:1" },
        ],
        tolerations: [{ key: "k" }],
      },
    };
    const out = strategicMerge(cur, {
      metadata: { finalizers: ["c"], "$deleteFromPrimitiveList/finalizers": ["a"] },
      spec: {
        strategy: { $retainKeys: ["type"], type: "Recreate" },
        "$setElementOrder/containers": [{ name: "x" }, { name: "z" }],
        containers: [
          { name: "x", ports: [{ containerPort: 81 }] },
          { name: "y", $patch: "delete" },
          { name: "z", image: "z:1" },
        ],
        tolerations: [{ key: "other" }],
      },
    });
    expect(out.metadata.finalizers).toEqual(["b", "c"]);
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
    expect(out.spec.containers).toEqual([
      { name: "x", image: "x:1", ports: [{ containerPort: 80, name: "http" }, { containerPort: 81 }] },
      { name: "z", image: "z:1" },
    ]);
    expect(out.spec.tolerations).toEqual([{ key: "other" }]);
    expect(strategicMerge({ m: { a: 1 } }, { m: { $patch: "replace", b: 2 } })).toEqual({ m: { b: 2 } });
    const reordered = strategicMerge(
      { containers: [{ name: "a" }, { name: "b" }, { name: "server-added" }], finalizers: ["x", "y"] },
      {
        "$setElementOrder/containers": [{ name: "b" }, { name: "a" }],
        "$setElementOrder/finalizers": ["y", "x"],
      },
    );
    expect(reordered.containers.map((c: { name: string }) => c.name)).toEqual(["b", "a", "server-added"]);
    expect(reordered.finalizers).toEqual(["y", "x"]);
  });
});

describe("server-side apply ownership", () => {
  const target = { group: "", plural: "configmaps", name: "n" };
  const cm = (data: Record<string, string>): KObject => ({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "n" },
    data,
  });

  it("tracks leaves, conflicts on differing values, shares equal ones and removes dropped fields", () => {
    const first = serverSideApply(undefined, cm({ a: "1", b: "1" }), "m1", false, new Map(), target);
    expect(first.merged.data).toEqual({ a: "1", b: "1" });
    const second = serverSideApply(first.merged, cm({ b: "1", c: "2" }), "m2", false, first.owners, target);
    expect(second.merged.data).toEqual({ a: "1", b: "1", c: "2" });
    expect(() => serverSideApply(second.merged, cm({ a: "x" }), "m2", false, second.owners, target)).toThrow(
      /conflict with "m1": \.data\.a/,
    );
    // m1 drops b: m2 co-owns it, so it stays; m1 drops a: nobody else owns it, so it goes.
    const third = serverSideApply(second.merged, cm({}), "m1", false, second.owners, target);
    expect(third.merged.data).toEqual({ b: "1", c: "2" });
  });

  it("gives changed fields of a plain update to its manager", () => {
    const applied = serverSideApply(undefined, cm({ a: "1" }), "op", false, new Map(), target);
    const edited = { ...applied.merged, data: { a: "2" } };
    const owners = recordUpdate(applied.merged, edited, "human", applied.owners);
    expect(owners.has("op")).toBe(false);
    expect(() => serverSideApply(edited, cm({ a: "3" }), "op", false, owners, target)).toThrow(
      /conflict with "human"/,
    );
    expect(serverSideApply(edited, cm({ a: "3" }), "op", true, owners, target).merged.data).toEqual({
      a: "3",
    });
  });

  it("treats finalizers as a set: managers own their own elements", () => {
    const fin = (finalizers: string[]): KObject => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "n", finalizers },
    });
    const a = serverSideApply(undefined, fin(["a/x"]), "a", false, new Map(), target);
    const b = serverSideApply(a.merged, fin(["b/y"]), "b", false, a.owners, target);
    expect(b.merged.metadata.finalizers).toEqual(["a/x", "b/y"]);
    const c = serverSideApply(b.merged, fin([]), "a", false, b.owners, target);
    expect(c.merged.metadata.finalizers).toEqual(["b/y"]);
  });

  it("removes list items a manager stopped applying", () => {
    const pod = (names: string[]): KObject => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: names.map((name) => ({ name, image: `${name}:1` })) },
    });
    const a = serverSideApply(undefined, pod(["x", "y"]), "op", false, new Map(), {
      ...target,
      plural: "pods",
    });
    const b = serverSideApply(a.merged, pod(["x"]), "op", false, a.owners, { ...target, plural: "pods" });
    expect(b.merged.spec.containers).toEqual([{ name: "x", image: "x:1" }]);
  });
});

describe("table helpers", () => {
  it("evaluates the JSONPath subset printer columns use", () => {
    const o = {
      status: {
        conditions: [
          { type: "A", status: "False" },
          { type: "Ready", status: "True" },
        ],
      },
      spec: { l: [1, 2] },
    };
    expect(evalJsonPath(o, '.status.conditions[?(@.type=="Ready")].status')).toEqual(["True"]);
    expect(evalJsonPath(o, ".spec.l[1]")).toEqual([2]);
    expect(evalJsonPath(o, "{.spec.l[*]}")).toEqual([1, 2]);
    expect(evalJsonPath(o, ".spec.missing")).toEqual([]);
    const labelled = { metadata: { labels: { "kafka.gregor.dev/cluster": "demo" } } };
    expect(evalJsonPath(labelled, ".metadata.labels.kafka\\.gregor\\.dev/cluster")).toEqual(["demo"]);
  });

  it("prints ages like kubectl", () => {
    const now = Date.parse("2024-01-02T00:00:00Z");
    expect(humanAge("2024-01-01T23:59:30Z", now)).toBe("30s");
    expect(humanAge("2024-01-01T23:55:30Z", now)).toBe("4m30s");
    expect(humanAge("2024-01-01T22:00:00Z", now)).toBe("120m");
    expect(humanAge("2024-01-01T00:00:00Z", now)).toBe("24h");
    expect(humanAge("2023-12-29T00:00:00Z", now)).toBe("4d");
  });

  it("orders versions GA, beta, alpha", () => {
    expect(["v1alpha1", "v1beta1", "v2", "v1", "v2beta1"].sort(compareVersions)).toEqual([
      "v2",
      "v1",
      "v2beta1",
      "v1beta1",
      "v1alpha1",
    ]);
  });
});
