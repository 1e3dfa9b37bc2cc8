import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import type {
  DeleteTopicsResponse,
  DeleteTopicsResponseDeletableTopicResult,
} from "../../protocol/generated/messages/DeleteTopicsResponse.js";
import { ZERO_UUID } from "../../protocol/generated/runtime.js";
import { apiError } from "./admin-common.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * DeleteTopics by name (v0+) or, from v6, by topic id. A topic named twice gets INVALID_REQUEST;
 * a name or id the broker does not know gets UNKNOWN_TOPIC_OR_PARTITION / UNKNOWN_TOPIC_ID.
 * The controller removes the topic and storage deletes its logs before the answer goes out.
 */
interface Target {
  name: string | null;
  topicId: string;
}

function result(t: Target, code: number, message: string | null): DeleteTopicsResponseDeletableTopicResult {
  return { name: t.name, topicId: t.topicId, errorCode: code, errorMessage: message };
}

async function deleteOne(
  t: Target,
  broker: BrokerServices,
): Promise<DeleteTopicsResponseDeletableTopicResult> {
  try {
    const image = broker.controller.image;
    if (t.name !== null && t.topicId !== ZERO_UUID) {
      throw KafkaError.of("INVALID_REQUEST", "Give either a topic name or a topic id, not both");
    }
    const topic = t.name !== null ? image.topic(t.name) : image.topicById(t.topicId);
    if (!topic) {
      if (t.name !== null) {
        throw KafkaError.of("UNKNOWN_TOPIC_OR_PARTITION", `Topic '${t.name}' does not exist`);
      }
      throw KafkaError.of("UNKNOWN_TOPIC_ID", `Topic id ${t.topicId} does not exist`);
    }
    if (!broker.config.deleteTopicEnable) {
      throw KafkaError.of(
        "TOPIC_DELETION_DISABLED",
        "Topic deletion is disabled (delete.topic.enable=false)",
      );
    }
    await broker.controller.deleteTopic(topic.id);
    broker.log.info({ topic: topic.name, topicId: topic.id }, "deleted topic");
    return result({ name: topic.name, topicId: topic.id }, ErrorCode.NONE, null);
  } catch (err) {
    const e = apiError(err, broker, "delete topic");
    return result(t, e.code, e.message);
  }
}

export const deleteTopicsHandler: ApiHandler<20> = {
  apiKey: 20,
  async handle(req, ctx, broker): Promise<DeleteTopicsResponse> {
    const targets: Target[] =
      ctx.apiVersion >= 6
        ? req.topics.map((t) => ({ name: t.name, topicId: t.topicId }))
        : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const key = (t: Target): string => (t.name !== null ? `n:${t.name}` : `i:${t.topicId}`);
    const counts = new Map<string, number>();
    for (const t of targets) counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
    const responses: DeleteTopicsResponseDeletableTopicResult[] = [];
    for (const t of targets) {
      if (counts.get(key(t))! > 1) {
        responses.push(result(t, ErrorCode.INVALID_REQUEST, "Duplicate topic in request."));
        continue;
      }
      responses.push(await deleteOne(t, broker));
    }
    return { throttleTimeMs: 0, responses };
  },
};
