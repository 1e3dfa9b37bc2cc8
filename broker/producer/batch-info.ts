/**
 * What the producer state manager needs to know about a batch: its header fields plus, for a
 * transaction marker (control batch), the marker's type and coordinator epoch. Callers build it from
 * batch bytes (`producerBatchFromBytes`) or from a header they already parsed.
 */
import {
  type BatchHeader,
  isControl,
  isTransactional,
  readBatchHeader,
} from "../../protocol/records/header.js";
import { ControlType, decodeBatch, readControlRecord } from "../../protocol/records/index.js";

export type MarkerType = "commit" | "abort";

export interface TxnMarker {
  type: MarkerType;
  coordinatorEpoch: number;
}

export interface ProducerBatch {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** Offset the log assigned to the batch's first record (ignored by the duplicate check). */
  baseOffset: bigint;
  lastOffsetDelta: number;
  /** Max timestamp in ms. */
  maxTimestamp: number;
  transactional: boolean;
  /** Set for commit/abort control batches; other control batches (KRaft) carry no producer state. */
  marker: TxnMarker | null;
  /** True for any control batch, marker or not. */
  control: boolean;
}

/** From a parsed header; `marker` must be supplied for commit/abort control batches. */
export function producerBatchFromHeader(h: BatchHeader, marker: TxnMarker | null = null): ProducerBatch {
  return {
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    baseOffset: h.baseOffset,
    lastOffsetDelta: h.lastOffsetDelta,
    maxTimestamp: Number(h.maxTimestamp),
    transactional: isTransactional(h.attributes),
    marker,
    control: isControl(h.attributes),
  };
}

/**
 * From the bytes of one magic-2 batch at `at`. Data batches need only the header; for control
 * batches the first record's key says commit or abort (markers are never compressed, but
 * decodeBatch handles it either way).
 */
export async function producerBatchFromBytes(buf: Buffer, at = 0): Promise<ProducerBatch> {
  const h = readBatchHeader(buf, at);
  if (!isControl(h.attributes)) return producerBatchFromHeader(h);
  const batch = await decodeBatch(buf, at);
  const first = batch.records[0];
  if (!first) return producerBatchFromHeader(h);
  const c = readControlRecord(first);
  if (c.type === ControlType.Commit || c.type === ControlType.Abort) {
    const type: MarkerType = c.type === ControlType.Commit ? "commit" : "abort";
    return producerBatchFromHeader(h, { type, coordinatorEpoch: c.coordinatorEpoch });
  }
  return producerBatchFromHeader(h);
}
