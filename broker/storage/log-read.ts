import type { LeaderEpochCache } from "./epoch-cache.js";
import { OffsetOutOfRangeError } from "./errors.js";
import { recordTimestamps } from "./record-scan.js";
import type { BatchInfo, LogSegment } from "./segment.js";

/** Fetch (synchronous, whole batches) and ListOffsets (record-level, async) over a partition's segments. */

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

/** A segment in the search was deleted meanwhile: search again. */
const RETRY = Symbol("retry");

/**
 * ListOffsets: -2 earliest (and -4 earliest local), -1 latest, -3 the first record carrying the
 * largest timestamp, otherwise the first record (in offset order) with timestamp >= ts, with that
 * record's timestamp. Record-level for every codec: compressed batches are decompressed, so the
 * answer is async. `view` is read again after each await; a segment deleted meanwhile (retention,
 * cleaning) restarts the search on the current segments.
 */
export async function offsetForTimestamp(
  view: () => LogView,
  ts: bigint,
): Promise<TimestampOffsetResult | null> {
  const v = view();
  const lso = v.logStartOffset;
  if (ts === EARLIEST_TIMESTAMP || ts === EARLIEST_LOCAL_TIMESTAMP) {
    return { offset: lso, timestamp: -1n, leaderEpoch: v.epochs.epochForOffset(lso) };
  }
  if (ts === LATEST_TIMESTAMP)
    return { offset: v.logEndOffset, timestamp: -1n, leaderEpoch: v.epochs.latestEpoch };
  if (ts < 0n && ts !== MAX_TIMESTAMP) return null;
  for (let attempt = 0; ; attempt++) {
    const r = ts === MAX_TIMESTAMP ? await maxTimestampOffset(view()) : await firstAtOrAfter(view(), ts);
    if (r !== RETRY) return r;
    if (attempt >= 5) throw new Error("offset for timestamp: segments kept changing during the search");
  }
}

/** The first record at or after `ts`: first batch (offset order) with maxTimestamp >= ts, then its records. */
async function firstAtOrAfter(v: LogView, ts: bigint): Promise<TimestampOffsetResult | null | typeof RETRY> {
  const segs = v.segments.slice();
  const lso = v.logStartOffset;
  for (let i = segmentIndexFor(segs, lso); i < segs.length; i++) {
    const seg = segs[i]!;
    if (seg.isDeleted) return RETRY;
    if (seg.maxTimestamp < ts) continue;
    let b = seg.findBatchByTime(ts, lso);
    while (b) {
      const recs = await recordTimestamps(seg.readBytes(b.position, b.size));
      const hit = recs.find((r) => r.offset >= lso && r.timestamp >= ts);
      if (hit) return { ...hit, leaderEpoch: v.epochs.epochForOffset(hit.offset) };
      // Only records below the log start matched (or the header's max timestamp overstated them).
      if (seg.isDeleted) return RETRY;
      b = nextBatchByTime(seg, b, ts);
    }
  }
  return null;
}

function nextBatchByTime(seg: LogSegment, after: BatchInfo, ts: bigint): BatchInfo | null {
  for (const b of seg.batchesFrom(after.position + after.size, seg.size, true))
    if (b.maxTimestamp >= ts) return b;
  return null;
}

/** Kafka (KIP-734): the segment with the largest timestamp, its first batch reaching it, its first record carrying it. */
async function maxTimestampOffset(v: LogView): Promise<TimestampOffsetResult | null | typeof RETRY> {
  let best: LogSegment | null = null;
  for (const s of v.segments) {
    if (s.size > 0 && s.nextOffset > v.logStartOffset && (!best || s.maxTimestamp > best.maxTimestamp))
      best = s;
  }
  if (!best || best.maxTimestamp < 0n) return null;
  const ts = best.maxTimestamp;
  const b = best.findBatchByTime(ts, v.logStartOffset);
  if (!b) return null;
  const recs = await recordTimestamps(best.readBytes(b.position, b.size));
  const hit = recs.find((r) => r.offset >= v.logStartOffset && r.timestamp === ts);
  if (!hit && best.isDeleted) return RETRY;
  const found = hit ?? { offset: bigMax(b.baseOffset, v.logStartOffset), timestamp: ts };
  return { ...found, leaderEpoch: v.epochs.epochForOffset(found.offset) };
}
