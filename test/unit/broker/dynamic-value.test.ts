import { describe, expect, it } from "vitest";
import { dynamicBrokerValue } from "../../../broker/config/dynamic.js";

/** A node's own dynamic config wins over the cluster-wide default; neither set means undefined. */
describe("dynamicBrokerValue", () => {
  const configs = new Map([
    ["", new Map([["min.insync.replicas", "2"]])],
    ["1", new Map([["min.insync.replicas", "3"]])],
    ["2", new Map([["message.max.bytes", "100"]])],
  ]);

  it("prefers the node's own value, then the cluster default", () => {
    expect(dynamicBrokerValue(configs, 1, "min.insync.replicas")).toBe("3");
    expect(dynamicBrokerValue(configs, 2, "min.insync.replicas")).toBe("2");
    expect(dynamicBrokerValue(configs, 3, "min.insync.replicas")).toBe("2");
  });

  it("is undefined when no layer sets the key", () => {
    expect(dynamicBrokerValue(configs, 1, "message.max.bytes")).toBeUndefined();
    expect(dynamicBrokerValue(new Map(), 1, "min.insync.replicas")).toBeUndefined();
  });
});
