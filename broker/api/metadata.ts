import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import type {
  MetadataResponse,
  MetadataResponseMetadataResponseTopic,
} from "../../protocol/generated/messages/MetadataResponse.js";
import { ZERO_UUID } from "../../protocol/generated/runtime.js";
import type { TopicImage } from "../metadata/image.js";
import { validateTopicName } from "../metadata/topic-rules.js";
import type { ApiHandler, BrokerServices } from "./context.js";

const INTERNAL_TOPICS = new Set(["__consumer_offsets", "__transaction_state"]);

/** Kafka's "authorized operations not requested" marker. */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;
/** Every topic operation bit (READ..DESCRIBE_CONFIGS, ALTER_CONFIGS); no ACLs yet, so all allowed. */
const ALL_TOPIC_OPERATIONS = 0b0000_1111_1111_1000;
const ALL_CLUSTER_OPERATIONS = 0b0001_1111_1111_1000;

export function topicMetadata(
  t: TopicImage,
  errorCode = ErrorCode.NONE,
): MetadataResponseMetadataResponseTopic {
  const partitions = [...t.partitions.values()]
    .sort((a, b) => a.partitionId - b.partitionId)
    .map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partitionId,
      leaderId: p.leader,
      leaderEpoch: p.leaderEpoch,
      replicaNodes: [...p.replicas],
      isrNodes: [...p.isr],
      offlineReplicas: [],
    }));
  return {
    errorCode,
    name: t.name,
    topicId: t.id,
    isInternal: INTERNAL_TOPICS.has(t.name),
    partitions,
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function errorTopic(
  name: string | null,
  topicId: string,
  errorCode: number,
): MetadataResponseMetadataResponseTopic {
  return {
    errorCode,
    name,
    topicId,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

/** Create a topic on first use, as auto.create.topics.enable does. Returns the error code. */
export async function autoCreate(broker: BrokerServices, name: string): Promise<number> {
  try {
    validateTopicName(name);
    if (broker.controller.image.topic(name)) return ErrorCode.NONE;
    await broker.controller.createTopic({
      name,
      numPartitions: broker.config.numPartitions,
      replicationFactor: broker.config.defaultReplicationFactor,
    });
    broker.log.info({ topic: name }, "auto-created topic");
    return ErrorCode.NONE;
  } catch (err) {
    if (err instanceof KafkaError) {
      // Lost a race with another creator: the topic exists, which is what the client wanted.
      if (err.code === ErrorCode.TOPIC_ALREADY_EXISTS) return ErrorCode.NONE;
      return err.code;
    }
    throw err;
  }
}

export const metadataHandler: ApiHandler<3> = {
  apiKey: 3,
  async handle(req, ctx, broker): Promise<MetadataResponse> {
    const v = ctx.apiVersion;
    // v0: an empty list means all topics; v1+: null means all, empty means none.
    const all = req.topics === null || (v === 0 && req.topics.length === 0);
    const allowAuto = (v < 4 || req.allowAutoTopicCreation) && broker.config.autoCreateTopicsEnable;
    const topics: MetadataResponseMetadataResponseTopic[] = [];
    if (all) {
      for (const t of broker.controller.image.topicsByName.values()) topics.push(topicMetadata(t));
    } else {
      for (const rt of req.topics ?? []) {
        const image = broker.controller.image;
        if (rt.name === null) {
          const t = image.topicById(rt.topicId);
          topics.push(t ? topicMetadata(t) : errorTopic(null, rt.topicId, ErrorCode.UNKNOWN_TOPIC_ID));
          continue;
        }
        const t = image.topic(rt.name);
        if (t) {
          topics.push(topicMetadata(t));
          continue;
        }
        let code: number = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        try {
          validateTopicName(rt.name);
        } catch {
          code = ErrorCode.INVALID_TOPIC_EXCEPTION;
        }
        // Internal topics are created by their coordinators with their own settings, never here.
        if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && allowAuto && !INTERNAL_TOPICS.has(rt.name)) {
          code = await autoCreate(broker, rt.name);
        }
        const created = broker.controller.image.topic(rt.name);
        topics.push(
          created && code === ErrorCode.NONE ? topicMetadata(created) : errorTopic(rt.name, ZERO_UUID, code),
        );
      }
    }
    if (req.includeTopicAuthorizedOperations && v >= 8) {
      for (const t of topics)
        if (t.errorCode === ErrorCode.NONE) t.topicAuthorizedOperations = ALL_TOPIC_OPERATIONS;
    }
    return {
      throttleTimeMs: 0,
      brokers: broker.advertisedBrokers(ctx.conn.listener),
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      topics,
      clusterAuthorizedOperations:
        req.includeClusterAuthorizedOperations && v >= 8 && v <= 10
          ? ALL_CLUSTER_OPERATIONS
          : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
};
