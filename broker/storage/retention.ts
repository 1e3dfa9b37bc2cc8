import type { LogSegment } from "./segment.js";

export type RetentionRule =
  | { kind: "logStart"; logStartOffset: bigint }
  | { kind: "time"; now: number; retentionMs: number; upperBound: bigint }
  | { kind: "size"; retentionBytes: number; upperBound: bigint };

/**
 * How many of the oldest segments a rule deletes (Kafka's deletableSegments): a prefix, stopping at
 * the first segment that must stay. A segment is only eligible when all its offsets are below
 * `upperBound` (the high watermark); the active segment only when it is not empty, and never
 * for a log-start breach.
 */
export function selectDeletable(segs: readonly LogSegment[], rule: RetentionRule): number {
  let count = 0;
  let sizeExcess = 0;
  if (rule.kind === "size") {
    let total = 0;
    for (const s of segs) total += s.size;
    sizeExcess = total - rule.retentionBytes;
    if (sizeExcess <= 0) return 0;
  }
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1];
    if (rule.kind === "logStart") {
      if (next && next.baseOffset <= rule.logStartOffset) count++;
      else break;
      continue;
    }
    if (!next && seg.size === 0) break;
    const upper = next ? next.baseOffset : seg.nextOffset;
    if (upper > rule.upperBound) break;
    if (rule.kind === "time") {
      if (rule.now - seg.largestTimestampForRetention() > rule.retentionMs) count++;
      else break;
    } else {
      if (sizeExcess - seg.size >= 0) {
        sizeExcess -= seg.size;
        count++;
      } else break;
    }
  }
  return count;
}
