import { decompress } from "../../protocol/records/compression.js";
import { BATCH, CompressionType, compressionOf, isLogAppendTime } from "../../protocol/records/header.js";
import { type Cursor, readVarint, readVarlong } from "../../protocol/records/varint.js";

export interface RecordTime {
  offset: bigint;
  timestamp: bigint;
}

/**
 * (offset, timestamp) pairs of a batch's records without decoding keys and values. Uncompressed
 * batches are walked in place; compressed ones are decompressed first (async for every codec, as
 * zstd only has an async binding). Used by offset-for-timestamp.
 */
export async function recordTimestamps(batch: Buffer): Promise<RecordTime[]> {
  const attrs = batch.readInt16BE(BATCH.ATTRIBUTES);
  const codec = compressionOf(attrs);
  const size = batch.readInt32BE(BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
  let body = batch.subarray(BATCH.RECORDS, Math.min(size, batch.length));
  if (codec !== CompressionType.None) body = await decompress(codec, body);
  return walkRecords(batch, body);
}

/** Walk the (uncompressed) record bodies; stops quietly at a damaged record. */
function walkRecords(header: Buffer, body: Buffer): RecordTime[] {
  const attrs = header.readInt16BE(BATCH.ATTRIBUTES);
  const base = header.readBigInt64BE(BATCH.BASE_OFFSET);
  const baseTs = header.readBigInt64BE(BATCH.BASE_TIMESTAMP);
  const maxTs = header.readBigInt64BE(BATCH.MAX_TIMESTAMP);
  const count = header.readInt32BE(BATCH.RECORD_COUNT);
  const logAppend = isLogAppendTime(attrs);
  const c: Cursor = { buf: body, pos: 0, end: body.length };
  const out: RecordTime[] = [];
  try {
    for (let i = 0; i < count && c.pos < c.end; i++) {
      const len = readVarint(c);
      const next = c.pos + len;
      if (len < 6 || next > body.length) break;
      c.pos++; // attributes
      const tsDelta = readVarlong(c);
      const offDelta = readVarint(c);
      out.push({ offset: base + BigInt(offDelta), timestamp: logAppend ? maxTs : baseTs + BigInt(tsDelta) });
      c.pos = next;
    }
  } catch {
    // A truncated varint: what was read so far is still right.
  }
  return out;
}
