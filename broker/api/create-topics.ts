import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import type { CreateTopicsRequestCreatableTopic } from "../../protocol/generated/messages/CreateTopicsRequest.js";
import type {
  CreateTopicsResponse,
  CreateTopicsResponseCreatableTopicResult,
} from "../../protocol/generated/messages/CreateTopicsResponse.js";
import { ZERO_UUID } from "../../protocol/generated/runtime.js";
import { validateTopicConfigValues } from "../config/alter.js";
import { describeTopicConfigs } from "../config/describe.js";
import type { TopicSpec } from "../metadata/controller.js";
import { apiError, layersOf } from "./admin-common.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * CreateTopics: each topic is checked and created on its own (one bad topic does not fail the
 * others). -1 partitions / replication factor take the broker defaults (v4+ clients send it);
 * explicit replica assignments replace both. validate_only runs every check and creates nothing.
 * v5+ answers with the topic's partition count, replication factor and full config list.
 */
function failed(
  name: string,
  code: number,
  message: string | null,
): CreateTopicsResponseCreatableTopicResult {
  return {
    name,
    topicId: ZERO_UUID,
    errorCode: code,
    errorMessage: message,
    topicConfigErrorCode: ErrorCode.NONE,
    numPartitions: -1,
    replicationFactor: -1,
    configs: [],
  };
}

/** Request topic -> controller spec; throws KafkaError for malformed combinations. */
export function topicSpec(t: CreateTopicsRequestCreatableTopic, broker: BrokerServices): TopicSpec {
  const configs = new Map<string, string>();
  for (const c of t.configs) {
    if (c.value === null) {
      throw KafkaError.of("INVALID_CONFIG", `Null value not supported for topic configs: ${c.name}`);
    }
    configs.set(c.name, c.value);
  }
  validateTopicConfigValues(configs);
  if (t.assignments.length > 0) {
    if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
      throw KafkaError.of(
        "INVALID_REQUEST",
        "Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.",
      );
    }
    const assignments = new Map<number, number[]>();
    for (const a of t.assignments) {
      if (assignments.has(a.partitionIndex)) {
        throw KafkaError.of("INVALID_REPLICA_ASSIGNMENT", `Partition ${a.partitionIndex} is assigned twice`);
      }
      assignments.set(a.partitionIndex, [...a.brokerIds]);
    }
    const rfs = new Set([...assignments.values()].map((r) => r.length));
    if (rfs.size > 1) {
      throw KafkaError.of(
        "INVALID_REPLICA_ASSIGNMENT",
        "All partitions must have the same number of replicas",
      );
    }
    const first = assignments.values().next().value ?? [];
    return {
      name: t.name,
      numPartitions: assignments.size,
      replicationFactor: first.length,
      assignments,
      configs,
    };
  }
  return {
    name: t.name,
    numPartitions: t.numPartitions === -1 ? broker.config.numPartitions : t.numPartitions,
    replicationFactor:
      t.replicationFactor === -1 ? broker.config.defaultReplicationFactor : t.replicationFactor,
    configs,
  };
}

async function createOne(
  t: CreateTopicsRequestCreatableTopic,
  validateOnly: boolean,
  version: number,
  broker: BrokerServices,
): Promise<CreateTopicsResponseCreatableTopicResult> {
  try {
    const spec = topicSpec(t, broker);
    let topicId = ZERO_UUID;
    let placement: ReadonlyMap<number, readonly number[]>;
    if (validateOnly) {
      placement = broker.controller.validateTopic(spec);
    } else {
      const created = await broker.controller.createTopic(spec);
      topicId = created.id;
      placement = new Map([...created.partitions].map(([id, p]) => [id, p.replicas]));
      broker.log.info({ topic: t.name, topicId, partitions: placement.size }, "created topic");
    }
    const result: CreateTopicsResponseCreatableTopicResult = {
      ...failed(t.name, ErrorCode.NONE, null),
      topicId,
      numPartitions: placement.size,
      replicationFactor: placement.get(0)?.length ?? spec.replicationFactor,
    };
    if (version >= 5) {
      result.configs = describeTopicConfigs(layersOf(broker), spec.configs ?? new Map()).map((c) => ({
        name: c.name,
        value: c.value,
        readOnly: c.readOnly,
        configSource: c.source,
        isSensitive: c.isSensitive,
      }));
    }
    return result;
  } catch (err) {
    const e = apiError(err, broker, "create topic");
    return failed(t.name, e.code, e.message);
  }
}

export const createTopicsHandler: ApiHandler<19> = {
  apiKey: 19,
  async handle(req, ctx, broker): Promise<CreateTopicsResponse> {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const topics: CreateTopicsResponseCreatableTopicResult[] = [];
    const answered = new Set<string>();
    for (const t of req.topics) {
      if (counts.get(t.name)! > 1) {
        // Kafka answers a repeated name once, with INVALID_REQUEST, and creates nothing for it.
        if (answered.has(t.name)) continue;
        answered.add(t.name);
        topics.push(
          failed(
            t.name,
            ErrorCode.INVALID_REQUEST,
            `Create topics request from client \`${ctx.clientId ?? ""}\` contains multiple entries for the following topics: ${t.name}`,
          ),
        );
        continue;
      }
      topics.push(await createOne(t, req.validateOnly, ctx.apiVersion, broker));
    }
    return { throttleTimeMs: 0, topics };
  },
};
