import { ErrorCode } from "../../protocol/errors/index.js";
import type { OffsetForLeaderEpochRequestOffsetForLeaderPartition } from "../../protocol/generated/messages/OffsetForLeaderEpochRequest.js";
import type {
  OffsetForLeaderEpochResponse,
  OffsetForLeaderEpochResponseEpochEndOffset,
} from "../../protocol/generated/messages/OffsetForLeaderEpochResponse.js";
import { leaderLog } from "./admin-common.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * OffsetForLeaderEpoch: the end offset of a leader epoch (the start offset of the next higher
 * epoch, or the log end for the current one), from the partition's leader epoch cache. Consumers
 * use it to detect log truncation after a leader change; followers to find where to truncate.
 * current_leader_epoch (v2+) fences stale callers.
 */
function endOffset(
  topic: string,
  p: OffsetForLeaderEpochRequestOffsetForLeaderPartition,
  version: number,
  broker: BrokerServices,
): OffsetForLeaderEpochResponseEpochEndOffset {
  const answer = (errorCode: number, leaderEpoch = -1, end = -1n) => ({
    errorCode,
    partition: p.partition,
    leaderEpoch,
    endOffset: end,
  });
  const found = leaderLog(broker, topic, p.partition);
  if ("error" in found) return answer(found.error);
  if (version >= 2 && p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== found.leaderEpoch) {
    return answer(
      p.currentLeaderEpoch < found.leaderEpoch
        ? ErrorCode.FENCED_LEADER_EPOCH
        : ErrorCode.UNKNOWN_LEADER_EPOCH,
    );
  }
  const r = found.log.endOffsetForEpoch(p.leaderEpoch);
  return answer(ErrorCode.NONE, version >= 1 ? r.epoch : -1, r.endOffset);
}

export const offsetForLeaderEpochHandler: ApiHandler<23> = {
  apiKey: 23,
  handle(req, ctx, broker): OffsetForLeaderEpochResponse {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => endOffset(t.topic, p, ctx.apiVersion, broker)),
      })),
    };
  },
};
