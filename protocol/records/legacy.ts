import { crc32 } from "node:zlib";
import { buildBatch, CorruptRecordError, InvalidRecordError } from "./batch.js";
import { DEFAULT_MAX_DECOMPRESSED, decompress } from "./compression.js";
import { BATCH, CompressionType } from "./header.js";

/**
 * Legacy message sets (magic 0 and 1), read so that old producers' data can be converted to
 * magic-2 batches. Entry layout: offset int64 | size int32 | crc uint32 (IEEE CRC32 of magic..end) |
 * magic int8 | attributes int8 | [timestamp int64, magic 1 only] | key bytes | value bytes.
 * A compressed "wrapper" message carries an inner message set as its value; in magic 1 the inner
 * offsets are relative (0..n-1) and the wrapper holds the absolute offset of the last inner one.
 */

export interface LegacyMessage {
  offset: bigint;
  magic: 0 | 1;
  /** The message's own attributes (inner messages of a wrapper have compression 0). */
  attributes: number;
  /** Compression of the wrapper the message came in, or None. */
  compression: CompressionType;
  /** -1n for magic 0. Under LogAppendTime, the wrapper's timestamp. */
  timestamp: bigint;
  logAppendTime: boolean;
  key: Buffer | null;
  value: Buffer | null;
}

export interface LegacyReadOptions {
  maxDecompressed?: number;
}

const LEGACY_TIMESTAMP_TYPE = 0x08;
const CODEC_MASK = 0x07;

/** One top-level entry: a plain message, or a wrapper's inner messages. */
interface Group {
  compression: CompressionType;
  logAppendTime: boolean;
  messages: LegacyMessage[];
}

export async function readLegacyMessageSet(
  buf: Buffer,
  opts: LegacyReadOptions = {},
): Promise<LegacyMessage[]> {
  const groups = await readGroups(buf, opts);
  return groups.flatMap((g) => g.messages);
}

interface Raw {
  offset: bigint;
  magic: 0 | 1;
  attributes: number;
  timestamp: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

/** Parse the entries of one message set level; stops quietly at a partial trailing entry. */
function parseLevel(buf: Buffer): Raw[] {
  const out: Raw[] = [];
  let at = 0;
  while (buf.length - at >= BATCH.LOG_OVERHEAD) {
    const offset = buf.readBigInt64BE(at);
    const size = buf.readInt32BE(at + 8);
    if (size < 14) throw new CorruptRecordError(`legacy message at ${at}: impossible size ${size}`);
    const start = at + BATCH.LOG_OVERHEAD;
    const end = start + size;
    if (end > buf.length) break;
    const stored = buf.readUInt32BE(start);
    const magic = buf.readInt8(start + 4);
    if (magic !== 0 && magic !== 1) throw new CorruptRecordError(`legacy message at ${at}: magic ${magic}`);
    if (crc32(buf.subarray(start + 4, end)) >>> 0 !== stored) {
      throw new CorruptRecordError(`legacy message at ${at}: CRC mismatch`);
    }
    const attributes = buf.readInt8(start + 5);
    let p = start + 6;
    let timestamp = -1n;
    if (magic === 1) {
      if (p + 8 > end) throw new CorruptRecordError(`legacy message at ${at}: truncated timestamp`);
      timestamp = buf.readBigInt64BE(p);
      p += 8;
    }
    const k = readLegacyBytes(buf, p, end, at);
    const v = readLegacyBytes(buf, k.next, end, at);
    if (v.next !== end)
      throw new InvalidRecordError(`legacy message at ${at}: ${end - v.next} trailing bytes`);
    out.push({ offset, magic, attributes, timestamp, key: k.bytes, value: v.bytes });
    at = end;
  }
  return out;
}

function readLegacyBytes(
  buf: Buffer,
  p: number,
  end: number,
  at: number,
): { bytes: Buffer | null; next: number } {
  if (p + 4 > end) throw new CorruptRecordError(`legacy message at ${at}: truncated length`);
  const n = buf.readInt32BE(p);
  p += 4;
  if (n < 0) return { bytes: null, next: p };
  if (p + n > end) throw new CorruptRecordError(`legacy message at ${at}: field overruns message`);
  return { bytes: buf.subarray(p, p + n), next: p + n };
}

async function readGroups(buf: Buffer, opts: LegacyReadOptions): Promise<Group[]> {
  const groups: Group[] = [];
  for (const m of parseLevel(buf)) {
    const codec = (m.attributes & CODEC_MASK) as CompressionType;
    const logAppendTime = m.magic === 1 && (m.attributes & LEGACY_TIMESTAMP_TYPE) !== 0;
    if (codec === CompressionType.None) {
      groups.push({
        compression: codec,
        logAppendTime,
        messages: [toMessage(m, m.offset, codec, m.timestamp)],
      });
      continue;
    }
    if (codec > CompressionType.Lz4)
      throw new CorruptRecordError(`legacy message: unsupported codec ${codec}`);
    if (m.value === null) throw new InvalidRecordError("legacy compressed wrapper has a null value");
    let payload = m.value;
    if (codec === CompressionType.Lz4 && m.magic === 0) payload = fixKafkaLz4HeaderChecksum(payload);
    let inner: Buffer;
    try {
      inner = await decompress(codec, payload, opts.maxDecompressed ?? DEFAULT_MAX_DECOMPRESSED);
    } catch (e) {
      throw new CorruptRecordError((e as Error).message, { cause: e });
    }
    const raws = parseLevel(inner);
    if (raws.length === 0) throw new InvalidRecordError("legacy compressed wrapper holds no messages");
    const last = raws[raws.length - 1]!.offset;
    const messages = raws.map((r) => {
      if ((r.attributes & CODEC_MASK) !== 0) throw new InvalidRecordError("nested compressed legacy message");
      // magic 1 inner offsets are relative to the wrapper's (absolute) last offset
      const offset = m.magic === 1 ? m.offset - last + r.offset : r.offset;
      const ts = logAppendTime ? m.timestamp : r.timestamp;
      return toMessage(r, offset, codec, ts, logAppendTime);
    });
    groups.push({ compression: codec, logAppendTime, messages });
  }
  return groups;
}

function toMessage(
  r: Raw,
  offset: bigint,
  compression: CompressionType,
  timestamp: bigint,
  logAppendTime = r.magic === 1 && (r.attributes & LEGACY_TIMESTAMP_TYPE) !== 0,
): LegacyMessage {
  return {
    offset,
    magic: r.magic,
    attributes: r.attributes,
    compression,
    timestamp: r.magic === 0 ? -1n : timestamp,
    logAppendTime,
    key: r.key,
    value: r.value,
  };
}

export interface ConvertOptions extends LegacyReadOptions {
  /** Timestamp for magic-0 messages, which have none. Default -1 (Kafka's "no timestamp"). */
  magic0Timestamp?: bigint;
  /** Override the output compression (default: keep each wrapper's codec). */
  compression?: CompressionType;
}

/**
 * Convert a legacy message set to magic-2 batches: one batch per compressed wrapper (same codec),
 * one per run of consecutive uncompressed messages. Offsets keep their spacing when increasing,
 * otherwise become 0..n-1 within the batch (the broker assigns real offsets on append anyway).
 */
export async function convertLegacyToBatches(buf: Buffer, opts: ConvertOptions = {}): Promise<Buffer[]> {
  const groups = await readGroups(buf, opts);
  // merge runs of plain messages with the same timestamp type
  const merged: Group[] = [];
  for (const g of groups) {
    const prev = merged[merged.length - 1];
    if (
      prev &&
      g.compression === CompressionType.None &&
      prev.compression === CompressionType.None &&
      prev.logAppendTime === g.logAppendTime
    ) {
      prev.messages.push(...g.messages);
    } else {
      merged.push({ ...g, messages: [...g.messages] });
    }
  }
  const out: Buffer[] = [];
  for (const g of merged) {
    const msgs = g.messages;
    const base = msgs[0]!.offset;
    let increasing = true;
    for (let i = 1; i < msgs.length; i++) {
      if (msgs[i]!.offset <= msgs[i - 1]!.offset || msgs[i]!.offset - base > 0x7fffffffn) increasing = false;
    }
    const ts = (m: LegacyMessage): bigint => (m.magic === 0 ? (opts.magic0Timestamp ?? -1n) : m.timestamp);
    let maxTs = -1n;
    for (const m of msgs) if (ts(m) > maxTs) maxTs = ts(m);
    out.push(
      await buildBatch({
        baseOffset: base < 0n ? 0n : base,
        compression: opts.compression ?? g.compression,
        logAppendTime: g.logAppendTime,
        baseTimestamp: ts(msgs[0]!),
        maxTimestamp: maxTs,
        records: msgs.map((m, i) => ({
          key: m.key,
          value: m.value,
          timestamp: ts(m),
          offsetDelta: increasing ? Number(m.offset - base) : i,
        })),
      }),
    );
  }
  return out;
}

// ---- Kafka 0.8-0.9 LZ4 (magic 0): the frame header checksum was computed over the magic too ----

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;
const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** xxHash32 for inputs under 16 bytes (an LZ4 frame descriptor is at most 14). */
export function xxh32Short(data: Buffer, seed = 0): number {
  if (data.length >= 16) throw new RangeError("xxh32Short handles < 16 bytes");
  let acc = (seed + P5 + data.length) | 0;
  let i = 0;
  for (; i + 4 <= data.length; i += 4) {
    acc = (acc + Math.imul(data.readUInt32LE(i), P3)) | 0;
    acc = Math.imul(rotl(acc, 17), P4);
  }
  for (; i < data.length; i++) {
    acc = (acc + Math.imul(data[i]!, P5)) | 0;
    acc = Math.imul(rotl(acc, 11), P1);
  }
  acc ^= acc >>> 15;
  acc = Math.imul(acc, P2);
  acc ^= acc >>> 13;
  acc = Math.imul(acc, P3);
  acc ^= acc >>> 16;
  return acc >>> 0;
}

/** Rewrite the header checksum byte of an LZ4 frame to the standard value (copy; input untouched). */
export function fixKafkaLz4HeaderChecksum(frame: Buffer): Buffer {
  if (frame.length < 7 || frame.readUInt32LE(0) !== 0x184d2204) return frame;
  const flg = frame[4]!;
  const descLen = 2 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0);
  if (frame.length < 4 + descLen + 1) return frame;
  const hc = (xxh32Short(frame.subarray(4, 4 + descLen)) >>> 8) & 0xff;
  if (frame[4 + descLen] === hc) return frame;
  const fixed = Buffer.from(frame);
  fixed[4 + descLen] = hc;
  return fixed;
}
