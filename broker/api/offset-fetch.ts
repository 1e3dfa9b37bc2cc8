import { ErrorCode } from "../../protocol/errors/index.js";
import type {
  OffsetFetchResponse,
  OffsetFetchResponseOffsetFetchResponseTopic,
} from "../../protocol/generated/messages/OffsetFetchResponse.js";
import type { OffsetFetchResult } from "../coordinator/group/index.js";
import type { ApiHandler } from "./context.js";

/**
 * OffsetFetch: v0-7 ask for one group (null topics = every partition with an offset, v2+),
 * v7 adds require_stable, v8+ ask for several groups at once. v0-1 have no group-level error
 * field, so a group error is reported on every requested partition instead.
 */
function topicsOf(r: OffsetFetchResult, v: number): OffsetFetchResponseOffsetFetchResponseTopic[] {
  return r.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({
      partitionIndex: p.partitionIndex,
      committedOffset: p.committedOffset,
      committedLeaderEpoch: v >= 5 ? p.committedLeaderEpoch : -1,
      metadata: p.metadata ?? "",
      errorCode: p.errorCode,
    })),
  }));
}

export const offsetFetchHandler: ApiHandler<9> = {
  apiKey: 9,
  async handle(req, ctx, broker): Promise<OffsetFetchResponse> {
    const v = ctx.apiVersion;
    const coordinator = broker.groups.coordinator;
    const requireStable = v >= 7 && req.requireStable;
    if (v >= 8) {
      const results = await coordinator.fetchOffsetsForGroups(
        req.groups.map((g) => ({ groupId: g.groupId, topics: g.topics, requireStable })),
      );
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: ErrorCode.NONE,
        groups: results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode, topics: topicsOf(r, v) })),
      };
    }
    const r = await coordinator.fetchOffsets({
      groupId: req.groupId,
      topics: v >= 2 ? req.topics : (req.topics ?? []),
      requireStable,
    });
    if (v < 2 && r.errorCode !== ErrorCode.NONE) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        groups: [],
        topics: (req.topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => ({
            partitionIndex,
            committedOffset: -1n,
            committedLeaderEpoch: -1,
            metadata: "",
            errorCode: r.errorCode,
          })),
        })),
      };
    }
    return { throttleTimeMs: 0, errorCode: r.errorCode, groups: [], topics: topicsOf(r, v) };
  },
};
