import { BATCH, CompressionType, compressionOf, isLogAppendTime } from "../../protocol/records/header.js";
import { type Cursor, readVarint, readVarlong } from "../../protocol/records/varint.js";

/**
 * Synchronous record walk for uncompressed batches: (offset, timestamp) pairs without decoding
 * keys and values. Used by offset-for-timestamp, which must answer without awaiting a codec.
 * Returns null for compressed batches (callers fall back to batch-level answers).
 */
export function recordTimestamps(batch: Buffer): { offset: bigint; timestamp: bigint }[] | null {
  const attrs = batch.readInt16BE(BATCH.ATTRIBUTES);
  if (compressionOf(attrs) !== CompressionType.None) return null;
  const base = batch.readBigInt64BE(BATCH.BASE_OFFSET);
  const baseTs = batch.readBigInt64BE(BATCH.BASE_TIMESTAMP);
  const maxTs = batch.readBigInt64BE(BATCH.MAX_TIMESTAMP);
  const count = batch.readInt32BE(BATCH.RECORD_COUNT);
  const logAppend = isLogAppendTime(attrs);
  const c: Cursor = { buf: batch, pos: BATCH.RECORDS, end: batch.length };
  const out: { offset: bigint; timestamp: bigint }[] = [];
  try {
    for (let i = 0; i < count && c.pos < c.end; i++) {
      const len = readVarint(c);
      const next = c.pos + len;
      c.pos++; // attributes
      const tsDelta = readVarlong(c);
      const offDelta = readVarint(c);
      out.push({ offset: base + BigInt(offDelta), timestamp: logAppend ? maxTs : baseTs + BigInt(tsDelta) });
      c.pos = next;
    }
  } catch {
    return out.length ? out : null;
  }
  return out;
}
