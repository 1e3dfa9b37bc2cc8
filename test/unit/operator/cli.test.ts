import { describe, expect, it } from "vitest";
import { parseArgs } from "../../../cli/commands/operator.js";

describe("gregor operator arguments", () => {
  it("parses every option", () => {
    expect(
      parseArgs([
        "--kubeconfig",
        "/k",
        "--namespace",
        "kafka",
        "--lease-namespace",
        "ops",
        "--health-port",
        "9000",
        "--id",
        "me",
        "--log-level",
        "debug",
        "--broker-image",
        "registry/gregor:1",
        "--cluster-domain",
        "k.local",
      ]),
    ).toEqual({
      kubeconfig: "/k",
      namespace: "kafka",
      leaseNamespace: "ops",
      healthPort: 9000,
      id: "me",
      logLevel: "debug",
      brokerImage: "registry/gregor:1",
      clusterDomain: "k.local",
    });
  });

  it("refuses unknown options, missing values and bad ports with a message", () => {
    expect(parseArgs(["--bogus", "x"])).toMatch(/unknown option --bogus/);
    expect(parseArgs(["--namespace"])).toMatch(/--namespace needs a value/);
    expect(parseArgs(["--health-port", "70000"])).toMatch(/bad --health-port/);
  });
});
