import { describe, expect, it } from "vitest";
import { dynamicLogDefaults, effectiveProps, touchesBrokerConfigs } from "../../../broker/config/dynamic.js";
import { ConfigResourceType } from "../../../broker/metadata/image.js";
import type { MetadataRecord } from "../../../broker/metadata/records.js";

const dyn = (entries: Record<string, Record<string, string>>) =>
  new Map(Object.entries(entries).map(([k, v]) => [k, new Map(Object.entries(v))]));

describe("dynamic broker configs in effect", () => {
  const staticProps = new Map([
    ["log.retention.hours", "24"],
    ["message.max.bytes", "5000"],
  ]);

  it("static settings alone give the static log defaults", () => {
    const c = dynamicLogDefaults(staticProps, new Map(), 1);
    expect([c.retentionMs, c.maxMessageBytes]).toEqual([86_400_000, 5000]);
  });

  it("the cluster default overrides static settings, this node's value overrides both", () => {
    const configs = dyn({
      "": { "log.retention.ms": "1000", "message.max.bytes": "7000" },
      "1": { "message.max.bytes": "9000" },
      "2": { "log.retention.ms": "5" },
    });
    const c = dynamicLogDefaults(staticProps, configs, 1);
    expect([c.retentionMs, c.maxMessageBytes]).toEqual([1000, 9000]);
    expect(effectiveProps(staticProps, configs, 2).get("log.retention.ms")).toBe("5");
  });

  it("notices ConfigRecords for this node or the default only", () => {
    const rec = (resourceType: number, resourceName: string): MetadataRecord => ({
      type: "ConfigRecord",
      data: { resourceType, resourceName, name: "message.max.bytes", value: "1" },
    });
    expect(touchesBrokerConfigs([rec(ConfigResourceType.BROKER, "")], 1)).toBe(true);
    expect(touchesBrokerConfigs([rec(ConfigResourceType.BROKER, "1")], 1)).toBe(true);
    expect(touchesBrokerConfigs([rec(ConfigResourceType.BROKER, "2")], 1)).toBe(false);
    expect(touchesBrokerConfigs([rec(ConfigResourceType.TOPIC, "t")], 1)).toBe(false);
  });
});
