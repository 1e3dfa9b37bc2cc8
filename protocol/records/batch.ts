import { compress, DEFAULT_MAX_DECOMPRESSED, decompress } from "./compression.js";
import {
  Attr,
  BATCH,
  type BatchHeader,
  CompressionType,
  compressionOf,
  isCrcValid,
  isLogAppendTime,
  readBatchHeader,
  writeCrc,
} from "./header.js";
import {
  type Cursor,
  readVarint,
  readVarlong,
  VarintError,
  varintSize,
  varlongSize,
  varlongSizeBig,
  writeVarint,
  writeVarlong,
  writeVarlongBig,
} from "./varint.js";

/**
 * Magic-2 record batches: decode (CRC check, decompression, varint records) and build.
 * Decoded keys, values and header values are views into the input (uncompressed batches) or into
 * the decompressed buffer; copy them if the input buffer is reused.
 */

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: bigint;
  offsetDelta: number;
  /** baseOffset + offsetDelta */
  offset: bigint;
  /** baseTimestamp + timestampDelta, or the batch's maxTimestamp under LogAppendTime */
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordBatch {
  header: BatchHeader;
  records: KafkaRecord[];
}

/** Batch-level damage: wrong magic, bad CRC, truncation, undecodable compression. Kafka: CORRUPT_MESSAGE. */
export class CorruptRecordError extends Error {
  override name = "CorruptRecordError";
  /** Kafka error code CORRUPT_MESSAGE */
  readonly code = 2;
}

/** Structurally bad records inside an intact batch. Kafka: INVALID_RECORD. */
export class InvalidRecordError extends Error {
  override name = "InvalidRecordError";
  /** Kafka error code INVALID_RECORD */
  readonly code = 87;
}

/** batchLength of the smallest magic-2 batch: header after the length field, no records. */
const MIN_BATCH_LENGTH = BATCH.HEADER_SIZE - BATCH.LOG_OVERHEAD;

export interface DecodeOptions {
  /** Cap on decompressed record bytes (see compression.ts). */
  maxDecompressed?: number;
}

export async function decodeBatch(buf: Buffer, at = 0, opts: DecodeOptions = {}): Promise<RecordBatch> {
  if (buf.length - at < BATCH.HEADER_SIZE) {
    throw new CorruptRecordError(
      `record batch truncated: ${buf.length - at} bytes, header needs ${BATCH.HEADER_SIZE}`,
    );
  }
  const magic = buf.readInt8(at + BATCH.MAGIC);
  if (magic !== 2) throw new CorruptRecordError(`unsupported record batch magic ${magic}`);
  const header = readBatchHeader(buf, at);
  const size = header.batchLength + BATCH.LOG_OVERHEAD;
  if (header.batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptRecordError(
      `record batch length ${header.batchLength} below minimum ${MIN_BATCH_LENGTH}`,
    );
  }
  if (at + size > buf.length) {
    throw new CorruptRecordError(`record batch truncated: length ${size}, have ${buf.length - at}`);
  }
  if (!isCrcValid(buf, at, size)) {
    throw new CorruptRecordError(`record batch CRC mismatch (stored ${header.crc >>> 0})`);
  }
  if (header.recordCount < 0) throw new InvalidRecordError(`negative record count ${header.recordCount}`);

  let body = buf.subarray(at + BATCH.RECORDS, at + size);
  const codec = compressionOf(header.attributes);
  if (codec !== CompressionType.None) {
    if (codec > CompressionType.Zstd) throw new CorruptRecordError(`unknown compression codec ${codec}`);
    try {
      body = await decompress(codec, body, opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED);
    } catch (e) {
      throw new CorruptRecordError((e as Error).message, { cause: e });
    }
  }
  return { header, records: parseRecords(header, body) };
}

function parseRecords(header: BatchHeader, body: Buffer): KafkaRecord[] {
  const count = header.recordCount;
  // Every record takes at least 7 bytes; a larger count is corrupt and must not size an array.
  if (count > body.length) throw new InvalidRecordError(`record count ${count} exceeds ${body.length} bytes`);
  const records: KafkaRecord[] = new Array(count);
  const c: Cursor = { buf: body, pos: 0, end: body.length };
  const logAppend = isLogAppendTime(header.attributes);
  const { baseOffset, baseTimestamp, maxTimestamp } = header;
  try {
    for (let i = 0; i < count; i++) {
      const length = readVarint(c);
      const recEnd = c.pos + length;
      if (length < 6 || recEnd > body.length) {
        throw new InvalidRecordError(`record ${i}: length ${length} does not fit the batch`);
      }
      c.end = recEnd;
      const attributes = (body[c.pos++]! << 24) >> 24; // int8
      const delta = readVarlong(c);
      const offsetDelta = readVarint(c);
      const key = readBytes(c, i, "key");
      const value = readBytes(c, i, "value");
      const headerCount = readVarint(c);
      if (headerCount < 0 || headerCount > recEnd - c.pos) {
        throw new InvalidRecordError(`record ${i}: bad header count ${headerCount}`);
      }
      const headers: RecordHeader[] = new Array(headerCount);
      for (let h = 0; h < headerCount; h++) {
        const klen = readVarint(c);
        if (klen < 0 || c.pos + klen > recEnd) throw new InvalidRecordError(`record ${i}: bad header key`);
        const hkey = body.toString("utf8", c.pos, c.pos + klen);
        c.pos += klen;
        headers[h] = { key: hkey, value: readBytes(c, i, "header value") };
      }
      if (c.pos !== recEnd) throw new InvalidRecordError(`record ${i}: ${recEnd - c.pos} bytes left over`);
      c.end = body.length;
      const timestampDelta = BigInt(delta);
      records[i] = {
        attributes,
        timestampDelta,
        offsetDelta,
        offset: baseOffset + BigInt(offsetDelta),
        timestamp: logAppend ? maxTimestamp : baseTimestamp + timestampDelta,
        key,
        value,
        headers,
      };
    }
  } catch (e) {
    if (e instanceof VarintError) throw new InvalidRecordError(e.message);
    throw e;
  }
  if (c.pos !== body.length) {
    throw new InvalidRecordError(`${body.length - c.pos} bytes after the last of ${count} records`);
  }
  return records;
}

function readBytes(c: Cursor, i: number, what: string): Buffer | null {
  const len = readVarint(c);
  if (len === -1) return null;
  if (len < -1 || c.pos + len > c.end) throw new InvalidRecordError(`record ${i}: bad ${what} length ${len}`);
  const out = c.buf.subarray(c.pos, c.pos + len);
  c.pos += len;
  return out;
}

// ---- framing over concatenated batches (magic-agnostic: legacy messages share the framing) ----

/** Smallest legacy message (magic 0, null key and value) after the length field. */
const MIN_ENTRY_LENGTH = 14;

/**
 * Whole batches in a buffer of concatenated batches. Stops quietly at a partial trailing batch
 * (fetch responses may cut the last one); throws CorruptRecordError on an impossible length.
 */
export function* batchesIn(buf: Buffer): Generator<{ at: number; size: number }> {
  let at = 0;
  while (buf.length - at >= BATCH.LOG_OVERHEAD) {
    const length = buf.readInt32BE(at + BATCH.LENGTH);
    if (length < MIN_ENTRY_LENGTH)
      throw new CorruptRecordError(`batch at ${at}: impossible length ${length}`);
    const size = length + BATCH.LOG_OVERHEAD;
    if (at + size > buf.length) return;
    yield { at, size };
    at += size;
  }
}

/**
 * Magic byte of the batch or legacy message at `at` (same position, 16, in every format), or -1 if
 * the buffer is too short. Lets the produce path route magic 0/1 data to the legacy converter.
 */
export function magicAt(buf: Buffer, at = 0): number {
  return buf.length - at > BATCH.MAGIC ? buf.readInt8(at + BATCH.MAGIC) : -1;
}

/** End of the last whole batch (0 if none). */
export function lastBatchEnd(buf: Buffer): number {
  let end = 0;
  for (const { at, size } of batchesIn(buf)) end = at + size;
  return end;
}

// ---- building ----

export interface BuildRecord {
  key?: Buffer | null;
  value?: Buffer | null;
  headers?: RecordHeader[];
  timestamp?: bigint;
  offsetDelta?: number;
}

export interface BuildBatchOptions {
  records: BuildRecord[];
  baseOffset?: bigint;
  /** Default -1 (what producers send; the leader stamps it). */
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  logAppendTime?: boolean;
  transactional?: boolean;
  control?: boolean;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  /** Default: the first record's timestamp (or now). */
  baseTimestamp?: bigint;
  /** Default: the largest record timestamp; under logAppendTime, now. */
  maxTimestamp?: bigint;
  /** Default: the largest offsetDelta. Only needed for empty batches kept by compaction. */
  lastOffsetDelta?: number;
  /** Clock for default timestamps (ms); tests inject it. */
  now?: () => bigint;
}

const defaultNow = (): bigint => BigInt(Date.now());

export async function buildBatch(opts: BuildBatchOptions): Promise<Buffer> {
  const recs = opts.records;
  const n = recs.length;
  let nowCache: bigint | undefined;
  const now = (): bigint => {
    nowCache ??= (opts.now ?? defaultNow)();
    return nowCache;
  };
  const baseTimestamp = opts.baseTimestamp ?? recs[0]?.timestamp ?? now();
  const baseTsNum = Number(baseTimestamp);
  const baseSafe = Number.isSafeInteger(baseTsNum);

  // Pass 1: sizes and deltas, so the output is written in one allocation.
  const bodySizes = new Int32Array(n);
  const tsDeltas = new Float64Array(n);
  let recordsSize = 0;
  let maxTs = -1n;
  // Deltas beyond +-2^53 (absurd timestamps, but legal) keep exact bigint values here; NaN marks them.
  let bigDeltas: Map<number, bigint> | undefined;
  let lastOffsetDelta = 0;
  for (let i = 0; i < n; i++) {
    const r = recs[i]!;
    const tsBig = r.timestamp ?? opts.baseTimestamp ?? now();
    if (i === 0 || tsBig > maxTs) maxTs = tsBig;
    const ts = Number(tsBig);
    let tsDelta = ts - baseTsNum;
    if (!baseSafe || !Number.isSafeInteger(ts) || !Number.isSafeInteger(tsDelta)) {
      const exact = tsBig - baseTimestamp;
      tsDelta = Number(exact);
      if (!Number.isSafeInteger(tsDelta)) {
        bigDeltas ??= new Map();
        bigDeltas.set(i, exact);
        tsDelta = Number.NaN;
      }
    }
    tsDeltas[i] = tsDelta;
    const offsetDelta = r.offsetDelta ?? i;
    if (offsetDelta > lastOffsetDelta) lastOffsetDelta = offsetDelta;
    const tsSize = Number.isNaN(tsDelta) ? varlongSizeBig(bigDeltas!.get(i)!) : varlongSize(tsDelta);
    let size = 1 + tsSize + varintSize(offsetDelta) + bytesSize(r.key) + bytesSize(r.value);
    const headers = r.headers;
    const hc = headers ? headers.length : 0;
    size += varintSize(hc);
    for (let h = 0; h < hc; h++) {
      const hd = headers![h]!;
      const kl = Buffer.byteLength(hd.key);
      size += varintSize(kl) + kl + bytesSize(hd.value);
    }
    bodySizes[i] = size;
    recordsSize += varintSize(size) + size;
  }

  const codec = opts.compression ?? CompressionType.None;
  let out: Buffer;
  if (codec === CompressionType.None) {
    out = Buffer.allocUnsafe(BATCH.HEADER_SIZE + recordsSize);
    writeRecords(out, BATCH.HEADER_SIZE, recs, bodySizes, tsDeltas, bigDeltas);
  } else {
    const raw = Buffer.allocUnsafe(recordsSize);
    writeRecords(raw, 0, recs, bodySizes, tsDeltas, bigDeltas);
    const packed = await compress(codec, raw);
    out = Buffer.allocUnsafe(BATCH.HEADER_SIZE + packed.length);
    packed.copy(out, BATCH.HEADER_SIZE);
  }

  let attributes = codec & Attr.COMPRESSION_MASK;
  if (opts.logAppendTime) attributes |= Attr.TIMESTAMP_TYPE_LOG_APPEND;
  if (opts.transactional) attributes |= Attr.TRANSACTIONAL;
  if (opts.control) attributes |= Attr.CONTROL;
  const maxTimestamp = opts.maxTimestamp ?? (opts.logAppendTime ? now() : maxTs);

  out.writeBigInt64BE(opts.baseOffset ?? 0n, BATCH.BASE_OFFSET);
  out.writeInt32BE(out.length - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, BATCH.PARTITION_LEADER_EPOCH);
  out.writeInt8(2, BATCH.MAGIC);
  out.writeInt16BE(attributes, BATCH.ATTRIBUTES);
  out.writeInt32BE(opts.lastOffsetDelta ?? lastOffsetDelta, BATCH.LAST_OFFSET_DELTA);
  out.writeBigInt64BE(baseTimestamp, BATCH.BASE_TIMESTAMP);
  out.writeBigInt64BE(maxTimestamp, BATCH.MAX_TIMESTAMP);
  out.writeBigInt64BE(opts.producerId ?? -1n, BATCH.PRODUCER_ID);
  out.writeInt16BE(opts.producerEpoch ?? -1, BATCH.PRODUCER_EPOCH);
  out.writeInt32BE(opts.baseSequence ?? -1, BATCH.BASE_SEQUENCE);
  out.writeInt32BE(n, BATCH.RECORD_COUNT);
  writeCrc(out, 0, out.length);
  return out;
}

const bytesSize = (b: Buffer | null | undefined): number => (b == null ? 1 : varintSize(b.length) + b.length);

function writeBytes(buf: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (b == null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  return pos + b.copy(buf, pos);
}

function writeRecords(
  buf: Buffer,
  pos: number,
  recs: BuildRecord[],
  bodySizes: Int32Array,
  tsDeltas: Float64Array,
  bigDeltas: Map<number, bigint> | undefined,
): number {
  for (let i = 0; i < recs.length; i++) {
    const r = recs[i]!;
    pos = writeVarint(buf, pos, bodySizes[i]!);
    buf[pos++] = 0; // record attributes: unused
    const d = tsDeltas[i]!;
    pos = Number.isNaN(d) ? writeVarlongBig(buf, pos, bigDeltas!.get(i)!) : writeVarlong(buf, pos, d);
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    pos = writeBytes(buf, pos, r.key);
    pos = writeBytes(buf, pos, r.value);
    const headers = r.headers;
    const hc = headers ? headers.length : 0;
    pos = writeVarint(buf, pos, hc);
    for (let h = 0; h < hc; h++) {
      const hd = headers![h]!;
      const kl = Buffer.byteLength(hd.key);
      pos = writeVarint(buf, pos, kl);
      pos += buf.write(hd.key, pos, kl, "utf8");
      pos = writeBytes(buf, pos, hd.value);
    }
  }
  return pos;
}
