import { ErrorCode } from "../../protocol/errors/index.js";
import type { OffsetDeleteResponse } from "../../protocol/generated/messages/OffsetDeleteResponse.js";
import type { ApiHandler } from "./context.js";

/**
 * OffsetDelete: removes a group's committed offsets for partitions it is not subscribed to.
 * Partitions that do not exist get UNKNOWN_TOPIC_OR_PARTITION without reaching the coordinator.
 */
export const offsetDeleteHandler: ApiHandler<47> = {
  apiKey: 47,
  async handle(req, _ctx, broker): Promise<OffsetDeleteResponse> {
    const image = broker.controller.image;
    const exists = (topic: string, p: number) => image.topic(topic)?.partitions.has(p) ?? false;
    const topics = req.topics
      .map((t) => ({
        name: t.name,
        partitionIndexes: t.partitions.map((p) => p.partitionIndex).filter((p) => exists(t.name, p)),
      }))
      .filter((t) => t.partitionIndexes.length > 0);
    const r = await broker.groups.coordinator.deleteOffsets({ groupId: req.groupId, topics });
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [] };
    const results = new Map<string, number>();
    for (const t of r.topics)
      for (const p of t.partitions) results.set(`${p.partitionIndex}:${t.name}`, p.errorCode);
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: results.get(`${p.partitionIndex}:${t.name}`) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      })),
    };
  },
};
