import { describe, expect, it } from "vitest";
import { FORMAT_MISMATCH_EXIT_CODE } from "../../../operator/constants.js";
import { generateClusterId, isValidClusterId } from "../../../operator/reconcile/cluster-id.js";
import { setConditions } from "../../../operator/reconcile/conditions.js";
import { computeStatus, invalidStatus, storageMismatches } from "../../../operator/reconcile/status.js";
import { buildModel } from "../../../operator/render/model.js";
import { CLUSTER_ID, cluster } from "./fixtures.js";

describe("cluster id", () => {
  it("is 22 URL-safe base64 characters of a version-4 UUID, never starting with '-'", () => {
    for (let i = 0; i < 200; i++) {
      const id = generateClusterId();
      expect(isValidClusterId(id)).toBe(true);
      const bytes = Buffer.from(id, "base64url");
      expect(bytes.length).toBe(16);
      expect(bytes[6]! >> 4).toBe(4);
      expect(bytes[8]! >> 6).toBe(2);
    }
    // A random source whose first draw would start with '-' (0xf8 -> '-' in base64url) is redrawn.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x10)];
    expect(generateClusterId(() => draws.shift()!)).toMatch(/^[^-]/);
    expect(draws).toEqual([]);
  });
});

describe("conditions", () => {
  it("keeps lastTransitionTime while the status holds", () => {
    const a = setConditions([], [{ type: "Ready", status: "False", reason: "X" }], "t1", 1);
    const b = setConditions(a, [{ type: "Ready", status: "False", reason: "Y" }], "t2", 2);
    expect(b[0]).toMatchObject({ lastTransitionTime: "t1", reason: "Y", observedGeneration: 2 });
    const c = setConditions(b, [{ type: "Ready", status: "True", reason: "Z" }], "t3", 2);
    expect(c[0]!.lastTransitionTime).toBe("t3");
  });
});

describe("status", () => {
  const m = buildModel(
    cluster({
      nodePools: [
        { name: "ctl", roles: ["controller"], replicas: 3 },
        { name: "brk", roles: ["broker"], replicas: 3 },
      ],
    }),
    CLUSTER_ID,
    new Map(),
  );
  const sts = (ready: number) => ({
    metadata: { generation: 1 },
    status: { readyReplicas: ready, replicas: 3 },
  });

  it("counts ready brokers and reports node ids, listeners, conditions", () => {
    const s = computeStatus(
      m,
      {
        statefulSets: new Map([
          ["ctl", sts(3)],
          ["brk", sts(1)],
        ]),
        pods: [],
      },
      undefined,
      4,
      "now",
    );
    expect(s).toMatchObject({
      observedGeneration: 4,
      clusterId: CLUSTER_ID,
      brokers: 3,
      readyBrokers: 1,
      readyNodes: 4,
    });
    expect(s.nodePools?.find((p) => p.name === "brk")?.nodeIds).toEqual([100, 101, 102]);
    expect(s.listeners).toEqual([{ name: "PLAIN", bootstrapServers: "demo-bootstrap.kafka.svc:9092" }]);
    const ready = s.conditions?.find((c) => c.type === "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "NodesNotReady", message: "4/6 nodes ready" });
    expect(s.conditions?.find((c) => c.type === "Reconciling")?.status).toBe("True");
    const all = computeStatus(
      m,
      {
        statefulSets: new Map([
          ["ctl", sts(3)],
          ["brk", sts(3)],
        ]),
        pods: [],
      },
      s,
      4,
      "later",
    );
    expect(all.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  it("surfaces a storage cluster id mismatch from the format init container", () => {
    const pod = (name: string, exitCode: number, message?: string) => ({
      metadata: { name },
      status: {
        initContainerStatuses: [{ name: "format", lastState: { terminated: { exitCode, message } } }],
      },
    });
    const pods = [
      pod("demo-brk-0", FORMAT_MISMATCH_EXIT_CODE, "StorageClusterIdMismatch: volume has cluster id abc"),
      pod("demo-brk-1", 1, "disk full"),
    ];
    expect(storageMismatches(pods)).toEqual([
      { pod: "demo-brk-0", message: "StorageClusterIdMismatch: volume has cluster id abc" },
    ]);
    const s = computeStatus(m, { statefulSets: new Map(), pods }, undefined, 1, "now");
    expect(s.conditions?.find((c) => c.type === "StorageClusterIdMismatch")).toMatchObject({
      status: "True",
      message: "demo-brk-0: StorageClusterIdMismatch: volume has cluster id abc",
    });
    const fixed = computeStatus(m, { statefulSets: new Map(), pods: [] }, s, 1, "later");
    expect(fixed.conditions?.find((c) => c.type === "StorageClusterIdMismatch")?.status).toBe("False");
  });

  it("reports an invalid spec as Error with its reason, keeping observedGeneration current", () => {
    const s = invalidStatus(
      undefined,
      7,
      "OwnedConfigKey",
      "config node.id is managed by the operator",
      "now",
    );
    expect(s.observedGeneration).toBe(7);
    expect(s.conditions?.find((c) => c.type === "Error")).toMatchObject({
      status: "True",
      reason: "OwnedConfigKey",
    });
    expect(s.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
  });
});
