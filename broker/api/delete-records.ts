import { ErrorCode } from "../../protocol/errors/index.js";
import type { DeleteRecordsRequestDeleteRecordsPartition } from "../../protocol/generated/messages/DeleteRecordsRequest.js";
import type {
  DeleteRecordsResponse,
  DeleteRecordsResponseDeleteRecordsPartitionResult,
} from "../../protocol/generated/messages/DeleteRecordsResponse.js";
import { apiError, leaderLog } from "./admin-common.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * DeleteRecords: move a partition's log start offset forward (segments wholly below it are
 * deleted). Offset -1 means the high watermark; anything past the high watermark is
 * OFFSET_OUT_OF_RANGE; a compact-only topic is POLICY_VIOLATION. The answer carries the new low
 * watermark.
 */
const HIGH_WATERMARK = -1n;

async function deletePartition(
  topic: string,
  p: DeleteRecordsRequestDeleteRecordsPartition,
  broker: BrokerServices,
): Promise<DeleteRecordsResponseDeleteRecordsPartitionResult> {
  const fail = (errorCode: number) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode });
  const found = leaderLog(broker, topic, p.partitionIndex);
  if ("error" in found) return fail(found.error);
  const { log } = found;
  // As in Kafka: records of a compact-only topic are removed by compaction, not by request.
  if (broker.logs.topicLogConfig(topic).cleanupPolicy === "compact") return fail(ErrorCode.POLICY_VIOLATION);
  // A single-node ISR: the high watermark is the log end offset.
  const hw = log.logEndOffset;
  const target = p.offset === HIGH_WATERMARK ? hw : p.offset;
  if (target < 0n || target > hw) return fail(ErrorCode.OFFSET_OUT_OF_RANGE);
  try {
    const lowWatermark = await log.deleteRecordsBefore(target);
    return { partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE };
  } catch (err) {
    return fail(apiError(err, broker, "delete records").code);
  }
}

export const deleteRecordsHandler: ApiHandler<21> = {
  apiKey: 21,
  async handle(req, _ctx, broker): Promise<DeleteRecordsResponse> {
    const topics = [];
    for (const t of req.topics) {
      const partitions = [];
      for (const p of t.partitions) partitions.push(await deletePartition(t.name, p, broker));
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
};
