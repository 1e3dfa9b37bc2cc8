import { decodeBatch } from "../../protocol/records/batch.js";
import { BATCH, isControl, isCrcValid } from "../../protocol/records/header.js";
import {
  CorruptRecordError,
  InvalidRecordError,
  RecordListTooLargeError,
  RecordTooLargeError,
} from "./errors.js";
import { type BatchInfo, batchInfoAt } from "./segment.js";

export interface ValidateOptions {
  maxMessageBytes: number;
  segmentBytes: number;
  /** Leader appends (offsets assigned here) must be contiguous, producer-style batches. */
  assignOffsets: boolean;
  /** Followers: the first batch must start at or after this offset. */
  logEndOffset: bigint;
}

/**
 * Structural checks of a produce/replication payload of concatenated magic-2 batches, without
 * decoding records: framing, magic, CRC, size limits, offset shape. Returns each batch's header
 * info with positions relative to `buf`.
 */
export function validateBatches(buf: Buffer, o: ValidateOptions): BatchInfo[] {
  if (buf.length === 0) throw new InvalidRecordError("no record batches in the append");
  if (buf.length > o.segmentBytes) {
    throw new RecordListTooLargeError(
      `append of ${buf.length} bytes exceeds segment.bytes ${o.segmentBytes}`,
    );
  }
  const out: BatchInfo[] = [];
  let pos = 0;
  let prevLast = o.logEndOffset - 1n;
  while (pos < buf.length) {
    if (buf.length - pos < BATCH.HEADER_SIZE) {
      throw new CorruptRecordError(`truncated batch at byte ${pos}: ${buf.length - pos} bytes left`);
    }
    const size = buf.readInt32BE(pos + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
    if (size < BATCH.HEADER_SIZE || pos + size > buf.length) {
      throw new CorruptRecordError(`batch at byte ${pos} has impossible length ${size - BATCH.LOG_OVERHEAD}`);
    }
    const magic = buf.readInt8(pos + BATCH.MAGIC);
    if (magic !== 2) throw new CorruptRecordError(`batch at byte ${pos}: unsupported magic ${magic}`);
    // Followers take what the leader accepted, whatever their own max.message.bytes says.
    if (o.assignOffsets && size > o.maxMessageBytes) {
      throw new RecordTooLargeError(`batch of ${size} bytes exceeds max.message.bytes ${o.maxMessageBytes}`);
    }
    if (!isCrcValid(buf, pos, size)) throw new CorruptRecordError(`batch at byte ${pos}: CRC mismatch`);
    const info = batchInfoAt(buf, pos, pos);
    const lastDelta = Number(info.lastOffset - info.baseOffset);
    if (info.recordCount < 0 || lastDelta < 0) {
      throw new InvalidRecordError(`batch at byte ${pos}: negative record count or last offset delta`);
    }
    if (o.assignOffsets) {
      if (info.recordCount === 0) throw new InvalidRecordError(`batch at byte ${pos} holds no records`);
      if (lastDelta !== info.recordCount - 1) {
        throw new InvalidRecordError(
          `batch at byte ${pos}: last offset delta ${lastDelta} does not match ${info.recordCount} records`,
        );
      }
    } else if (info.baseOffset <= prevLast) {
      throw new InvalidRecordError(
        `batch at byte ${pos}: base offset ${info.baseOffset} not above previous offset ${prevLast}`,
      );
    }
    prevLast = info.lastOffset;
    out.push(info);
    pos += size;
  }
  return out;
}

/** Compacted topics need a key on every (non-control) record. */
export async function checkKeys(buf: Buffer, batches: BatchInfo[]): Promise<void> {
  for (const b of batches) {
    if (isControl(b.attributes)) continue;
    const decoded = await decodeBatch(buf, b.position);
    for (const r of decoded.records) {
      if (r.key === null) {
        throw new InvalidRecordError("compacted topic cannot accept a record without a key");
      }
    }
  }
}
