import { promisify } from "node:util";
import { gunzip, gunzipSync, gzip, gzipSync } from "node:zlib";
import { compress as zstdCompress, decompress as zstdDecompress } from "@mongodb-js/zstd";
import { compressFrame, compressFrameSync, decompressFrame, decompressFrameSync } from "lz4-napi";
import snappy from "snappy";
import { CompressionType } from "./header.js";

/**
 * Record-batch compression through maintained native packages: gzip (node:zlib), snappy (snappy),
 * lz4 frame format (lz4-napi), zstd (@mongodb-js/zstd).
 *
 * Decompression is capped at `maxOutput` bytes (default DEFAULT_MAX_DECOMPRESSED) so a small
 * hostile batch cannot make the broker allocate gigabytes. Where the format allows, the size is
 * bounded from headers before any inflating happens (snappy length preamble, lz4/zstd block walk);
 * gzip uses zlib's own maxOutputLength. 64 MiB is well above Kafka's default message.max.bytes
 * (1 MiB) and the usual raised limits, but far below what would hurt a 2-core broker.
 */
export const DEFAULT_MAX_DECOMPRESSED = 64 * 1024 * 1024;

/** Below this size the sync native calls are cheaper than a thread-pool round trip. */
const SYNC_LIMIT = 64 * 1024;

export class DecompressionError extends Error {
  override name = "DecompressionError";
}

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export async function compress(type: CompressionType, data: Buffer): Promise<Buffer> {
  switch (type) {
    case CompressionType.None:
      return data;
    case CompressionType.Gzip:
      return data.length < SYNC_LIMIT ? gzipSync(data) : gzipAsync(data);
    case CompressionType.Snappy:
      return xerialEncode(data);
    case CompressionType.Lz4:
      // Kafka (magic 2) uses the standard LZ4 frame; librdkafka and Java do not need checksums.
      return data.length < SYNC_LIMIT ? compressFrameSync(data) : compressFrame(data);
    case CompressionType.Zstd:
      return zstdCompress(data, 3);
    default:
      throw new DecompressionError(`unknown compression type ${type as number}`);
  }
}

export async function decompress(
  type: CompressionType,
  data: Buffer,
  maxOutput = DEFAULT_MAX_DECOMPRESSED,
): Promise<Buffer> {
  let out: Buffer;
  try {
    switch (type) {
      case CompressionType.None:
        return data;
      case CompressionType.Gzip:
        out = await gunzipCapped(data, maxOutput);
        break;
      case CompressionType.Snappy:
        out = snappyDecode(data, maxOutput);
        break;
      case CompressionType.Lz4:
        checkCap(lz4Bound(data), maxOutput);
        out = data.length < SYNC_LIMIT ? decompressFrameSync(data) : await decompressFrame(data);
        break;
      case CompressionType.Zstd:
        checkCap(zstdBound(data), maxOutput);
        out = await zstdDecompress(data);
        break;
      default:
        throw new DecompressionError(`unknown compression type ${type as number}`);
    }
  } catch (e) {
    if (e instanceof DecompressionError) throw e;
    throw new DecompressionError(
      `${CompressionType[type] ?? type} decompression failed: ${(e as Error).message}`,
    );
  }
  if (out.length > maxOutput) throw new DecompressionError(`decompressed size exceeds ${maxOutput} bytes`);
  return out;
}

function checkCap(bound: number, maxOutput: number): void {
  if (bound > maxOutput) {
    throw new DecompressionError(
      `decompressed size may reach ${bound} bytes, over the ${maxOutput} byte cap`,
    );
  }
}

async function gunzipCapped(data: Buffer, maxOutput: number): Promise<Buffer> {
  const opts = { maxOutputLength: maxOutput };
  try {
    return data.length < SYNC_LIMIT ? gunzipSync(data, opts) : await gunzipAsync(data, opts);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") {
      throw new DecompressionError(`decompressed size exceeds ${maxOutput} bytes`);
    }
    throw e;
  }
}

// ---- snappy: xerial framing (Java) and raw blocks (librdkafka) ----

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** magic(8) + version int32 + compatible-version int32 */
const XERIAL_HEADER = 16;
/** Java's SnappyOutputStream default block size. */
const XERIAL_BLOCK = 32 * 1024;

export function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

/** Encode as xerial-framed snappy, as the Java client sends; librdkafka, KafkaJS and Java all read it. */
export function xerialEncode(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(XERIAL_HEADER);
  XERIAL_MAGIC.copy(head, 0);
  head.writeInt32BE(1, 8);
  head.writeInt32BE(1, 12);
  parts.push(head);
  for (let at = 0; at < data.length; at += XERIAL_BLOCK) {
    const block = snappy.compressSync(data.subarray(at, Math.min(data.length, at + XERIAL_BLOCK)));
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

/** Uncompressed length from a raw snappy block's varint preamble (no inflating). */
function snappyRawLength(data: Buffer, at: number, end: number): number {
  let result = 0;
  for (let i = 0, mul = 1; i < 5; i++, mul *= 128) {
    if (at + i >= end) break;
    const b = data[at + i]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return result;
  }
  throw new DecompressionError("bad snappy length preamble");
}

function snappyRaw(block: Buffer): Buffer {
  return snappy.uncompressSync(block, { asBuffer: true }) as Buffer;
}

function snappyDecode(data: Buffer, maxOutput: number): Buffer {
  if (!isXerial(data)) {
    checkCap(snappyRawLength(data, 0, data.length), maxOutput);
    return snappyRaw(data);
  }
  const blocks: Buffer[] = [];
  let total = 0;
  let at = XERIAL_HEADER;
  while (at < data.length) {
    if (at + 4 > data.length) throw new DecompressionError("truncated xerial snappy chunk length");
    const len = data.readInt32BE(at);
    at += 4;
    if (len < 0 || at + len > data.length) throw new DecompressionError("truncated xerial snappy chunk");
    total += snappyRawLength(data, at, at + len);
    checkCap(total, maxOutput);
    blocks.push(snappyRaw(data.subarray(at, at + len)));
    at += len;
  }
  return blocks.length === 1 ? blocks[0]! : Buffer.concat(blocks, total);
}

// ---- size bounds from lz4 / zstd framing, computed without decompressing ----

const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 << 10, 256 << 10, 1 << 20, 4 << 20];

/**
 * Upper bound of an LZ4 frame's output: walk the block headers (each block decodes to at most the
 * frame's block maximum; stored blocks to their own size). Skippable frames contribute nothing.
 */
export function lz4Bound(data: Buffer): number {
  let at = 0;
  let bound = 0;
  while (at < data.length) {
    if (at + 7 > data.length) throw new DecompressionError("truncated lz4 frame header");
    const magic = data.readUInt32LE(at);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      at += 8 + data.readUInt32LE(at + 4);
      continue;
    }
    if (magic !== LZ4_MAGIC) throw new DecompressionError("not an lz4 frame");
    const flg = data[at + 4]!;
    const bd = data[at + 5]!;
    const blockMax = LZ4_BLOCK_MAX[(bd >> 4) & 7]!;
    if (blockMax === 0) throw new DecompressionError("bad lz4 block size");
    const blockChecksum = (flg & 0x10) !== 0;
    const contentSize = (flg & 0x08) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const dictId = (flg & 0x01) !== 0;
    at += 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1;
    for (;;) {
      if (at + 4 > data.length) throw new DecompressionError("truncated lz4 block");
      const word = data.readUInt32LE(at);
      at += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      bound += (word & 0x80000000) !== 0 ? size : blockMax;
      at += size + (blockChecksum ? 4 : 0);
    }
    at += contentChecksum ? 4 : 0;
  }
  return bound;
}

const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;

/** Upper bound of a zstd stream's output from its frame and block headers. */
export function zstdBound(data: Buffer): number {
  let at = 0;
  let bound = 0;
  while (at < data.length) {
    if (at + 4 > data.length) throw new DecompressionError("truncated zstd frame");
    const magic = data.readUInt32LE(at);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      if (at + 8 > data.length) throw new DecompressionError("truncated zstd skippable frame");
      at += 8 + data.readUInt32LE(at + 4);
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw new DecompressionError("not a zstd frame");
    const fhd = data[at + 4];
    if (fhd === undefined) throw new DecompressionError("truncated zstd frame header");
    const fcsFlag = fhd >> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    const dictFlag = fhd & 0x03;
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    at += 5 + (singleSegment ? 0 : 1) + [0, 1, 2, 4][dictFlag]! + fcsSize;
    for (;;) {
      if (at + 3 > data.length) throw new DecompressionError("truncated zstd block header");
      const h = data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
      at += 3;
      const last = (h & 1) !== 0;
      const type = (h >> 1) & 3;
      const size = h >>> 3;
      if (type === 3) throw new DecompressionError("reserved zstd block type");
      // raw: size bytes stored; RLE: size is the regenerated length from one byte; compressed: <= 128 KiB.
      bound += type === 2 ? ZSTD_BLOCK_MAX : size;
      at += type === 1 ? 1 : size;
      if (last) break;
    }
    at += checksum ? 4 : 0;
  }
  return bound;
}
