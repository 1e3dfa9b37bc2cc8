import { ErrorCode } from "../../protocol/errors/index.js";
import type {
  DescribeTopicPartitionsResponse,
  DescribeTopicPartitionsResponseCursor,
  DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic,
} from "../../protocol/generated/messages/DescribeTopicPartitionsResponse.js";
import { ZERO_UUID } from "../../protocol/generated/runtime.js";
import type { TopicImage } from "../metadata/image.js";
import { validateTopicName } from "../metadata/topic-rules.js";
import type { ApiHandler } from "./context.js";
import { AUTHORIZED_OPERATIONS_OMITTED } from "./metadata.js";

/**
 * DescribeTopicPartitions (KIP-966): topic metadata in pages. Topics are answered in name order
 * (all topics when none are named), starting at the cursor, and at most
 * response_partition_limit partitions (capped at 2000, Kafka's default) per response; when the
 * limit cuts a topic or more topics remain, next_cursor says where to continue.
 */
const MAX_PARTITIONS = 2000;

type ResponseTopic = DescribeTopicPartitionsResponseDescribeTopicPartitionsResponseTopic;

function unknownTopic(name: string, code: number): ResponseTopic {
  return {
    errorCode: code,
    name,
    topicId: ZERO_UUID,
    isInternal: false,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

function topicPage(t: TopicImage, from: number, limit: number): ResponseTopic {
  const ids = [...t.partitions.keys()].filter((id) => id >= from).sort((a, b) => a - b);
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: t.name.startsWith("__"),
    partitions: ids.slice(0, limit).map((id) => {
      const p = t.partitions.get(id)!;
      return {
        errorCode: ErrorCode.NONE,
        partitionIndex: id,
        leaderId: p.leader,
        leaderEpoch: p.leaderEpoch,
        replicaNodes: [...p.replicas],
        isrNodes: [...p.isr],
        eligibleLeaderReplicas: [],
        lastKnownElr: [],
        offlineReplicas: [],
      };
    }),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  };
}

export const describeTopicPartitionsHandler: ApiHandler<75> = {
  apiKey: 75,
  handle(req, _ctx, broker): DescribeTopicPartitionsResponse {
    const image = broker.controller.image;
    const names = (
      req.topics.length === 0 ? [...image.topicsByName.keys()] : [...new Set(req.topics.map((t) => t.name))]
    ).sort();
    const cursor = req.cursor;
    if (cursor && req.topics.length > 0 && !names.includes(cursor.topicName)) {
      // No top-level error field: every requested topic carries the error instead.
      const topics = names.map((n) => unknownTopic(n, ErrorCode.INVALID_REQUEST));
      return { throttleTimeMs: 0, topics, nextCursor: null };
    }
    let limit = Math.min(Math.max(req.responsePartitionLimit, 0), MAX_PARTITIONS);
    if (limit === 0) limit = MAX_PARTITIONS;
    const topics: ResponseTopic[] = [];
    let nextCursor: DescribeTopicPartitionsResponseCursor | null = null;
    const start = cursor ? names.findIndex((n) => n >= cursor.topicName) : 0;
    for (let i = start < 0 ? names.length : start; i < names.length; i++) {
      const name = names[i]!;
      if (limit === 0) {
        nextCursor = { topicName: name, partitionIndex: 0 };
        break;
      }
      const t = image.topic(name);
      if (!t) {
        let code: number = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        try {
          validateTopicName(name);
        } catch {
          code = ErrorCode.INVALID_TOPIC_EXCEPTION;
        }
        topics.push(unknownTopic(name, code));
        continue;
      }
      const from = cursor && name === cursor.topicName ? Math.max(cursor.partitionIndex, 0) : 0;
      const page = topicPage(t, from, limit);
      topics.push(page);
      limit -= page.partitions.length;
      const remaining = [...t.partitions.keys()].filter((id) => id >= from).length - page.partitions.length;
      if (remaining > 0) {
        const last = page.partitions[page.partitions.length - 1];
        nextCursor = { topicName: name, partitionIndex: last ? last.partitionIndex + 1 : from };
        break;
      }
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
};
