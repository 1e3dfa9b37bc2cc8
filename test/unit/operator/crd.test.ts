import { describe, expect, it } from "vitest";
import { buildCrds } from "../../../operator/crd/crd.js";
import { checkCrdFiles } from "../../../operator/crd/generate.js";

type Json = Record<string, unknown>;

function walk(node: unknown, path: string, visit: (n: Json, path: string) => void) {
  if (!node || typeof node !== "object") return;
  const n = node as Json;
  visit(n, path);
  for (const [k, v] of Object.entries(n.properties ?? {})) walk(v, `${path}.${k}`, visit);
  if (n.items) walk(n.items, `${path}[]`, visit);
  if (n.additionalProperties && typeof n.additionalProperties === "object")
    walk(n.additionalProperties, `${path}{}`, visit);
}

function schemaOf(kind: string): Json {
  const crd = buildCrds().find((c) => (c.spec as Json & { names: { kind: string } }).names.kind === kind)!;
  const version = (crd.spec as { versions: Json[] }).versions[0]!;
  return (version.schema as { openAPIV3Schema: Json }).openAPIV3Schema;
}

function versionOf(kind: string): Json {
  const crd = buildCrds().find((c) => (c.spec as Json & { names: { kind: string } }).names.kind === kind)!;
  return (crd.spec as { versions: Json[] }).versions[0]!;
}

describe("CRDs", () => {
  it("committed crds/*.yaml match the schema source (regenerate: npx tsx operator/crd/generate.ts)", () => {
    expect(checkCrdFiles()).toEqual([]);
  });

  it("are structural: a type on every node, no keywords Kubernetes refuses", () => {
    for (const kind of ["KafkaCluster", "KafkaTopic"]) {
      walk(schemaOf(kind), kind, (n, path) => {
        const typed =
          typeof n.type === "string" ||
          n["x-kubernetes-int-or-string"] ||
          n["x-kubernetes-preserve-unknown-fields"];
        expect(typed, `${path} has no type`).toBeTruthy();
        for (const bad of ["const", "anyOf", "oneOf", "patternProperties", "uniqueItems", "$id", "$schema"]) {
          expect(n[bad], `${path} uses ${bad}`).toBeUndefined();
        }
        if (n.properties)
          expect(n.additionalProperties, `${path}: properties with additionalProperties`).toBeUndefined();
      });
    }
  });

  it("have the status subresource and printer columns", () => {
    const kc = versionOf("KafkaCluster");
    expect(kc.subresources).toEqual({ status: {} });
    const cols = (kc.additionalPrinterColumns as Array<{ name: string; jsonPath: string }>).map(
      (c) => c.name,
    );
    expect(cols).toEqual(expect.arrayContaining(["Ready", "Brokers", "Cluster-ID", "Age"]));
    const kt = versionOf("KafkaTopic");
    const tcols = (kt.additionalPrinterColumns as Array<{ name: string; jsonPath: string }>).map(
      (c) => c.jsonPath,
    );
    expect(tcols).toEqual(expect.arrayContaining([".spec.partitions", ".spec.replicationFactor"]));
  });

  it("encode immutability and owned config keys as CEL rules", () => {
    const rulesAt = (kind: string, want: string) => {
      let found: Array<{ rule: string; message: string }> = [];
      walk(schemaOf(kind), kind, (n, path) => {
        if (path === want) found = (n["x-kubernetes-validations"] as typeof found) ?? [];
      });
      return found;
    };
    const pool = "KafkaCluster.spec.nodePools[]";
    expect(rulesAt("KafkaCluster", `${pool}.nodeIdStart`)).toEqual([
      { rule: "self == oldSelf", message: "nodeIdStart is immutable" },
    ]);
    expect(rulesAt("KafkaCluster", `${pool}.storage.storageClassName`)[0]?.rule).toBe("self == oldSelf");
    expect(rulesAt("KafkaCluster", `${pool}.roles`)[0]?.rule).toBe("self == oldSelf");
    const configRules = rulesAt("KafkaCluster", "KafkaCluster.spec.config");
    expect(configRules.map((r) => r.rule)).toContain("!('node.id' in self)");
    expect(configRules.find((r) => r.rule.includes("process.roles"))?.message).toMatch(
      /managed by the operator/,
    );
    expect(rulesAt("KafkaTopic", "KafkaTopic.spec.partitions")[0]?.rule).toBe("self >= oldSelf");
  });

  it("refuse zero replicas in the schema itself", () => {
    let replicas: Json | undefined;
    walk(schemaOf("KafkaCluster"), "", (n, path) => {
      if (path === ".spec.nodePools[].replicas") replicas = n;
    });
    expect(replicas?.minimum).toBe(1);
  });
});
