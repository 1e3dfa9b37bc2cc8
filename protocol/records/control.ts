import { buildBatch, InvalidRecordError, type KafkaRecord } from "./batch.js";

/**
 * Control records: the transaction markers a coordinator writes into partitions.
 * Key: version int16 (0) | type int16. Value (end-transaction marker): version int16 (0) |
 * coordinatorEpoch int32. Control batches are always transactional and hold one record.
 */
export enum ControlType {
  Abort = 0,
  Commit = 1,
  /** KRaft control types share the key layout; their values are KRaft record schemas. */
  LeaderChange = 2,
  SnapshotHeader = 3,
  SnapshotFooter = 4,
  KRaftVersion = 5,
  KRaftVoters = 6,
}

export interface ControlBatchOptions {
  type: ControlType;
  coordinatorEpoch: number;
  producerId: bigint;
  producerEpoch: number;
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  timestamp?: bigint;
}

export function buildControlBatch(opts: ControlBatchOptions): Promise<Buffer> {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(opts.type, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(opts.coordinatorEpoch, 2);
  const timestamp = opts.timestamp ?? BigInt(Date.now());
  return buildBatch({
    records: [{ key, value, timestamp }],
    baseOffset: opts.baseOffset,
    partitionLeaderEpoch: opts.partitionLeaderEpoch,
    transactional: true,
    control: true,
    producerId: opts.producerId,
    producerEpoch: opts.producerEpoch,
    baseSequence: -1,
  });
}

export interface ControlRecord {
  type: ControlType;
  version: number;
  coordinatorEpoch: number;
}

/**
 * Decode a control record's key (and, for commit/abort markers, the coordinator epoch; -1 for the
 * KRaft types, whose values callers decode with the KRaft schemas). Unknown types are invalid.
 */
export function readControlRecord(rec: KafkaRecord): ControlRecord {
  const key = rec.key;
  if (!key || key.length < 4) throw new InvalidRecordError("control record key shorter than 4 bytes");
  const version = key.readInt16BE(0);
  const type = key.readInt16BE(2);
  if (type < 0 || type > ControlType.KRaftVoters)
    throw new InvalidRecordError(`unknown control record type ${type}`);
  if (type !== ControlType.Abort && type !== ControlType.Commit)
    return { type, version, coordinatorEpoch: -1 };
  const value = rec.value;
  if (!value || value.length < 6)
    throw new InvalidRecordError("transaction marker value shorter than 6 bytes");
  return { type, version, coordinatorEpoch: value.readInt32BE(2) };
}
