import { ErrorCode } from "../../protocol/errors/index.js";
import type { ListOffsetsRequestListOffsetsPartition } from "../../protocol/generated/messages/ListOffsetsRequest.js";
import type {
  ListOffsetsResponse,
  ListOffsetsResponseListOffsetsPartitionResponse,
} from "../../protocol/generated/messages/ListOffsetsResponse.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * ListOffsets: offsets by timestamp. Special timestamps: -1 latest (the high watermark),
 * -2 earliest, -3 the record with the largest timestamp (v7+), -4 earliest local (v8+),
 * -5 latest tiered (v9+; no tiered storage here, so "none"). v0 answers with a list of offsets.
 * Results are bounded by the isolation level's last fetchable offset (see listPartition).
 */
const LATEST_TIERED = -5n;
const READ_COMMITTED = 1;

function part(index: number, errorCode: number): ListOffsetsResponseListOffsetsPartitionResponse {
  return {
    partitionIndex: index,
    errorCode,
    oldStyleOffsets: [],
    timestamp: -1n,
    offset: -1n,
    leaderEpoch: -1,
  };
}

async function listPartition(
  topic: string,
  rp: ListOffsetsRequestListOffsetsPartition,
  v: number,
  broker: BrokerServices,
  isolationLevel = 0,
): Promise<ListOffsetsResponseListOffsetsPartitionResponse> {
  const t = broker.controller.image.topic(topic);
  const p = t?.partitions.get(rp.partitionIndex);
  if (!t || !p) return part(rp.partitionIndex, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (p.leader !== broker.nodeId) return part(rp.partitionIndex, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (v >= 4 && rp.currentLeaderEpoch >= 0 && rp.currentLeaderEpoch !== p.leaderEpoch) {
    return part(
      rp.partitionIndex,
      rp.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH,
    );
  }
  const log = broker.logs.getLog(topic, rp.partitionIndex);
  if (!log) return part(rp.partitionIndex, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const ts = rp.timestamp;
  if ((ts === -3n && v < 7) || (ts === -4n && v < 8) || (ts === LATEST_TIERED && v < 9)) {
    return part(rp.partitionIndex, ErrorCode.UNSUPPORTED_VERSION);
  }
  const r = part(rp.partitionIndex, ErrorCode.NONE);
  if (ts === LATEST_TIERED) return r;
  let found: Awaited<ReturnType<typeof log.offsetForTimestamp>>;
  try {
    found = await log.offsetForTimestamp(ts);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    broker.log.warn({ err, topic, partition: rp.partitionIndex }, "list offsets failed");
    return part(rp.partitionIndex, typeof code === "number" ? code : ErrorCode.UNKNOWN_SERVER_ERROR);
  }
  if (v === 0) {
    if (found && rp.maxNumOffsets > 0) r.oldStyleOffsets = [found.offset];
    return r;
  }
  // Kafka bounds consumer lookups by the last fetchable offset: the last stable offset for
  // read_committed, the high watermark (the log end on this single node) for read_uncommitted.
  // Latest answers that bound; a timestamp or max-timestamp hit at or past it is "no offset";
  // earliest (-2, -4) is not bounded.
  const lastFetchable =
    isolationLevel === READ_COMMITTED && log.lastStableOffset ? log.lastStableOffset() : log.logEndOffset;
  if (found && ts === -1n) found = { ...found, offset: lastFetchable };
  else if (found && ts !== -2n && ts !== -4n && found.offset >= lastFetchable) found = null;
  if (found) {
    r.offset = found.offset;
    r.timestamp = found.timestamp;
    if (v >= 4) r.leaderEpoch = found.leaderEpoch;
  }
  return r;
}

export const listOffsetsHandler: ApiHandler<2> = {
  apiKey: 2,
  async handle(req, ctx, broker): Promise<ListOffsetsResponse> {
    const topics = [];
    for (const t of req.topics) {
      const partitions = [];
      for (const p of t.partitions)
        partitions.push(await listPartition(t.name, p, ctx.apiVersion, broker, req.isolationLevel));
      topics.push({ name: t.name, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
};
