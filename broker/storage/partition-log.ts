import { EventEmitter } from "node:events";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { patchBaseOffsetAndEpoch, setLogAppendTime } from "../../protocol/records/header.js";
import { formatPartitionMetadata } from "./checkpoints.js";
import { type Clock, systemClock } from "./clock.js";
import { hasDeletePolicy, isCompacted, type LogConfig } from "./config.js";
import { FileDeleter } from "./deleter.js";
import { LeaderEpochCache } from "./epoch-cache.js";
import { LogClosedError, OffsetOutOfRangeError } from "./errors.js";
import { fsyncDir, PARTITION_METADATA, writeFileAtomic } from "./files.js";
import { type LoadedSegments, loadSegments } from "./loader.js";
import {
  type LogView,
  offsetForTimestamp,
  type ReadOptions,
  type ReadResult,
  readLog,
  type TimestampOffsetResult,
} from "./log-read.js";
import { selectDeletable } from "./retention.js";
import { rollReason } from "./roll-policy.js";
import { LogSegment } from "./segment.js";
import { checkKeys, validateBatches } from "./validate.js";

export interface AppendOptions {
  leaderEpoch: number;
  /** true on the leader; false for followers, whose batches already carry offsets and epochs */
  assignOffsets: boolean;
  now?: number;
}

export interface AppendInfo {
  firstOffset: bigint;
  lastOffset: bigint;
  /** -1n unless the topic uses LogAppendTime */
  logAppendTime: bigint;
  maxTimestamp: bigint;
  batchCount: number;
  recordCount: number;
  logStartOffset: bigint;
}

export {
  EARLIEST_LOCAL_TIMESTAMP,
  EARLIEST_TIMESTAMP,
  LATEST_TIMESTAMP,
  MAX_TIMESTAMP,
  type ReadOptions,
  type ReadResult,
  type TimestampOffsetResult,
} from "./log-read.js";

export interface PartitionLogInit {
  dir: string;
  topic: string;
  partition: number;
  topicId: string;
  config: LogConfig;
  clock?: Clock;
  logger?: Logger;
  /** Where recovery starts after an unclean shutdown (recovery-point-offset-checkpoint). */
  recoveryPoint?: bigint;
  /** From log-start-offset-checkpoint. */
  logStartOffset?: bigint;
  hadCleanShutdown?: boolean;
}

/**
 * One partition's log: an ordered list of segments, the last one active. All mutations are
 * serialised per partition; fetch reads are synchronous and see every acknowledged append.
 */
export class PartitionLog extends EventEmitter {
  readonly topic: string;
  readonly partition: number;
  topicId: string;
  readonly dir: string;
  config: LogConfig;
  /** Set by the broker so retention never deletes past what every replica has. */
  highWatermark: bigint | null = null;
  /**
   * Set by the producer-state layer: the first offset of the oldest transaction that is not yet
   * decided (null when none). Compaction never cleans past it, as in Kafka. Left unset, the cleaner
   * cannot tell open transactions from committed ones whose marker lies beyond what it cleans, and
   * keeps such records conservatively.
   */
  firstUnstableOffset: (() => bigint | null) | undefined = undefined;
  /**
   * Set by a producer-state layer that forgets its cached .txnindex entries of segments the cleaner
   * replaced ("segmentsReplaced"). Until then the cleaner keeps abort markers: removing one while a
   * cached index entry still names it would hide the producer's later transactions from
   * read_committed consumers. (Aborted data and commit markers are removed either way.)
   */
  allowAbortMarkerRemoval = false;
  /** Segments that recovery rescanned at open (0 after a clean shutdown). */
  readonly recoveredSegments: number;
  readonly epochs: LeaderEpochCache;

  private segments: LogSegment[];
  private lso: bigint;
  private leo: bigint;
  private recoveryPointV: bigint;
  private unflushed = 0;
  private lastFlushMs: number;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly clock: Clock;
  private readonly logger?: Logger;
  private readonly deleter = new FileDeleter();

  private constructor(init: PartitionLogInit, loaded: LoadedSegments, epochs: LeaderEpochCache) {
    super();
    // Every waiting fetch may listen for appends.
    this.setMaxListeners(0);
    this.topic = init.topic;
    this.partition = init.partition;
    this.topicId = init.topicId;
    this.dir = init.dir;
    this.config = init.config;
    this.clock = init.clock ?? systemClock;
    this.logger = init.logger;
    this.segments = loaded.segments;
    this.leo = loaded.logEndOffset;
    this.lso = loaded.logStartOffset;
    this.recoveryPointV = loaded.recoveryPoint;
    this.recoveredSegments = loaded.recoveredSegments;
    this.epochs = epochs;
    this.lastFlushMs = this.clock.now();
    this.active.rollJitterMs = this.jitter();
  }

  /** Create a new partition directory (or open it if it already exists). */
  static create(init: PartitionLogInit): PartitionLog {
    fs.mkdirSync(init.dir, { recursive: true });
    writeFileAtomic(path.join(init.dir, PARTITION_METADATA), formatPartitionMetadata(init.topicId));
    return PartitionLog.load({ ...init, hadCleanShutdown: init.hadCleanShutdown ?? true });
  }

  /** Open an existing partition directory, recovering the unflushed tail if shutdown was unclean. */
  static load(init: PartitionLogInit): PartitionLog {
    const clock = init.clock ?? systemClock;
    const loaded = loadSegments({
      dir: init.dir,
      config: init.config,
      now: clock.now(),
      recoveryPoint: init.recoveryPoint ?? 0n,
      logStartOffset: init.logStartOffset,
      hadCleanShutdown: init.hadCleanShutdown ?? false,
      logger: init.logger,
    });
    const epochs = new LeaderEpochCache(init.dir);
    for (const e of loaded.recoveredEpochs) epochs.assign(e.epoch, e.startOffset);
    epochs.truncateFromEnd(loaded.logEndOffset);
    epochs.truncateFromStart(loaded.logStartOffset);
    return new PartitionLog(init, loaded, epochs);
  }

  // ---- state ----

  get logStartOffset(): bigint {
    return this.lso;
  }
  get logEndOffset(): bigint {
    return this.leo;
  }
  get recoveryPoint(): bigint {
    return this.recoveryPointV;
  }
  get sizeInBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }
  /** Same as sizeInBytes (the name the broker's log view uses). */
  get size(): number {
    return this.sizeInBytes;
  }
  get latestEpoch(): number {
    return this.epochs.latestEpoch;
  }
  get segmentCount(): number {
    return this.segments.length;
  }
  get isClosed(): boolean {
    return this.closed;
  }
  /** Base offsets of the segments, oldest first. */
  segmentBaseOffsets(): bigint[] {
    return this.segments.map((s) => s.baseOffset);
  }
  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /**
   * Events: "append" (AppendInfo, after every acknowledged append), "roll" (new segment base),
   * "truncate" (new log end offset), "segmentDeleted" (base offset of a segment removed by
   * retention, delete-records or truncation) and "segmentsReplaced" ({ replaced: bases, base })
   * when the cleaner swaps compacted segments in.
   */

  /** Register a listener for acknowledged appends; returns the unsubscribe function. */
  onAppend(cb: (info: AppendInfo) => void): () => void {
    this.on("append", cb);
    return () => this.off("append", cb);
  }

  /** Run `fn` after every earlier mutation of this partition has finished. */
  serialized<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.chain.then(() => {
      if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition} is closed`);
      return fn();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  // ---- append ----

  append(batches: Buffer, opts: AppendOptions): Promise<AppendInfo> {
    return this.serialized(() => this.appendNow(batches, opts));
  }

  private async appendNow(buf: Buffer, opts: AppendOptions): Promise<AppendInfo> {
    const infos = validateBatches(buf, {
      maxMessageBytes: this.config.maxMessageBytes,
      segmentBytes: this.config.segmentBytes,
      assignOffsets: opts.assignOffsets,
      logEndOffset: this.leo,
    });
    if (opts.assignOffsets && isCompacted(this.config)) await checkKeys(buf, infos);
    if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition} is closed`);
    const now = opts.now ?? this.clock.now();
    const logAppend = opts.assignOffsets && this.config.messageTimestampType === "LogAppendTime";
    let records = 0;
    let maxTs = -1n;
    if (opts.assignOffsets) {
      let next = this.leo;
      for (const b of infos) {
        const delta = b.lastOffset - b.baseOffset;
        patchBaseOffsetAndEpoch(buf, next, opts.leaderEpoch, b.position);
        if (logAppend) {
          setLogAppendTime(buf, BigInt(now), b.position);
          b.maxTimestamp = BigInt(now);
        }
        b.baseOffset = next;
        b.lastOffset = next + delta;
        b.epoch = opts.leaderEpoch;
        next = b.lastOffset + 1n;
      }
    }
    for (const b of infos) {
      records += b.recordCount;
      if (b.maxTimestamp > maxTs) maxTs = b.maxTimestamp;
    }
    const first = infos[0]!.baseOffset;
    const last = infos[infos.length - 1]!.lastOffset;
    const reason = rollReason(this.active, this.config, {
      bytes: buf.length,
      maxTimestamp: maxTs,
      lastOffset: last,
      now,
    });
    if (reason) this.roll(first, now, reason);
    this.active.append(buf, infos);
    for (const b of infos) {
      if (b.epoch > this.epochs.latestEpoch) this.epochs.assign(b.epoch, b.baseOffset);
    }
    this.leo = last + 1n;
    this.unflushed += records;
    if (this.unflushed >= this.config.flushMessages) this.flushNow(now);
    const info: AppendInfo = {
      firstOffset: first,
      lastOffset: last,
      logAppendTime: logAppend ? BigInt(now) : -1n,
      maxTimestamp: maxTs,
      batchCount: infos.length,
      recordCount: records,
      logStartOffset: this.lso,
    };
    try {
      this.emit("append", info);
    } catch (err) {
      // The batches are written: a failing listener must not turn this into a failed append.
      this.logger?.error(
        { topic: this.topic, partition: this.partition, err: (err as Error).message },
        "append listener failed",
      );
    }
    return info;
  }

  private jitter(): number {
    const j = this.config.segmentJitterMs;
    return j > 0 ? Math.floor(Math.random() * Math.min(j, this.config.segmentMs)) : 0;
  }

  /** Start a new active segment at `base` (fsyncing the old one, which moves the recovery point). */
  roll(base: bigint = this.leo, now = this.clock.now(), reason = "requested"): LogSegment {
    if (this.closed) throw new LogClosedError(`log ${this.topic}-${this.partition} is closed`);
    const old = this.active;
    if (old.size === 0 && old.baseOffset === base) return old;
    old.onBecomeInactive();
    old.flush();
    old.close(false);
    const seg = LogSegment.create(this.dir, base, this.segmentOptions(), now);
    seg.rollJitterMs = this.jitter();
    if (old.size === 0) {
      // An empty active segment is replaced rather than left behind.
      this.segments.pop();
      this.scheduleDelete(old);
    }
    this.segments.push(seg);
    // Replacing an empty first segment moves the log start, as a reopen would.
    if (this.segments[0]!.baseOffset > this.lso) this.lso = this.segments[0]!.baseOffset;
    fsyncDir(this.dir);
    this.emit("roll", base);
    this.recoveryPointV = base < this.leo ? base : this.leo;
    this.unflushed = 0;
    this.lastFlushMs = now;
    this.logger?.debug(
      { topic: this.topic, partition: this.partition, base: String(base), reason },
      "rolled segment",
    );
    return seg;
  }

  private segmentOptions() {
    return {
      indexIntervalBytes: this.config.indexIntervalBytes,
      segmentIndexBytes: this.config.segmentIndexBytes,
    };
  }

  // ---- read ----

  private get view(): LogView {
    return { segments: this.segments, logStartOffset: this.lso, logEndOffset: this.leo, epochs: this.epochs };
  }

  read(fetchOffset: bigint, maxBytes: number, opts: ReadOptions = {}): ReadResult {
    return readLog(this.view, fetchOffset, maxBytes, opts);
  }

  /** ListOffsets by timestamp (async: compressed batches are decompressed to find the record). */
  offsetForTimestamp(ts: bigint): Promise<TimestampOffsetResult | null> {
    return offsetForTimestamp(() => this.view, ts);
  }

  /** A new leader epoch starts at `startOffset` (Kafka assigns it when a replica becomes leader). */
  assignEpochStartOffset(epoch: number, startOffset: bigint = this.leo): void {
    this.epochs.assign(epoch, startOffset);
  }

  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint } {
    return this.epochs.endOffsetFor(epoch, this.leo);
  }

  // ---- truncation, deletion, retention ----

  truncateTo(offset: bigint): Promise<void> {
    return this.serialized(() => this.truncateNow(offset));
  }

  private truncateNow(offset: bigint): void {
    if (offset < 0n) throw new OffsetOutOfRangeError(offset, this.lso, this.leo, "truncation offset");
    if (offset >= this.leo) return;
    if (offset < this.segments[0]!.baseOffset) {
      this.truncateFullyNow(offset);
      return;
    }
    while (this.segments.length > 1 && this.active.baseOffset > offset) {
      this.scheduleDelete(this.segments.pop()!);
    }
    this.active.truncateTo(offset);
    if (this.active.nextOffset < offset) {
      // The cut fell inside a batch or a gap: Kafka's log end is still `offset`, so start a segment
      // there (replacing an emptied one) and a reopened log agrees.
      this.roll(offset, this.clock.now(), "truncation inside a batch");
      if (this.segments[0]!.baseOffset > this.lso) this.lso = this.segments[0]!.baseOffset;
    }
    this.leo = offset;
    this.emit("truncate", offset);
    if (this.lso > this.leo) this.lso = this.leo;
    if (this.recoveryPointV > this.leo) this.recoveryPointV = this.leo;
    this.epochs.truncateFromEnd(this.leo);
    this.logger?.info(
      { topic: this.topic, partition: this.partition, offset: String(this.leo) },
      "truncated log",
    );
  }

  /** Drop everything and restart the log at `offset` (a follower far behind the leader's start). */
  truncateFullyAndStartAt(offset: bigint): Promise<void> {
    return this.serialized(() => this.truncateFullyNow(offset));
  }

  private truncateFullyNow(offset: bigint): void {
    const old = this.segments;
    for (const s of old) this.scheduleDelete(s);
    this.segments = [LogSegment.create(this.dir, offset, this.segmentOptions(), this.clock.now())];
    fsyncDir(this.dir);
    this.leo = offset;
    this.lso = offset;
    this.recoveryPointV = offset;
    this.epochs.clear();
    this.emit("truncate", offset);
  }

  deleteRecordsBefore(offset: bigint): Promise<bigint> {
    return this.serialized(() => {
      if (offset < 0n || offset > this.leo) {
        throw new OffsetOutOfRangeError(offset, this.lso, this.leo, "delete-records offset");
      }
      if (offset > this.lso) {
        this.lso = offset;
        this.epochs.truncateFromStart(offset);
        this.deleteSegments((segs) => selectDeletable(segs, { kind: "logStart", logStartOffset: this.lso }));
      }
      return this.lso;
    });
  }

  /** One retention pass (time, size, log-start breach). Returns the number of segments deleted. */
  runRetention(now = this.clock.now()): Promise<number> {
    return this.serialized(() => {
      let n = this.deleteSegments((segs) =>
        selectDeletable(segs, { kind: "logStart", logStartOffset: this.lso }),
      );
      if (!hasDeletePolicy(this.config)) return n;
      if (this.config.retentionMs >= 0) {
        const limit = this.config.retentionMs;
        n += this.deleteSegments((segs) =>
          selectDeletable(segs, {
            kind: "time",
            now,
            retentionMs: limit,
            upperBound: this.retentionUpperBound(),
          }),
        );
      }
      if (this.config.retentionBytes >= 0) {
        n += this.deleteSegments((segs) =>
          selectDeletable(segs, {
            kind: "size",
            retentionBytes: this.config.retentionBytes,
            upperBound: this.retentionUpperBound(),
          }),
        );
      }
      return n;
    });
  }

  private retentionUpperBound(): bigint {
    return this.highWatermark !== null && this.highWatermark < this.leo ? this.highWatermark : this.leo;
  }

  /** Delete the oldest `count` segments chosen by `pick`; rolls first if that includes the active one. */
  private deleteSegments(pick: (segs: LogSegment[]) => number): number {
    const count = pick(this.segments);
    if (count <= 0) return 0;
    if (count >= this.segments.length)
      this.roll(this.leo, this.clock.now(), "retention of the active segment");
    const doomed = this.segments.splice(0, count);
    for (const s of doomed) this.scheduleDelete(s);
    const first = this.segments[0]!.baseOffset;
    if (first > this.lso) this.lso = first;
    this.epochs.truncateFromStart(this.lso);
    this.logger?.info(
      { topic: this.topic, partition: this.partition, segments: count, logStartOffset: String(this.lso) },
      "deleted segments",
    );
    return count;
  }

  private scheduleDelete(seg: LogSegment, announce = true): void {
    if (announce) this.emit("segmentDeleted", seg.baseOffset);
    this.deleter.schedule(seg.markDeleted(), this.config.fileDeleteDelayMs);
  }

  // ---- flush, config, close ----

  flush(): Promise<void> {
    return this.serialized(() => this.flushNow(this.clock.now()));
  }

  private flushNow(now: number): void {
    this.active.flush();
    this.recoveryPointV = this.leo;
    this.unflushed = 0;
    this.lastFlushMs = now;
  }

  /** flush.ms check, called by the manager's flush scheduler. */
  maybeFlushByTime(now = this.clock.now()): Promise<void> {
    if (this.unflushed === 0 || now - this.lastFlushMs < this.config.flushMs) return Promise.resolve();
    return this.flush();
  }

  updateConfig(config: LogConfig): void {
    this.config = config;
    for (const s of this.segments) s.updateOptions(this.segmentOptions());
  }

  /** Segments for the cleaner (a snapshot; the active segment is last). */
  segmentsSnapshot(): readonly LogSegment[] {
    return this.segments.slice();
  }

  /**
   * Swap `old` (consecutive, still present, not the active segment) for the segment `make` returns,
   * called after the old files were renamed away. False when the log changed underneath
   * (truncation, retention), so the cleaner throws its work away.
   */
  replaceSegments(old: readonly LogSegment[], make: () => LogSegment): boolean {
    const i = this.segments.indexOf(old[0]!);
    if (i < 0 || old.some((s, k) => this.segments[i + k] !== s) || i + old.length >= this.segments.length) {
      return false;
    }
    for (const s of old) this.scheduleDelete(s, false);
    const seg = make();
    this.segments.splice(i, old.length, seg);
    this.emit("segmentsReplaced", { replaced: old.map((s) => s.baseOffset), base: seg.baseOffset });
    return true;
  }

  /** Clean close: fsync and release files. */
  close(): Promise<void> {
    return this.serialized(() => {
      this.flushNow(this.clock.now());
      this.releaseFiles();
    });
  }

  /** Crash simulation for tests: drop file handles without flushing or checkpointing anything. */
  abandon(): void {
    this.closed = true;
    for (const s of this.segments) s.close(true);
  }

  private releaseFiles(): void {
    for (const s of this.segments) s.close(true);
    this.deleter.flushAll();
    this.closed = true;
  }

  /** Close and remove the whole directory (or leave it for the manager to rename first). */
  closeForDelete(): Promise<void> {
    return this.serialized(() => this.releaseFiles());
  }
}
