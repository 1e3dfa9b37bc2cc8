import { ErrorCode } from "../../protocol/errors/index.js";
import type { TxnOffsetCommitResponse } from "../../protocol/generated/messages/TxnOffsetCommitResponse.js";
import { buildBatch } from "../../protocol/records/batch.js";
import { commitAppendError } from "../coordinator/group/offset-ops.js";
import { buildTxnOffsetRecords } from "../coordinator/group/txn-offsets.js";
import { GROUP_METADATA_TOPIC } from "../coordinator/group-service.js";
import type { ApiHandler } from "./context.js";

/**
 * TxnOffsetCommit (sendOffsetsToTransaction): the offsets go into the group's __consumer_offsets
 * partition as part of the producer's transaction (a transactional batch under its producer id and
 * epoch, so an older epoch is fenced by the partition's producer state). They take effect when the
 * transaction's COMMIT marker reaches that partition.
 */
export const txnOffsetCommitHandler: ApiHandler<28> = {
  apiKey: 28,
  async handle(req, ctx, broker): Promise<TxnOffsetCommitResponse> {
    const v = ctx.apiVersion;
    const answer = (codes: (ti: number, pi: number) => number): TxnOffsetCommitResponse => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t, ti) => ({
        name: t.name,
        partitions: t.partitions.map((p, pi) => ({
          partitionIndex: p.partitionIndex,
          errorCode: codes(ti, pi),
        })),
      })),
    });
    const coord = broker.groups.coordinator;
    const status = coord.txnOffsetCommitStatus(
      req.groupId,
      v >= 3 ? req.generationId : -1,
      v >= 3 ? req.memberId : "",
      v >= 3 ? req.groupInstanceId : null,
    );
    if (status !== ErrorCode.NONE) return answer(() => status);
    const partition = coord.partitionFor(req.groupId);
    const part = broker.controller.image.topic(GROUP_METADATA_TOPIC)?.partitions.get(partition);
    const log = broker.logs.getLog(GROUP_METADATA_TOPIC, partition);
    if (!part || !log || part.leader !== broker.nodeId) return answer(() => ErrorCode.NOT_COORDINATOR);
    const built = buildTxnOffsetRecords(
      req.groupId,
      req.topics,
      broker.now(),
      coord.config["offset.metadata.max.bytes"],
    );
    let code: number = ErrorCode.NONE;
    // The group's partition must be in the producer's transaction (AddOffsetsToTxn first), or
    // these records would start a transaction no coordinator knows about.
    const txn = broker.txn;
    if (txn?.verificationEnabled && built.records.length > 0) {
      // Coordinator trouble comes back as the retriable COORDINATOR_NOT_AVAILABLE.
      code = commitAppendError(
        txn.verifyPartition(
          req.transactionalId,
          req.producerId,
          req.producerEpoch,
          GROUP_METADATA_TOPIC,
          partition,
        ),
      );
    }
    if (code === ErrorCode.NONE && built.records.length > 0) {
      try {
        const batch = await buildBatch({
          records: built.records,
          transactional: true,
          producerId: req.producerId,
          producerEpoch: req.producerEpoch,
          baseSequence: -1,
        });
        await log.append(batch, { leaderEpoch: part.leaderEpoch, assignOffsets: true });
        coord.stageTxnOffsets(req.producerId, built.records);
      } catch (err) {
        const c = (err as { code?: unknown }).code;
        code = commitAppendError(typeof c === "number" ? c : ErrorCode.UNKNOWN_SERVER_ERROR);
        if (typeof c !== "number")
          broker.log.warn({ err, groupId: req.groupId }, "TxnOffsetCommit append failed");
      }
    }
    return answer((ti, pi) => {
      const e = built.errors[ti]![pi]!;
      return e !== ErrorCode.NONE ? e : code;
    });
  },
};
