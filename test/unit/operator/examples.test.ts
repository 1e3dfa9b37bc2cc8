import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { buildCrds } from "../../../operator/crd/crd.js";
import type { KafkaCluster } from "../../../operator/crd/schema.js";
import { validateClusterSpec } from "../../../operator/crd/validate.js";
import { renderCluster } from "../../../operator/render/index.js";
import { CLUSTER_ID } from "./fixtures.js";

const root = join(import.meta.dirname, "../../..");
const examples = join(root, "deploy/examples");

function schemaFor(kind: string) {
  const crd = buildCrds().find((c) => (c.spec as { names: { kind: string } }).names.kind === kind)!;
  return (crd.spec as { versions: Array<{ schema: { openAPIV3Schema: object } }> }).versions[0]!.schema
    .openAPIV3Schema;
}

describe("deploy/examples", () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  const files = readdirSync(examples).filter((f) => f.endsWith(".yaml"));

  it("has cluster and topic examples", () => {
    expect(files.some((f) => f.startsWith("kafkacluster-"))).toBe(true);
    expect(files.some((f) => f.startsWith("kafkatopic-"))).toBe(true);
  });

  for (const file of files) {
    it(`${file} matches its CRD schema and the operator's checks`, () => {
      const obj = parseAllDocuments(readFileSync(join(examples, file), "utf8"))[0]!.toJS() as KafkaCluster;
      const validate = ajv.compile(schemaFor(obj.kind));
      expect(validate(obj), JSON.stringify(validate.errors)).toBe(true);
      if (obj.kind === "KafkaCluster") {
        expect(validateClusterSpec(obj.metadata.name, obj.spec)).toEqual([]);
        const objs = renderCluster(
          { ...obj, metadata: { ...obj.metadata, namespace: "ex", uid: "u" } },
          CLUSTER_ID,
        );
        expect(objs.filter((o) => o.kind === "StatefulSet").length).toBe(obj.spec.nodePools?.length ?? 1);
      }
    });
  }
});

describe("deploy/operator", () => {
  const docs = readdirSync(join(root, "deploy/operator"))
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(root, "deploy/operator", f), "utf8")).map((d) => d.toJS()),
    );

  it("grants only what the operator uses (no wildcards, no secrets, pods read-only)", () => {
    const role = docs.find((d) => d.kind === "ClusterRole");
    const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    for (const r of rules) {
      expect(r.verbs).not.toContain("*");
      expect(r.resources).not.toContain("*");
      expect(r.resources).not.toContain("secrets");
    }
    const pods = rules.find((r) => r.resources.includes("pods"))!;
    expect(pods.verbs).toEqual(["get", "list", "watch"]);
    const lease = docs.find((d) => d.kind === "Role");
    expect(lease.rules[0].resources).toEqual(["leases"]);
  });

  it("runs `gregor operator` with probes on its health port", () => {
    const dep = docs.find((d) => d.kind === "Deployment");
    const c = dep.spec.template.spec.containers[0];
    expect(c.command).toEqual(["gregor"]);
    expect(c.args[0]).toBe("operator");
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
  });
});
