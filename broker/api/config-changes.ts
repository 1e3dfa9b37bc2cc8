import { KafkaError } from "../../protocol/errors/index.js";
import { validateBrokerChanges, validateTopicConfigValues } from "../config/alter.js";
import { ConfigResourceType } from "../metadata/image.js";
import type { MetadataRecord } from "../metadata/records.js";
import { validateTopicName } from "../metadata/topic-rules.js";
import { checkBrokerResource, ResourceType } from "./admin-common.js";
import type { BrokerServices } from "./context.js";

/**
 * Applying config changes to one resource, shared by AlterConfigs (replace: every key not listed
 * is removed) and IncrementalAlterConfigs. Topic overrides go through the controller's topic
 * config operation; broker resources ("" = cluster-wide default, or this node's id) become
 * BROKER ConfigRecords in the metadata log.
 */
export interface ChangeOptions {
  replace: boolean;
  validateOnly: boolean;
}

/** The currently set keys of a resource (topic overrides or dynamic broker configs). */
export function currentConfigs(
  broker: BrokerServices,
  resourceType: number,
  resourceName: string,
): ReadonlyMap<string, string> {
  switch (resourceType) {
    case ResourceType.TOPIC: {
      validateTopicName(resourceName);
      const t = broker.controller.image.topic(resourceName);
      if (!t) throw KafkaError.of("UNKNOWN_TOPIC_OR_PARTITION", `Topic '${resourceName}' does not exist`);
      return t.configs;
    }
    case ResourceType.BROKER:
      checkBrokerResource(resourceName, broker.nodeId);
      return broker.controller.image.brokerConfigs.get(resourceName) ?? new Map();
    default:
      throw KafkaError.of("INVALID_REQUEST", `Unsupported resource type: ${resourceType}`);
  }
}

export async function applyConfigChanges(
  broker: BrokerServices,
  resourceType: number,
  resourceName: string,
  changes: Map<string, string | null>,
  opts: ChangeOptions,
): Promise<void> {
  const current = currentConfigs(broker, resourceType, resourceName);
  if (resourceType === ResourceType.TOPIC) {
    validateTopicConfigValues(changes);
    await broker.controller.alterTopicConfigs(resourceName, changes, opts);
    return;
  }
  const all = new Map(changes);
  if (opts.replace) for (const k of current.keys()) if (!all.has(k)) all.set(k, null);
  validateBrokerChanges(changes);
  const records: MetadataRecord[] = [];
  for (const [name, value] of all) {
    if ((current.get(name) ?? null) === value) continue;
    records.push({
      type: "ConfigRecord",
      data: { resourceType: ConfigResourceType.BROKER, resourceName, name, value },
    });
  }
  if (opts.validateOnly || records.length === 0) return;
  await broker.controller.commit(records);
  broker.log.info(
    { resource: resourceName === "" ? "<default>" : resourceName, changes: Object.fromEntries(all) },
    "updated dynamic broker configs",
  );
}

/** Resources named twice in one request get INVALID_REQUEST (Kafka does the same). */
export function duplicateResources(
  resources: readonly { resourceType: number; resourceName: string }[],
): Set<string> {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const r of resources) {
    const k = resourceKey(r);
    if (seen.has(k)) dups.add(k);
    seen.add(k);
  }
  return dups;
}

export function resourceKey(r: { resourceType: number; resourceName: string }): string {
  return `${r.resourceType}:${r.resourceName}`;
}
