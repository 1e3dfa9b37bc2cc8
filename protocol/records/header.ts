import { crc32c } from "@node-rs/crc32";

/**
 * Magic-2 record batch header: layout, field access, CRC32C and in-place patching.
 * Storage and the broker work on batch bytes through this module without decoding records.
 *
 * Layout (big-endian): baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 |
 * magic int8 | crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
 * maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
 * recordCount int32 | records...
 * The CRC covers attributes..end, so baseOffset and partitionLeaderEpoch can be patched freely.
 */
export const BATCH = {
  BASE_OFFSET: 0,
  LENGTH: 8,
  PARTITION_LEADER_EPOCH: 12,
  MAGIC: 16,
  CRC: 17,
  ATTRIBUTES: 21,
  LAST_OFFSET_DELTA: 23,
  BASE_TIMESTAMP: 27,
  MAX_TIMESTAMP: 35,
  PRODUCER_ID: 43,
  PRODUCER_EPOCH: 51,
  BASE_SEQUENCE: 53,
  RECORD_COUNT: 57,
  RECORDS: 61,
  /** Bytes before batchLength's payload starts: baseOffset + batchLength. */
  LOG_OVERHEAD: 12,
  HEADER_SIZE: 61,
} as const;

export const Attr = {
  COMPRESSION_MASK: 0x07,
  TIMESTAMP_TYPE_LOG_APPEND: 0x08,
  TRANSACTIONAL: 0x10,
  CONTROL: 0x20,
  DELETE_HORIZON: 0x40,
} as const;

export enum CompressionType {
  None = 0,
  Gzip = 1,
  Snappy = 2,
  Lz4 = 3,
  Zstd = 4,
}

export interface BatchHeader {
  baseOffset: bigint;
  /** Bytes after the length field; the whole batch is batchLength + LOG_OVERHEAD. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(buf: Buffer, at = 0): BatchHeader {
  if (buf.length - at < BATCH.HEADER_SIZE) throw new RangeError("buffer shorter than a batch header");
  return {
    baseOffset: buf.readBigInt64BE(at + BATCH.BASE_OFFSET),
    batchLength: buf.readInt32BE(at + BATCH.LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(at + BATCH.PARTITION_LEADER_EPOCH),
    magic: buf.readInt8(at + BATCH.MAGIC),
    crc: buf.readUInt32BE(at + BATCH.CRC),
    attributes: buf.readInt16BE(at + BATCH.ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(at + BATCH.LAST_OFFSET_DELTA),
    baseTimestamp: buf.readBigInt64BE(at + BATCH.BASE_TIMESTAMP),
    maxTimestamp: buf.readBigInt64BE(at + BATCH.MAX_TIMESTAMP),
    producerId: buf.readBigInt64BE(at + BATCH.PRODUCER_ID),
    producerEpoch: buf.readInt16BE(at + BATCH.PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(at + BATCH.BASE_SEQUENCE),
    recordCount: buf.readInt32BE(at + BATCH.RECORD_COUNT),
  };
}

/** Total size in bytes of the batch starting at `at` (length field + overhead). */
export function batchSizeAt(buf: Buffer, at = 0): number {
  return buf.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
}

export function computeCrc(batch: Buffer, at = 0, size = batchSizeAt(batch, at)): number {
  return crc32c(batch.subarray(at + BATCH.ATTRIBUTES, at + size)) >>> 0;
}

export function isCrcValid(batch: Buffer, at = 0, size = batchSizeAt(batch, at)): boolean {
  return computeCrc(batch, at, size) === batch.readUInt32BE(at + BATCH.CRC);
}

export function writeCrc(batch: Buffer, at = 0, size = batchSizeAt(batch, at)): void {
  batch.writeUInt32BE(computeCrc(batch, at, size), at + BATCH.CRC);
}

/** Patch offset and leader epoch in place; neither is covered by the CRC. */
export function patchBaseOffsetAndEpoch(
  batch: Buffer,
  baseOffset: bigint,
  leaderEpoch: number,
  at = 0,
): void {
  batch.writeBigInt64BE(baseOffset, at + BATCH.BASE_OFFSET);
  batch.writeInt32BE(leaderEpoch, at + BATCH.PARTITION_LEADER_EPOCH);
}

/**
 * Switch a batch to LogAppendTime: set the flag, write `now` as max timestamp and recompute the
 * CRC (both fields are inside it). Record timestamp deltas stay; readers use maxTimestamp.
 */
export function setLogAppendTime(batch: Buffer, now: bigint, at = 0): void {
  const attrs = batch.readInt16BE(at + BATCH.ATTRIBUTES) | Attr.TIMESTAMP_TYPE_LOG_APPEND;
  batch.writeInt16BE(attrs, at + BATCH.ATTRIBUTES);
  batch.writeBigInt64BE(now, at + BATCH.MAX_TIMESTAMP);
  writeCrc(batch, at);
}

export const compressionOf = (attributes: number): CompressionType =>
  (attributes & Attr.COMPRESSION_MASK) as CompressionType;
export const isTransactional = (attributes: number): boolean => (attributes & Attr.TRANSACTIONAL) !== 0;
export const isControl = (attributes: number): boolean => (attributes & Attr.CONTROL) !== 0;
export const isLogAppendTime = (attributes: number): boolean =>
  (attributes & Attr.TIMESTAMP_TYPE_LOG_APPEND) !== 0;
