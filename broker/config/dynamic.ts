import { ConfigResourceType } from "../metadata/image.js";
import type { MetadataRecord } from "../metadata/records.js";
import type { LogConfig } from "../storage/config.js";
import { brokerLayers, effectiveBrokerProps } from "./describe.js";
import { brokerLogDefaults } from "./log-defaults.js";

/**
 * Dynamic broker configs in effect: server.properties overlaid with the cluster-wide dynamic
 * defaults and then this node's dynamic configs (both from BROKER ConfigRecords in the metadata
 * image). Storage and produce read the resulting log defaults, so a change to, say,
 * log.retention.ms or message.max.bytes reaches every topic without an override of its own.
 */
export function effectiveProps(
  staticProps: ReadonlyMap<string, string>,
  brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>,
  nodeId: number,
): Map<string, string> {
  return effectiveBrokerProps(brokerLayers(brokerConfigs, staticProps, nodeId));
}

/** The topic-level defaults this node runs with (throws storage's ConfigError on a bad value). */
export function dynamicLogDefaults(
  staticProps: ReadonlyMap<string, string>,
  brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>,
  nodeId: number,
): LogConfig {
  return brokerLogDefaults(effectiveProps(staticProps, brokerConfigs, nodeId));
}

/** Whether committed records change this node's dynamic broker configs (its own or the default). */
export function touchesBrokerConfigs(records: readonly MetadataRecord[], nodeId: number): boolean {
  return records.some(
    (r) =>
      r.type === "ConfigRecord" &&
      r.data.resourceType === ConfigResourceType.BROKER &&
      (r.data.resourceName === "" || r.data.resourceName === String(nodeId)),
  );
}

/**
 * One key's dynamic value for this node (its own config, else the cluster default), or undefined
 * when neither sets it. Cheap enough for the produce path, unlike building the merged props.
 */
export function dynamicBrokerValue(
  brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>,
  nodeId: number,
  key: string,
): string | undefined {
  return brokerConfigs.get(String(nodeId))?.get(key) ?? brokerConfigs.get("")?.get(key);
}
