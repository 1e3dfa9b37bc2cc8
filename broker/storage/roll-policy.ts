import type { LogConfig } from "./config.js";
import type { LogSegment } from "./segment.js";

const INT32_MAX = 2147483647n;

/**
 * Kafka's shouldRoll for an append to `seg`: why the active segment must roll first, or null.
 * segment.ms counts from the first batch's timestamp (the creation time when batches carry none),
 * minus the segment's jitter.
 */
export function rollReason(
  seg: LogSegment,
  config: LogConfig,
  append: { bytes: number; maxTimestamp: bigint; lastOffset: bigint; now: number },
): string | null {
  // Even an empty segment must move when a follower's first batch lies beyond its offset range.
  if (append.lastOffset - seg.baseOffset > INT32_MAX) return "offset overflow";
  if (seg.size === 0) return null;
  if (seg.size > config.segmentBytes - append.bytes) return "size";
  const firstTs = seg.firstBatchTimestamp;
  const waited =
    firstTs >= 0n && append.maxTimestamp >= 0n
      ? Number(append.maxTimestamp - firstTs)
      : append.now - seg.created;
  if (waited > config.segmentMs - seg.rollJitterMs) return "time";
  if (seg.indexFull) return "index full";
  return null;
}
