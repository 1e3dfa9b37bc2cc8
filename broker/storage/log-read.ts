import type { LeaderEpochCache } from "./epoch-cache.js";
import { OffsetOutOfRangeError } from "./errors.js";
import { recordTimestamps } from "./record-scan.js";
import type { BatchInfo, LogSegment } from "./segment.js";

/** Fetch and ListOffsets over a partition's segments: synchronous, whole batches only. */

export interface ReadOptions {
  /** Exclude batches reaching this offset (e.g. the high watermark). */
  maxOffset?: bigint;
  /** Return the first batch even when it is larger than maxBytes (default true). */
  minOneBatch?: boolean;
}

export interface ReadResult {
  /** Byte ranges of whole batches, in offset order, possibly from several segments. */
  chunks: Buffer[];
  firstBatchOffset: bigint | null;
  bytes: number;
}

export interface TimestampOffsetResult {
  offset: bigint;
  timestamp: bigint;
  leaderEpoch: number;
}

export const EARLIEST_TIMESTAMP = -2n;
export const LATEST_TIMESTAMP = -1n;
export const MAX_TIMESTAMP = -3n;
export const EARLIEST_LOCAL_TIMESTAMP = -4n;

export interface LogView {
  segments: readonly LogSegment[];
  logStartOffset: bigint;
  logEndOffset: bigint;
  epochs: LeaderEpochCache;
}

function bigMax(a: bigint, b: bigint): bigint {
  if (a >= b) return a;
  return b;
}

/** Index of the segment holding `offset` (the last one with base <= offset). */
export function segmentIndexFor(segments: readonly LogSegment[], offset: bigint): number {
  let lo = 0;
  let hi = segments.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segments[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * Whole batches from the one holding `fetchOffset`, up to `maxBytes` (at least one batch unless
 * minOneBatch is false), continuing into later segments, never reaching `maxOffset`.
 */
export function readLog(
  v: LogView,
  fetchOffset: bigint,
  maxBytes: number,
  opts: ReadOptions = {},
): ReadResult {
  if (fetchOffset < v.logStartOffset || fetchOffset > v.logEndOffset) {
    throw new OffsetOutOfRangeError(fetchOffset, v.logStartOffset, v.logEndOffset, "fetch offset");
  }
  const out: ReadResult = { chunks: [], firstBatchOffset: null, bytes: 0 };
  const maxOffset =
    opts.maxOffset !== undefined && opts.maxOffset < v.logEndOffset ? opts.maxOffset : v.logEndOffset;
  const minOne = opts.minOneBatch ?? true;
  if (fetchOffset >= maxOffset) return out;
  const segs = v.segments;
  for (let i = segmentIndexFor(segs, fetchOffset); i < segs.length; i++) {
    const seg = segs[i]!;
    const start = seg.findBatch(fetchOffset);
    if (!start) continue;
    if (start.lastOffset >= maxOffset) break;
    const room = maxBytes - out.bytes;
    let want = Math.min(room, seg.size - start.position);
    if (start.size > room) {
      if (out.bytes > 0 || !minOne) break;
      want = start.size;
    }
    // One read, then cut at the last whole batch that stays below maxOffset.
    const buf = seg.readBytes(start.position, want);
    let end = 0;
    let stop = false;
    while (end + 61 <= buf.length) {
      const size = buf.readInt32BE(end + 8) + 12;
      if (size < 61 || end + size > buf.length) break;
      if (buf.readBigInt64BE(end) + BigInt(buf.readInt32BE(end + 23)) >= maxOffset) {
        stop = true;
        break;
      }
      end += size;
    }
    if (end < buf.length) stop = true;
    if (end > 0) {
      out.chunks.push(end === buf.length ? buf : buf.subarray(0, end));
      out.bytes += end;
      out.firstBatchOffset ??= start.baseOffset;
    }
    if (stop || out.bytes >= maxBytes) break;
  }
  return out;
}

/**
 * ListOffsets: -2 earliest (and -4 earliest local), -1 latest, -3 the record with the largest
 * timestamp, otherwise the first record with timestamp >= ts. Record-level for uncompressed
 * batches; for compressed ones the batch's first offset (this answer must be synchronous).
 */
export function offsetForTimestamp(v: LogView, ts: bigint): TimestampOffsetResult | null {
  const lso = v.logStartOffset;
  if (ts === EARLIEST_TIMESTAMP || ts === EARLIEST_LOCAL_TIMESTAMP) {
    return { offset: lso, timestamp: -1n, leaderEpoch: v.epochs.epochForOffset(lso) };
  }
  if (ts === LATEST_TIMESTAMP)
    return { offset: v.logEndOffset, timestamp: -1n, leaderEpoch: v.epochs.latestEpoch };
  if (ts === MAX_TIMESTAMP) return maxTimestampOffset(v);
  if (ts < 0n) return null;
  for (let i = segmentIndexFor(v.segments, lso); i < v.segments.length; i++) {
    const seg = v.segments[i]!;
    if (seg.maxTimestamp < ts) continue;
    const b = seg.findBatchByTime(ts, lso);
    if (!b) continue;
    const found = recordAtOrAfter(v, seg, b, ts, (r) => r.timestamp >= ts);
    return { ...found, leaderEpoch: v.epochs.epochForOffset(found.offset) };
  }
  return null;
}

function maxTimestampOffset(v: LogView): TimestampOffsetResult | null {
  let best: LogSegment | null = null;
  for (const s of v.segments) {
    if (s.size > 0 && s.nextOffset > v.logStartOffset && (!best || s.maxTimestamp > best.maxTimestamp))
      best = s;
  }
  if (!best || best.maxTimestamp < 0n) return null;
  const ts = best.maxTimestamp;
  const b = best.findBatchByTime(ts, v.logStartOffset);
  if (!b) return null;
  const found = recordAtOrAfter(v, best, b, ts, (r) => r.timestamp === ts);
  return { ...found, leaderEpoch: v.epochs.epochForOffset(found.offset) };
}

/** Record-level answer inside batch `b` for uncompressed batches, batch-level otherwise. */
function recordAtOrAfter(
  v: LogView,
  seg: LogSegment,
  b: BatchInfo,
  ts: bigint,
  match: (r: { offset: bigint; timestamp: bigint }) => boolean,
): { offset: bigint; timestamp: bigint } {
  const recs = recordTimestamps(seg.readBytes(b.position, b.size));
  const hit = recs?.find((r) => r.offset >= v.logStartOffset && match(r));
  if (hit) return hit;
  return { offset: bigMax(b.baseOffset, v.logStartOffset), timestamp: bigMax(b.maxTimestamp, ts) };
}
