import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { buildBatch, decodeBatch, type KafkaRecord } from "../../protocol/records/batch.js";
import { ControlType } from "../../protocol/records/control.js";
import {
  Attr,
  BATCH,
  type BatchHeader,
  CompressionType,
  compressionOf,
  isControl,
  isLogAppendTime,
  isTransactional,
  writeCrc,
} from "../../protocol/records/header.js";
import { type AbortedTxn, TransactionIndex, TXN_INDEX_SUFFIX } from "../producer/txn-index.js";
import { planTransactions, type TxnPlan } from "./cleaner-txn.js";
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
  /** Records of aborted transactions discarded. */
  abortedRecordsDropped: number;
  /** Commit/abort markers removed (their delete horizon had passed). */
  markersDropped: number;
}

/** What filtering one batch needs besides the batch. */
interface FilterContext {
  latest: Map<string, bigint>;
  lastBatchOfProducer: Map<bigint, bigint>;
  txns: TxnPlan;
  /** PartitionLog.allowAbortMarkerRemoval */
  removeAbortMarkers: boolean;
  now: bigint;
  newHorizon: bigint;
  stats: CleanStats;
}

/**
 * Log compaction: keep the last record per key, drop tombstones delete.retention.ms after the
 * cleaning that first kept them (KIP-534 delete horizon),
 * keep offsets (gaps are fine) and batch producer metadata. Cleaned segments are written to a
 * staging directory and swapped in via `.swap` files, which the loader finishes after a crash.
 *
 * Transactions (see cleaner-txn.ts): records of aborted transactions are discarded and never
 * supersede other records; a commit/abort marker is removed once no data of its transaction was
 * left before it, after the delete horizon stamped by the cleaning that first found it so (as
 * tombstones). The cleaned segment's .txnindex keeps the entries of the abort markers it retains.
 * Cleaning never passes an open transaction: it stops at `log.firstUnstableOffset()` when the
 * producer-state layer provides it, else before the first transactional batch whose outcome it
 * cannot see (no marker in the cleanable range, no .txnindex entry), which may be a committed one.
 * Abort markers are only removed when the log allows it (PartitionLog.allowAbortMarkerRemoval).
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
    // Kafka never cleans past the first offset of an open transaction (it may still abort).
    const firstUnstable = log.firstUnstableOffset ? log.firstUnstableOffset() : undefined;

    // Cleanable: every inactive segment, up to the first one still inside min.compaction.lag.ms
    // or reaching past the high watermark.
    let cleanable = 0;
    for (let i = 0; i < segs.length - 1; i++) {
      const seg = segs[i]!;
      const end = segs[i + 1]!.baseOffset;
      if (cfg.minCompactionLagMs > 0 && now - seg.largestTimestampForRetention() < cfg.minCompactionLagMs)
        break;
      if (log.highWatermark !== null && end > log.highWatermark) break;
      if (typeof firstUnstable === "bigint" && end > firstUnstable) break;
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

    // Transactions: classify, and stop before the first one whose outcome is unknown.
    const abortedIndex = readAbortedIndex(log, log.segmentBaseOffsets());
    const txns = await planTransactions(segs.slice(0, cleanable), abortedIndex, firstUnstable !== undefined);
    let n = cleanable;
    const stop = txns.firstUndecided;
    if (stop !== null) while (n > 0 && segs[n]!.baseOffset > stop) n--;
    if (n === 0 || firstDirty >= segs[n]!.baseOffset) return null;
    const done = await this.clean(log, segs.slice(0, n), firstDirty, now, txns);
    return done ? segs[n]!.baseOffset : null;
  }

  /**
   * Rewrite `segs` (consecutive, inactive). `txns` classifies their transactions (planned here from
   * the log's .txnindex files when absent). Returns false if the log changed underneath.
   */
  async clean(
    log: PartitionLog,
    segs: readonly LogSegment[],
    firstDirty: bigint,
    now: number,
    plan?: TxnPlan,
  ): Promise<boolean> {
    const txns =
      plan ?? (await planTransactions(segs, readAbortedIndex(log, log.segmentBaseOffsets()), false));
    const latest = new Map<string, bigint>();
    const lastBatchOfProducer = new Map<bigint, bigint>();
    for (const seg of segs) {
      for (const b of seg.batchesFrom(0)) {
        if (b.producerId >= 0n) lastBatchOfProducer.set(b.producerId, b.baseOffset);
        if (b.lastOffset < firstDirty || isControl(b.attributes)) continue;
        // Records that may not count (aborted) or may not count yet (undecided) supersede nothing.
        if (txns.outcomeOf(b) !== "committed") continue;
        const batch = await decodeBatch(seg.readBytes(b.position, b.size));
        for (const r of batch.records) {
          if (r.key !== null && r.offset >= firstDirty) latest.set(r.key.toString("latin1"), r.offset);
        }
      }
    }
    const staging = path.join(log.dir, CLEANER_STAGING_DIR);
    fs.rmSync(staging, { recursive: true, force: true });
    fs.mkdirSync(staging);
    const stats: CleanStats = {
      segmentsIn: segs.length,
      segmentsOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      recordsDropped: 0,
      abortedRecordsDropped: 0,
      markersDropped: 0,
    };
    const ctx: FilterContext = {
      latest,
      lastBatchOfProducer,
      txns,
      removeAbortMarkers: log.allowAbortMarkerRemoval,
      now: BigInt(now),
      newHorizon: BigInt(now + log.config.deleteRetentionMs),
      stats,
    };
    try {
      for (const group of groupSegments(segs, log.config.segmentBytes)) {
        const base = group[0]!.baseOffset;
        const out = LogSegment.create(staging, base, segmentOptionsOf(log), now);
        const oldEntries = readAbortedIndex(
          log,
          group.map((s) => s.baseOffset),
        );
        const keptEntries: AbortedTxn[] = [];
        for (const seg of group) {
          stats.bytesIn += seg.size;
          for (const b of seg.batchesFrom(0)) {
            const kept = await this.filterBatch(seg, b, ctx);
            if (!kept) continue;
            out.append(kept, [batchInfoAt(kept, 0, 0)]);
            // An emptied marker (kept only for its producer's state) no longer ends a transaction.
            const stillMarker = kept.readInt32BE(BATCH.RECORD_COUNT) > 0;
            if (isControl(b.attributes) && stillMarker && txns.markerOf(b).type === ControlType.Abort) {
              const e = oldEntries.find(
                (t) => t.producerId === b.producerId && t.lastOffset === b.baseOffset,
              );
              if (e) keptEntries.push(e);
            }
          }
        }
        out.onBecomeInactive();
        out.flush();
        out.close(true);
        if (keptEntries.length) {
          const idx = TransactionIndex.forSegment(staging, base);
          for (const e of keptEntries) idx.append(e);
          idx.flush();
        }
        stats.bytesOut += out.size;
        stats.segmentsOut++;
        const swapped = await log.serialized(() => swapIn(log, group, base, staging));
        if (!swapped) return false;
      }
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    this.lastStats = stats;
    this.o.logger?.info(
      {
        topic: log.topic,
        partition: log.partition,
        ...stats,
        undecidedTxnBatches: txns.undecided,
      },
      "cleaned log",
    );
    return true;
  }

  /**
   * The batch to write for `b`: verbatim, rebuilt with fewer records, an empty header, or null.
   * Tombstones follow KIP-534: the first cleaning that keeps one stamps its batch with a delete
   * horizon (now + delete.retention.ms, in baseTimestamp with the DELETE_HORIZON attribute); a later
   * cleaning after that horizon drops it. Consumers reading from the start within
   * delete.retention.ms of a cleaning therefore still see every tombstone it kept. Discardable
   * transaction markers go the same way; a producer's last batch stays as an empty batch.
   */
  private async filterBatch(seg: LogSegment, b: BatchInfo, ctx: FilterContext): Promise<Buffer | null> {
    const bytes = seg.readBytes(b.position, b.size);
    const keepEmpty = b.producerId >= 0n && ctx.lastBatchOfProducer.get(b.producerId) === b.baseOffset;
    if (isControl(b.attributes)) {
      const m = ctx.txns.markerOf(b);
      if (!m.discardable || (m.type === ControlType.Abort && !ctx.removeAbortMarkers)) return bytes;
      if (b.recordCount === 0) return keepEmpty ? bytes : null;
      const horizon =
        (b.attributes & Attr.DELETE_HORIZON) !== 0 ? bytes.readBigInt64BE(BATCH.BASE_TIMESTAMP) : null;
      if (horizon !== null && ctx.now < horizon) return bytes;
      const { header, records } = await decodeBatch(bytes);
      if (horizon !== null) {
        ctx.stats.markersDropped++;
        return keepEmpty ? rebuild(header, [], null) : null;
      }
      return rebuild(header, records, ctx.newHorizon);
    }
    const { header, records } = await decodeBatch(bytes);
    const outcome = ctx.txns.outcomeOf(b);
    const horizon = (header.attributes & Attr.DELETE_HORIZON) !== 0 ? header.baseTimestamp : null;
    const keep = (r: KafkaRecord): boolean => {
      if (outcome === "aborted") return false;
      if (r.key === null) return true;
      const last = ctx.latest.get(r.key.toString("latin1"));
      if (last !== undefined && last > r.offset) return false;
      return !(r.value === null && horizon !== null && ctx.now >= horizon);
    };
    const kept = records.filter(keep);
    if (outcome === "aborted") ctx.stats.abortedRecordsDropped += records.length;
    else ctx.stats.recordsDropped += records.length - kept.length;
    const stampHorizon = horizon === null && kept.some((r) => r.value === null);
    // An empty batch (even one an earlier cleaning emptied) goes unless it is its producer's last.
    if (kept.length === 0 && !keepEmpty) return null;
    if (kept.length === records.length && !stampHorizon) return bytes;
    return rebuild(header, kept, stampHorizon ? ctx.newHorizon : horizon);
  }
}

/**
 * `header`'s batch with only `records`, same offsets and producer fields (keeping lastOffsetDelta
 * keeps the producer's last sequence, baseSequence + delta, intact). With `horizon`, the batch is
 * marked with the DELETE_HORIZON attribute and carries it as its base timestamp; record
 * timestamps stay what they were (deltas are recomputed against the new base).
 */
async function rebuild(header: BatchHeader, records: KafkaRecord[], horizon: bigint | null): Promise<Buffer> {
  const out = await buildBatch({
    records: records.map((r) => ({
      key: r.key,
      value: r.value,
      headers: r.headers,
      timestamp: header.baseTimestamp + r.timestampDelta,
      offsetDelta: r.offsetDelta,
    })),
    baseOffset: header.baseOffset,
    partitionLeaderEpoch: header.partitionLeaderEpoch,
    compression: records.length ? compressionOf(header.attributes) : CompressionType.None,
    logAppendTime: isLogAppendTime(header.attributes),
    transactional: isTransactional(header.attributes),
    control: isControl(header.attributes),
    producerId: header.producerId,
    producerEpoch: header.producerEpoch,
    baseSequence: header.baseSequence,
    baseTimestamp: horizon ?? header.baseTimestamp,
    maxTimestamp: header.maxTimestamp,
    lastOffsetDelta: header.lastOffsetDelta,
  });
  if (horizon !== null) {
    out.writeInt16BE(out.readInt16BE(BATCH.ATTRIBUTES) | Attr.DELETE_HORIZON, BATCH.ATTRIBUTES);
    writeCrc(out);
  }
  return out;
}

/** Aborted-transaction entries of the given segments' .txnindex files, in order. */
function readAbortedIndex(log: PartitionLog, bases: readonly bigint[]): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (const b of bases) out.push(...TransactionIndex.forSegment(log.dir, b).all());
  return out;
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
  // The .txnindex exists only when the cleaned segment keeps abort markers with entries.
  const suffixes = [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX].filter(
    (sfx) => sfx !== TXN_INDEX_SUFFIX || fs.existsSync(segmentPath(staging, base, sfx)),
  );
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
