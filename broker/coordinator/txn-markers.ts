/**
 * Transaction markers written into this broker's partition logs (WriteTxnMarkers, and the local
 * coordinator's marker writer). A marker on a __consumer_offsets partition also ends the
 * producer's transactional offset commits in the group coordinator: on COMMIT the offsets, read
 * back from the log (so a restart in between loses nothing), take effect.
 */
import type { Logger } from "pino";
import { ErrorCode } from "../../protocol/errors/index.js";
import { batchesIn, decodeBatch } from "../../protocol/records/batch.js";
import { buildControlBatch, ControlType } from "../../protocol/records/control.js";
import { isControl, isTransactional, readBatchHeader } from "../../protocol/records/header.js";
import type { LogStore, PartitionLogView } from "../api/context.js";
import type { MetadataImage } from "../metadata/image.js";
import type { ProducerLog } from "../partition/producer-log.js";
import type { LogRecord } from "./group/types.js";
import { GROUP_METADATA_TOPIC, type GroupService } from "./group-service.js";
import type { MarkerPartitionResult, MarkerRequest } from "./txn/index.js";

/** A log view with the producer-state calls of broker/partition (what the log store hands out). */
type MarkerLog = PartitionLogView &
  Pick<ProducerLog, "appendMarker" | "openTransactionFirstOffset" | "openTransactions">;

function hasMarkerCalls(log: PartitionLogView): log is MarkerLog {
  return typeof (log as Partial<MarkerLog>).appendMarker === "function";
}

export type MarkerSpec = Omit<MarkerRequest, "partitions" | "transactionalId">;

export interface LocalMarkerWriterOptions {
  nodeId: number;
  image: () => MetadataImage;
  logs: Pick<LogStore, "getLog">;
  groups: GroupService;
  log: Logger;
}

export class LocalMarkerWriter {
  constructor(private readonly o: LocalMarkerWriterOptions) {}

  /** The coordinator's MarkerWriter: every partition of the request (all led here on one node). */
  writeMarkers(req: MarkerRequest): Promise<MarkerPartitionResult[]> {
    return Promise.all(
      req.partitions.map(async (tp) => ({
        topic: tp.topic,
        partition: tp.partition,
        errorCode: await this.writeMarker(req, tp.topic, tp.partition),
      })),
    );
  }

  /** One marker; returns the partition's error code. */
  async writeMarker(req: MarkerSpec, topic: string, partition: number): Promise<number> {
    const t = this.o.image().topic(topic);
    // A deleted topic has nothing left to mark.
    const part = t?.partitions.get(partition);
    if (!part) return ErrorCode.NONE;
    if (part.leader !== this.o.nodeId) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const log = this.o.logs.getLog(topic, partition);
    if (!log) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    if (!hasMarkerCalls(log)) return ErrorCode.UNKNOWN_SERVER_ERROR;
    const commit = req.result === "commit";
    try {
      const offsetsTopic = topic === GROUP_METADATA_TOPIC;
      // The group partition must be loaded first: a load that started before this marker would
      // not see it, and a group not yet loaded cannot take the offsets.
      if (offsetsTopic) await this.o.groups.whenLoaded();
      // The transaction's offset commits, read before the marker closes the transaction.
      const offsets = offsetsTopic && commit ? await transactionRecords(log, req.producerId) : [];
      const batch = await buildControlBatch({
        type: commit ? ControlType.Commit : ControlType.Abort,
        coordinatorEpoch: req.coordinatorEpoch,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
      });
      await log.appendMarker(
        batch,
        { type: commit ? "commit" : "abort", coordinatorEpoch: req.coordinatorEpoch },
        part.leaderEpoch,
      );
      if (offsetsTopic) this.o.groups.coordinator.completeTxnOffsets(req.producerId, commit, offsets);
      return ErrorCode.NONE;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code === "number") return code;
      this.o.log.error({ err, topic, partition }, "writing transaction marker failed");
      return ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }
}

/**
 * After a restart: transactional offset commits still waiting for their marker on the led
 * __consumer_offsets partitions are staged again, so OffsetFetch with require_stable keeps
 * answering UNSTABLE_OFFSET_COMMIT for them. Call once the group partitions are loaded.
 */
export async function restagePendingTxnOffsets(
  groups: GroupService,
  logs: Pick<LogStore, "getLog">,
  numPartitions: number,
): Promise<number> {
  let staged = 0;
  for (let p = 0; p < numPartitions; p++) {
    const log = logs.getLog(GROUP_METADATA_TOPIC, p);
    if (!log || !hasMarkerCalls(log)) continue;
    for (const t of log.openTransactions()) {
      const records = await transactionRecords(log, t.producerId);
      // A marker may have closed the transaction while its records were read.
      if (log.openTransactionFirstOffset(t.producerId) !== t.firstOffset) continue;
      groups.coordinator.stageTxnOffsets(t.producerId, records);
      staged++;
    }
  }
  return staged;
}

/** The producer's open transaction's data records on this partition, from the log. */
async function transactionRecords(log: MarkerLog, producerId: bigint): Promise<LogRecord[]> {
  const first = log.openTransactionFirstOffset(producerId);
  if (first === null) return [];
  const out: LogRecord[] = [];
  let offset = first;
  const end = log.logEndOffset;
  while (offset < end) {
    const res = await log.read(offset, 1 << 20, { maxOffset: end, minOneBatch: true });
    if (res.bytes === 0) break;
    let next = offset;
    for (const chunk of res.chunks) {
      for (const { at, size } of batchesIn(chunk)) {
        const h = readBatchHeader(chunk, at);
        next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
        if (h.producerId !== producerId || isControl(h.attributes) || !isTransactional(h.attributes))
          continue;
        const batch = await decodeBatch(chunk.subarray(at, at + size));
        for (const r of batch.records) out.push({ key: r.key, value: r.value });
      }
    }
    if (next <= offset) break; // no progress: never spin
    offset = next;
  }
  return out;
}
