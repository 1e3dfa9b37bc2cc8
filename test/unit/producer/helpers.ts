import type { ProducerBatch } from "../../../broker/producer/batch-info.js";

/** A data batch of `count` records at `baseOffset` with sequences starting at `seq`. */
export function data(
  pid: bigint,
  epoch: number,
  seq: number,
  baseOffset: bigint,
  count = 1,
  opts: { transactional?: boolean; ts?: number } = {},
): ProducerBatch {
  return {
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    baseOffset,
    lastOffsetDelta: count - 1,
    maxTimestamp: opts.ts ?? 1_000,
    transactional: opts.transactional ?? false,
    marker: null,
    control: false,
  };
}

export function txn(pid: bigint, epoch: number, seq: number, baseOffset: bigint, count = 1): ProducerBatch {
  return data(pid, epoch, seq, baseOffset, count, { transactional: true });
}

export function marker(
  pid: bigint,
  epoch: number,
  offset: bigint,
  type: "commit" | "abort",
  coordinatorEpoch = 0,
): ProducerBatch {
  return {
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: -1,
    baseOffset: offset,
    lastOffsetDelta: 0,
    maxTimestamp: 1_000,
    transactional: true,
    marker: { type, coordinatorEpoch },
    control: true,
  };
}
