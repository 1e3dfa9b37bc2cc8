import { ErrorCode } from "../../protocol/errors/index.js";
import { DEFAULT_MAX_DECOMPRESSED, decompress } from "../../protocol/records/compression.js";
import {
  BATCH,
  CompressionType,
  compressionOf,
  isControl,
  isCrcValid,
} from "../../protocol/records/header.js";
import { type Cursor, readVarint, VarintError } from "../../protocol/records/varint.js";

/**
 * Broker-side validation of produced batches, what Kafka's log validator checks before an
 * append: framing, batch size, CRC and decompression (CORRUPT_MESSAGE), record structure and
 * offset deltas, keys on compacted topics (INVALID_RECORD, with the failing record's index for
 * v8+ responses), MESSAGE_TOO_LARGE per batch.
 */
export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}

export class PartitionError extends Error {
  override name = "PartitionError";
  constructor(
    readonly code: number,
    message?: string,
    readonly recordErrors: RecordError[] = [],
  ) {
    super(message);
  }
}

export interface ProducerBatchRules {
  maxMessageBytes: number;
  compacted: boolean;
  /** Produce v3+: exactly one batch per partition. */
  requireSingleBatch: boolean;
  /** Cap on a batch's decompressed size (protects memory from compression bombs). */
  maxDecompressedBytes?: number;
}

function skipVarlong(c: Cursor): void {
  for (let i = 0; i < 10; i++) {
    if (c.pos >= c.end) throw new VarintError("varlong runs past the end of the record");
    if ((c.buf[c.pos++]! & 0x80) === 0) return;
  }
  throw new VarintError("varlong longer than 10 bytes");
}

function skipBytes(c: Cursor, i: number, what: string, nullable = true): boolean {
  const len = readVarint(c);
  if (len === -1 && nullable) return false;
  if (len < 0 || c.pos + len > c.end) throw recordError(i, `bad ${what} length ${len}`);
  c.pos += len;
  return true;
}

function recordError(i: number, what: string): PartitionError {
  const msg = `record ${i}: ${what}`;
  return new PartitionError(ErrorCode.INVALID_RECORD, msg, [{ batchIndex: i, batchIndexErrorMessage: msg }]);
}

/**
 * Walk the records of a (decompressed) batch body without building objects: each record's
 * framing, consecutive offset deltas, header structure, and keys on compacted topics.
 */
export function walkRecords(body: Buffer, count: number, needKeys: boolean): void {
  const c: Cursor = { buf: body, pos: 0, end: body.length };
  try {
    for (let i = 0; i < count; i++) {
      c.end = body.length;
      const length = readVarint(c);
      const recEnd = c.pos + length;
      if (length < 6 || recEnd > body.length) throw recordError(i, `length ${length} does not fit the batch`);
      c.end = recEnd;
      c.pos++; // attributes
      skipVarlong(c); // timestamp delta
      const offsetDelta = readVarint(c);
      if (offsetDelta !== i) throw recordError(i, `offset delta ${offsetDelta}; offsets must be consecutive`);
      const hasKey = skipBytes(c, i, "key");
      if (needKeys && !hasKey) throw recordError(i, "Compacted topic cannot accept message without key");
      skipBytes(c, i, "value");
      const headers = readVarint(c);
      if (headers < 0 || headers > recEnd - c.pos) throw recordError(i, `bad header count ${headers}`);
      for (let h = 0; h < headers; h++) {
        skipBytes(c, i, "header key", false);
        skipBytes(c, i, "header value");
      }
      if (c.pos !== recEnd) throw recordError(i, `${recEnd - c.pos} bytes left over`);
    }
  } catch (err) {
    if (err instanceof VarintError) throw new PartitionError(ErrorCode.INVALID_RECORD, err.message);
    throw err;
  }
  if (c.pos !== body.length) {
    throw new PartitionError(
      ErrorCode.INVALID_RECORD,
      `${body.length - c.pos} bytes after the last of ${count} records`,
    );
  }
}

/** Returns the number of batches; throws PartitionError. */
export async function validateProducerBatches(buf: Buffer, rules: ProducerBatchRules): Promise<number> {
  let at = 0;
  let count = 0;
  while (at < buf.length) {
    if (buf.length - at < BATCH.HEADER_SIZE) {
      throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `truncated record batch at byte ${at}`);
    }
    const size = buf.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
    if (size < BATCH.HEADER_SIZE || at + size > buf.length) {
      throw new PartitionError(
        ErrorCode.CORRUPT_MESSAGE,
        `record batch at byte ${at} has an impossible length`,
      );
    }
    if (size > rules.maxMessageBytes) {
      throw new PartitionError(
        ErrorCode.MESSAGE_TOO_LARGE,
        `record batch of ${size} bytes exceeds max.message.bytes ${rules.maxMessageBytes}`,
      );
    }
    const magic = buf.readInt8(at + BATCH.MAGIC);
    if (magic !== 2) throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `unsupported magic ${magic}`);
    if (isControl(buf.readInt16BE(at + BATCH.ATTRIBUTES))) {
      throw new PartitionError(ErrorCode.INVALID_RECORD, "clients cannot produce control batches");
    }
    count++;
    if (rules.requireSingleBatch && count > 1) {
      throw new PartitionError(
        ErrorCode.INVALID_RECORD,
        "produce v3+ allows exactly one record batch per partition",
      );
    }
    if (!isCrcValid(buf, at, size)) {
      throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `record batch at byte ${at}: CRC mismatch`);
    }
    const attributes = buf.readInt16BE(at + BATCH.ATTRIBUTES);
    const recordCount = buf.readInt32BE(at + BATCH.RECORD_COUNT);
    const lastOffsetDelta = buf.readInt32BE(at + BATCH.LAST_OFFSET_DELTA);
    if (recordCount <= 0 || lastOffsetDelta !== recordCount - 1) {
      throw new PartitionError(ErrorCode.INVALID_RECORD, "record count does not match the last offset delta");
    }
    let body = buf.subarray(at + BATCH.RECORDS, at + size);
    const codec = compressionOf(attributes);
    if (codec !== CompressionType.None) {
      if (codec > CompressionType.Zstd)
        throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `unknown codec ${codec}`);
      try {
        body = await decompress(codec, body, rules.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED);
      } catch (err) {
        throw new PartitionError(
          ErrorCode.CORRUPT_MESSAGE,
          `cannot decompress batch: ${(err as Error).message}`,
        );
      }
    }
    walkRecords(body, recordCount, rules.compacted);
    at += size;
  }
  if (count === 0) throw new PartitionError(ErrorCode.INVALID_RECORD, "no record batches");
  return count;
}
