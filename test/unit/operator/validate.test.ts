import { describe, expect, it } from "vitest";
import { validateClusterSpec } from "../../../operator/crd/validate.js";

describe("validateClusterSpec", () => {
  it("accepts the defaults (empty spec)", () => {
    expect(validateClusterSpec("demo", {})).toEqual([]);
  });

  it("refuses zero replicas with the schema's message", () => {
    const p = validateClusterSpec("demo", {
      nodePools: [{ name: "a", roles: ["broker", "controller"], replicas: 0 }],
    });
    expect(p).toEqual([{ reason: "InvalidSpec", message: "spec.nodePools.0.replicas must be >= 1" }]);
  });

  it("refuses keys the operator owns, saying why", () => {
    const p = validateClusterSpec("demo", {
      config: { "num.partitions": 3, "log.dirs": "/tmp/x", listeners: "A://:1" },
    });
    expect(p.map((x) => x.reason)).toEqual(["OwnedConfigKey", "OwnedConfigKey"]);
    expect(p[0]!.message).toContain("log.dirs is managed by the operator");
  });

  it("needs a controller pool and a broker pool", () => {
    expect(
      validateClusterSpec("demo", { nodePools: [{ name: "b", roles: ["broker"], replicas: 3 }] })[0]?.reason,
    ).toBe("NoControllers");
    expect(
      validateClusterSpec("demo", { nodePools: [{ name: "c", roles: ["controller"], replicas: 3 }] })[0]
        ?.reason,
    ).toBe("NoBrokers");
  });

  it("refuses reserved ports, TLS (not yet supported) and too-long pod names", () => {
    const reasons = (spec: Parameters<typeof validateClusterSpec>[1], name = "demo") =>
      validateClusterSpec(name, spec).map((x) => x.reason);
    expect(reasons({ listeners: [{ name: "plain", port: 9093, type: "internal", tls: false }] })).toEqual([
      "ReservedPort",
    ]);
    expect(reasons({ listeners: [{ name: "secure", port: 9095, type: "internal", tls: true }] })).toEqual([
      "UnsupportedListener",
    ]);
    expect(reasons({}, "x".repeat(60))).toEqual(["NameTooLong"]);
  });
});
