import { ErrorCode } from "../../protocol/errors/index.js";
import type { OffsetCommitResponse } from "../../protocol/generated/messages/OffsetCommitResponse.js";
import type { OffsetCommitInput } from "../coordinator/group/index.js";
import type { ApiHandler } from "./context.js";

/**
 * OffsetCommit: v0 has no generation or member (simple commits), v1 adds both and a per-partition
 * commit timestamp, v2-4 a retention time, v6 the leader epoch, v7 the group instance id.
 * Partitions of unknown topics get UNKNOWN_TOPIC_OR_PARTITION; the rest go to the coordinator,
 * and the answer keeps the request's order.
 */
export const offsetCommitHandler: ApiHandler<8> = {
  apiKey: 8,
  async handle(req, ctx, broker): Promise<OffsetCommitResponse> {
    const v = ctx.apiVersion;
    const image = broker.controller.image;
    const known = req.topics.filter((t) => image.topic(t.name) !== undefined);
    const input: OffsetCommitInput = {
      groupId: req.groupId,
      generationId: v >= 1 ? req.generationIdOrMemberEpoch : -1,
      memberId: v >= 1 ? req.memberId : "",
      groupInstanceId: v >= 7 ? req.groupInstanceId : null,
      retentionTimeMs: v >= 2 && v <= 4 ? Number(req.retentionTimeMs) : -1,
      topics: known.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1,
          commitTimestamp: v === 1 ? Number(p.commitTimestamp) : -1,
          committedMetadata: p.committedMetadata,
        })),
      })),
    };
    const result = known.length > 0 ? await broker.groups.coordinator.commitOffsets(input) : { topics: [] };
    const answered = new Map(result.topics.map((t) => [t.name, t]));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const r = answered.get(t.name);
        if (r) return r;
        return {
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          })),
        };
      }),
    };
  },
};
