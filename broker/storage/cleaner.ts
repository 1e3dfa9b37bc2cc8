import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { buildBatch, decodeBatch, type KafkaRecord } from "../../protocol/records/batch.js";
import {
  Attr,
  BATCH,
  CompressionType,
  compressionOf,
  isControl,
  isLogAppendTime,
  isTransactional,
  writeCrc,
} from "../../protocol/records/header.js";
import type { Clock } from "./clock.js";
import { isCompacted } from "./config.js";
import { fsyncDir, INDEX_SUFFIX, LOG_SUFFIX, SWAP_SUFFIX, segmentPath, TIME_INDEX_SUFFIX } from "./files.js";
import type { PartitionLog } from "./partition-log.js";
import { type BatchInfo, batchInfoAt, LogSegment } from "./segment.js";

export const CLEANER_STAGING_DIR = "cleaner-staging";
const INT32_MAX = 2147483647n;

export interface CleanerOptions {
  clock: Clock;
  logger?: Logger;
}

export interface CleanStats {
  segmentsIn: number;
  segmentsOut: number;
  bytesIn: number;
  bytesOut: number;
  recordsDropped: number;
}

/**
 * Log compaction: keep the last record per key, drop tombstones delete.retention.ms after the
 * cleaning that first kept them (KIP-534 delete horizon),
 * keep offsets (gaps are fine) and batch producer metadata. Cleaned segments are written to a
 * staging directory and swapped in via `.swap` files, which the loader finishes after a crash.
 * Transaction markers and aborted transactional data are kept as they are.
 */
export class LogCleaner {
  lastStats: CleanStats | null = null;

  constructor(private readonly o: CleanerOptions) {}

  /**
   * Clean `log` if it is compacted and dirty enough (or its oldest dirty data is past
   * max.compaction.lag.ms). `cleanedTo` is the cleaner checkpoint. Returns the new checkpoint, or
   * null when nothing was done.
   */
  async cleanIfNeeded(log: PartitionLog, cleanedTo: bigint): Promise<bigint | null> {
    if (!isCompacted(log.config)) return null;
    const now = this.o.clock.now();
    const segs = log.segmentsSnapshot();
    const cfg = log.config;
    const firstDirty =
      cleanedTo > log.logStartOffset && cleanedTo <= log.logEndOffset ? cleanedTo : log.logStartOffset;

    // Cleanable: every inactive segment, up to the first one still inside min.compaction.lag.ms
    // or reaching past the high watermark.
    let cleanable = 0;
    for (let i = 0; i < segs.length - 1; i++) {
      const seg = segs[i]!;
      const end = segs[i + 1]!.baseOffset;
      if (cfg.minCompactionLagMs > 0 && now - seg.largestTimestampForRetention() < cfg.minCompactionLagMs)
        break;
      if (log.highWatermark !== null && end > log.highWatermark) break;
      cleanable = i + 1;
    }
    if (cleanable === 0) return null;
    const firstUncleanable = segs[cleanable]!.baseOffset;
    if (firstDirty >= firstUncleanable) return null;

    let dirtyBytes = 0;
    let cleanBytes = 0;
    let firstDirtySeg = -1;
    for (let i = 0; i < cleanable; i++) {
      const end = segs[i + 1]!.baseOffset;
      if (end > firstDirty) {
        dirtyBytes += segs[i]!.size;
        if (firstDirtySeg < 0) firstDirtySeg = i;
      } else cleanBytes += segs[i]!.size;
    }
    if (dirtyBytes === 0) return null;
    const ratio = dirtyBytes / (dirtyBytes + cleanBytes);
    const firstDirtyTs = segs[firstDirtySeg]!.firstBatchTimestamp;
    const overdue = firstDirtyTs >= 0n && now - Number(firstDirtyTs) > cfg.maxCompactionLagMs;
    if (ratio < cfg.minCleanableDirtyRatio && !overdue) return null;

    const work = segs.slice(0, cleanable);
    const done = await this.clean(log, work, firstDirty, now);
    return done ? firstUncleanable : null;
  }

  /** Rewrite `segs` (consecutive, inactive). Returns false if the log changed underneath. */
  async clean(
    log: PartitionLog,
    segs: readonly LogSegment[],
    firstDirty: bigint,
    now: number,
  ): Promise<boolean> {
    const latest = new Map<string, bigint>();
    const lastBatchOfProducer = new Map<bigint, bigint>();
    for (const seg of segs) {
      for (const b of seg.batchesFrom(0)) {
        if (b.producerId >= 0n) lastBatchOfProducer.set(b.producerId, b.baseOffset);
        if (b.lastOffset < firstDirty || isControl(b.attributes)) continue;
        const batch = await decodeBatch(seg.readBytes(b.position, b.size));
        for (const r of batch.records) {
          if (r.key !== null && r.offset >= firstDirty) latest.set(r.key.toString("latin1"), r.offset);
        }
      }
    }
    const newHorizon = BigInt(now + log.config.deleteRetentionMs);
    const staging = path.join(log.dir, CLEANER_STAGING_DIR);
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging);
    const stats: CleanStats = {
      segmentsIn: segs.length,
      segmentsOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      recordsDropped: 0,
    };
    try {
      for (const group of groupSegments(segs, log.config.segmentBytes)) {
        const out = LogSegment.create(staging, group[0]!.baseOffset, segmentOptionsOf(log), now);
        for (const seg of group) {
          stats.bytesIn += seg.size;
          for (const b of seg.batchesFrom(0)) {
            const kept = await this.filterBatch(
              seg,
              b,
              latest,
              lastBatchOfProducer,
              BigInt(now),
              newHorizon,
              stats,
            );
            if (kept) out.append(kept, [batchInfoAt(kept, 0, 0)]);
          }
        }
        out.onBecomeInactive();
        out.flush();
        out.close(true);
        stats.bytesOut += out.size;
        stats.segmentsOut++;
        const swapped = await log.serialized(() => swapIn(log, group, out.baseOffset, staging));
        if (!swapped) return false;
      }
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    this.lastStats = stats;
    this.o.logger?.info({ topic: log.topic, partition: log.partition, ...stats }, "cleaned log");
    return true;
  }

  /**
   * The batch to write for `b`: verbatim, rebuilt with fewer records, an empty header, or null.
   * Tombstones follow KIP-534: the first cleaning that keeps one stamps its batch with a delete
   * horizon (now + delete.retention.ms, in baseTimestamp with the DELETE_HORIZON attribute); a later
   * cleaning after that horizon drops it. Consumers reading from the start within
   * delete.retention.ms of a cleaning therefore still see every tombstone it kept.
   */
  private async filterBatch(
    seg: LogSegment,
    b: BatchInfo,
    latest: Map<string, bigint>,
    lastBatchOfProducer: Map<bigint, bigint>,
    now: bigint,
    newHorizon: bigint,
    stats: CleanStats,
  ): Promise<Buffer | null> {
    const bytes = seg.readBytes(b.position, b.size);
    if (isControl(b.attributes)) return bytes;
    const { header, records } = await decodeBatch(bytes);
    const horizon = (header.attributes & Attr.DELETE_HORIZON) !== 0 ? header.baseTimestamp : null;
    const keep = (r: KafkaRecord): boolean => {
      if (r.key === null) return true;
      const last = latest.get(r.key.toString("latin1"));
      if (last !== undefined && last > r.offset) return false;
      return !(r.value === null && horizon !== null && now >= horizon);
    };
    const kept = records.filter(keep);
    stats.recordsDropped += records.length - kept.length;
    const stampHorizon = horizon === null && kept.some((r) => r.value === null);
    if (kept.length === records.length && !stampHorizon) return bytes;
    const keepEmpty =
      header.producerId >= 0n && lastBatchOfProducer.get(header.producerId) === header.baseOffset;
    if (kept.length === 0 && !keepEmpty) return null;
    const codec = compressionOf(header.attributes);
    const withHorizon = horizon !== null || stampHorizon;
    const out = await buildBatch({
      // Record timestamps stay what they were: deltas are recomputed against the new base.
      records: kept.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: header.baseTimestamp + r.timestampDelta,
        offsetDelta: r.offsetDelta,
      })),
      baseOffset: header.baseOffset,
      partitionLeaderEpoch: header.partitionLeaderEpoch,
      compression: kept.length ? codec : CompressionType.None,
      logAppendTime: isLogAppendTime(header.attributes),
      transactional: isTransactional(header.attributes),
      producerId: header.producerId,
      producerEpoch: header.producerEpoch,
      baseSequence: header.baseSequence,
      baseTimestamp: stampHorizon ? newHorizon : header.baseTimestamp,
      maxTimestamp: header.maxTimestamp,
      // Keeping lastOffsetDelta keeps the producer's last sequence (baseSequence + delta) intact.
      lastOffsetDelta: header.lastOffsetDelta,
    });
    if (withHorizon) {
      out.writeInt16BE(out.readInt16BE(BATCH.ATTRIBUTES) | Attr.DELETE_HORIZON, BATCH.ATTRIBUTES);
      writeCrc(out);
    }
    return out;
  }
}

function segmentOptionsOf(log: PartitionLog) {
  return {
    indexIntervalBytes: log.config.indexIntervalBytes,
    segmentIndexBytes: log.config.segmentIndexBytes,
  };
}

/** Consecutive runs whose combined size fits one segment and whose offsets fit relative int32s. */
export function groupSegments(segs: readonly LogSegment[], maxBytes: number): LogSegment[][] {
  const groups: LogSegment[][] = [];
  let cur: LogSegment[] = [];
  let size = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const end = i + 1 < segs.length ? segs[i + 1]!.baseOffset : s.nextOffset;
    const fits = cur.length > 0 && size + s.size <= maxBytes && end - cur[0]!.baseOffset <= INT32_MAX;
    if (cur.length > 0 && !fits) {
      groups.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(s);
    size += s.size;
  }
  if (cur.length) groups.push(cur);
  return groups;
}

/**
 * Under the log's lock: staging files -> `.swap`, old segments -> `.deleted`, `.swap` -> final.
 * A crash at any point leaves `.swap` files the loader completes.
 */
function swapIn(log: PartitionLog, group: LogSegment[], base: bigint, staging: string): boolean {
  const current = log.segmentsSnapshot();
  const i = current.indexOf(group[0]!);
  if (i < 0 || group.some((s, k) => current[i + k] !== s) || i + group.length >= current.length) return false;
  const suffixes = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX];
  for (const sfx of suffixes) {
    fs.renameSync(segmentPath(staging, base, sfx), segmentPath(log.dir, base, sfx) + SWAP_SUFFIX);
  }
  fsyncDir(log.dir);
  return log.replaceSegments(group, () => {
    for (const sfx of suffixes) {
      fs.renameSync(segmentPath(log.dir, base, sfx) + SWAP_SUFFIX, segmentPath(log.dir, base, sfx));
    }
    fsyncDir(log.dir);
    return LogSegment.open(log.dir, base, segmentOptionsOf(log), Date.now());
  });
}
