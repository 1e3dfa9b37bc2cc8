/**
 * Evaluates the CRDs' x-kubernetes-validations rules with an independent CEL implementation, the way
 * the API server applies them (self, and oldSelf for transition rules on correlatable nodes), so a
 * rule that does not parse or says the wrong thing fails here rather than on a real cluster.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { evaluate } from "@marcbachmann/cel-js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildCrds } from "../../../operator/crd/crd.js";

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
  "x-kubernetes-validations"?: Array<{ rule: string; message: string }>;
  "x-kubernetes-list-type"?: string;
  "x-kubernetes-list-map-keys"?: string[];
};

/** CEL integers are int64: JSON integers become BigInt as the API server's decoder would. */
function celValue(v: unknown): unknown {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(celValue);
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, celValue(x)]));
  return v;
}

function violations(schema: Schema, value: unknown, old: unknown, correlated = true): string[] {
  if (value === undefined) return [];
  const out: string[] = [];
  for (const r of schema["x-kubernetes-validations"] ?? []) {
    const transition = /\boldSelf\b/.test(r.rule);
    if (transition && (!correlated || old === undefined)) continue;
    const ok = evaluate(r.rule, { self: celValue(value), ...(transition ? { oldSelf: celValue(old) } : {}) });
    if (ok !== true) out.push(r.message);
  }
  if (schema.properties && value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const p = (old ?? {}) as Record<string, unknown>;
    for (const [k, s] of Object.entries(schema.properties))
      out.push(...violations(s, o[k], p[k], correlated));
  }
  if (schema.items && Array.isArray(value)) {
    const keys =
      schema["x-kubernetes-list-type"] === "map" ? schema["x-kubernetes-list-map-keys"] : undefined;
    for (const item of value) {
      const match =
        keys && Array.isArray(old)
          ? old.find((x) => keys.every((k) => x?.[k] === (item as Record<string, unknown>)[k]))
          : undefined;
      out.push(...violations(schema.items, item, match, correlated && keys !== undefined));
    }
  }
  return out;
}

function schemaOf(kind: string): Schema {
  const crd = buildCrds().find((c) => (c.spec as { names: { kind: string } }).names.kind === kind)!;
  return (crd.spec as { versions: Array<{ schema: { openAPIV3Schema: Schema } }> }).versions[0]!.schema
    .openAPIV3Schema;
}

const clusterSchema = schemaOf("KafkaCluster");
const topicSchema = schemaOf("KafkaTopic");
const example = (f: string) =>
  parse(readFileSync(join(import.meta.dirname, "../../../deploy/examples", f), "utf8")) as Record<
    string,
    unknown
  >;

const spec = (s: Record<string, unknown>) => ({ spec: s });
const pools = (...p: Array<Record<string, unknown>>) => ({ nodePools: p });

describe("CEL rules in the CRDs", () => {
  it("accept the examples, on create and on an unchanged update", () => {
    for (const f of ["kafkacluster-combined.yaml", "kafkacluster-split.yaml"]) {
      const o = example(f);
      expect(violations(clusterSchema, o, undefined)).toEqual([]);
      expect(violations(clusterSchema, o, structuredClone(o))).toEqual([]);
    }
    const t = example("kafkatopic-orders.yaml");
    expect(violations(topicSchema, t, structuredClone(t))).toEqual([]);
  });

  it("refuse keys the operator owns, each with its reason", () => {
    const v = violations(
      clusterSchema,
      spec({ config: { "node.id": 1, "log.dirs": "/x", "num.partitions": 3 } }),
      undefined,
    );
    expect(v).toEqual([
      "node.id is managed by the operator: node ids are assigned per pool (nodeIdStart + pod ordinal)",
      "log.dirs is managed by the operator: data lives on the pool's persistent volume",
    ]);
  });

  it("need a controller pool and a broker pool", () => {
    expect(
      violations(clusterSchema, spec(pools({ name: "b", roles: ["broker"], replicas: 3 })), undefined),
    ).toEqual(["at least one pool needs the controller role"]);
    expect(
      violations(clusterSchema, spec(pools({ name: "c", roles: ["controller"], replicas: 3 })), undefined),
    ).toEqual(["at least one pool needs the broker role"]);
  });

  it("refuse reserved and duplicate listener ports", () => {
    const l = (name: string, port: number) => ({ name, port, type: "internal" });
    expect(violations(clusterSchema, spec({ listeners: [l("a", 9093)] }), undefined)).toEqual([
      "ports 9093 (controller) and 9404 (health/metrics) are reserved",
    ]);
    expect(violations(clusterSchema, spec({ listeners: [l("a", 9092), l("b", 9092)] }), undefined)).toEqual([
      "listener ports must be distinct",
    ]);
  });

  it("keep nodeIdStart, roles and storage class of a pool immutable", () => {
    const before = spec(
      pools({
        name: "p",
        roles: ["broker", "controller"],
        replicas: 3,
        nodeIdStart: 0,
        storage: { storageClassName: "a" },
      }),
    );
    const after = spec(
      pools({
        name: "p",
        roles: ["broker"],
        replicas: 4,
        nodeIdStart: 10,
        storage: { storageClassName: "b" },
      }),
    );
    expect(violations(clusterSchema, after, before).sort()).toEqual(
      [
        "nodeIdStart is immutable",
        "roles is immutable",
        "storageClassName is immutable",
        "at least one pool needs the controller role",
      ].sort(),
    );
    // A pool added under another name is new: nothing to compare with.
    const renamed = spec(pools({ name: "q", roles: ["broker", "controller"], replicas: 3, nodeIdStart: 10 }));
    expect(violations(clusterSchema, renamed, before)).toEqual([]);
  });

  it("never let topic partitions shrink or the topic name change", () => {
    const t = { spec: { topicName: "a", partitions: 6, replicationFactor: 3 } };
    expect(violations(topicSchema, { spec: { ...t.spec, partitions: 8 } }, t)).toEqual([]);
    expect(violations(topicSchema, { spec: { ...t.spec, partitions: 3, topicName: "b" } }, t).sort()).toEqual(
      ["partitions cannot be decreased", "topicName is immutable"].sort(),
    );
  });
});
