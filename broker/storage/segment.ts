import fs from "node:fs";
import { BATCH, isCrcValid } from "../../protocol/records/header.js";
import { TXN_INDEX_SUFFIX } from "../producer/txn-index.js";
import { CorruptLogError } from "./errors.js";
import {
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  readAt,
  segmentPath,
  TIME_INDEX_SUFFIX,
  writeAllAt,
} from "./files.js";
import { OffsetIndex, TimeIndex } from "./indexes.js";

const RW_CREATE = fs.constants.O_RDWR | fs.constants.O_CREAT;
/**
 * Process-wide cap on open .log handles: a broker with thousands of segments must not run out of
 * descriptors. Least recently used handles are closed; every access reopens lazily.
 */
export const MAX_OPEN_SEGMENT_FILES = 1000;
const openSegments = new Map<LogSegment, true>();
/** Header scans read this much at a time: index entries are ~index.interval.bytes apart. */
const SCAN_CHUNK = 16 * 1024;
const RECOVER_CHUNK = 1024 * 1024;
const MIN_BATCH_SIZE = BATCH.HEADER_SIZE;
const NO_TIMESTAMP = -1n;

/** What storage needs from a batch header, read without decoding records. */
export interface BatchInfo {
  baseOffset: bigint;
  lastOffset: bigint;
  /** Byte position in the segment file (or in a buffer, for batches being appended). */
  position: number;
  size: number;
  maxTimestamp: bigint;
  epoch: number;
  attributes: number;
  recordCount: number;
  producerId: bigint;
}

export function batchInfoAt(buf: Buffer, at: number, position: number): BatchInfo {
  const baseOffset = buf.readBigInt64BE(at);
  return {
    baseOffset,
    lastOffset: baseOffset + BigInt(buf.readInt32BE(at + BATCH.LAST_OFFSET_DELTA)),
    position,
    size: buf.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD,
    maxTimestamp: buf.readBigInt64BE(at + BATCH.MAX_TIMESTAMP),
    epoch: buf.readInt32BE(at + BATCH.PARTITION_LEADER_EPOCH),
    attributes: buf.readInt16BE(at + BATCH.ATTRIBUTES),
    recordCount: buf.readInt32BE(at + BATCH.RECORD_COUNT),
    producerId: buf.readBigInt64BE(at + BATCH.PRODUCER_ID),
  };
}

export interface SegmentOptions {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
}

export interface RecoveryResult {
  validBytes: number;
  truncatedBytes: number;
  /** First (epoch, baseOffset) of each epoch seen, in order. */
  epochs: { epoch: number; startOffset: bigint }[];
  lastOffset: bigint | null;
}

/**
 * One segment: `<base>.log` holding batches verbatim plus its sparse offset and time indexes.
 * Opening is lazy: no file is read until a lookup, append or retention check needs it.
 */
export class LogSegment {
  size: number;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** Wall-clock creation (or open) time, for segment.ms when there is no batch timestamp. */
  created: number;
  rollJitterMs = 0;
  private fdv: number | null = null;
  private bytesSinceIndex = 0;
  private maxTs: bigint | null = null;
  private offsetOfMaxTs = -1n;
  private firstBatchTs: bigint | null = null;
  /** Next offset after the last batch; only maintained once computed (active segment). */
  private next: bigint | null = null;
  private deleted = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    private opts: SegmentOptions,
    size: number,
    now: number,
  ) {
    this.size = size;
    this.created = now;
    this.offsetIndex = new OffsetIndex(
      segmentPath(dir, baseOffset, INDEX_SUFFIX),
      baseOffset,
      opts.segmentIndexBytes,
    );
    this.timeIndex = new TimeIndex(
      segmentPath(dir, baseOffset, TIME_INDEX_SUFFIX),
      baseOffset,
      opts.segmentIndexBytes,
    );
  }

  static create(dir: string, base: bigint, opts: SegmentOptions, now: number): LogSegment {
    const seg = new LogSegment(dir, base, opts, 0, now);
    seg.fdv = fs.openSync(seg.logFile, RW_CREATE);
    fs.ftruncateSync(seg.fdv, 0);
    seg.offsetIndex.reset();
    seg.timeIndex.reset();
    seg.maxTs = NO_TIMESTAMP;
    seg.next = base;
    return seg;
  }

  /** Open an existing segment: one stat, no reads. */
  static open(dir: string, base: bigint, opts: SegmentOptions, now: number): LogSegment {
    const size = fs.statSync(segmentPath(dir, base, LOG_SUFFIX)).size;
    return new LogSegment(dir, base, opts, size, now);
  }

  get logFile(): string {
    return segmentPath(this.dir, this.baseOffset, LOG_SUFFIX);
  }

  private get fd(): number {
    if (this.fdv === null) {
      this.fdv = fs.openSync(this.logFile, RW_CREATE);
      if (openSegments.size >= MAX_OPEN_SEGMENT_FILES) {
        const lru = openSegments.keys().next().value!;
        lru.closeLogFile();
      }
    }
    // Map order is recency order.
    openSegments.delete(this);
    openSegments.set(this, true);
    return this.fdv;
  }

  private closeLogFile(): void {
    openSegments.delete(this);
    if (this.fdv !== null) {
      fs.closeSync(this.fdv);
      this.fdv = null;
    }
  }

  updateOptions(opts: SegmentOptions): void {
    this.opts = opts;
  }

  // ---- reading ----

  readBytes(position: number, length: number): Buffer {
    return readAt(this.fd, position, Math.max(0, Math.min(length, this.size - position)));
  }

  /**
   * Batch headers from `from` to the end. Stops at a header that does not fit the file; with
   * `strict` (reads), such a header inside the segment is corruption and throws CorruptLogError.
   */
  *batchesFrom(from: number, end = this.size, strict = false): Generator<BatchInfo> {
    let chunk: Buffer = Buffer.alloc(0);
    let chunkPos = from;
    let pos = from;
    while (pos < end) {
      if (pos + MIN_BATCH_SIZE > chunkPos + chunk.length) {
        chunk = readAt(this.fd, pos, Math.min(SCAN_CHUNK, end - pos));
        chunkPos = pos;
      }
      const info =
        chunk.length - (pos - chunkPos) >= MIN_BATCH_SIZE ? batchInfoAt(chunk, pos - chunkPos, pos) : null;
      if (!info || info.size < MIN_BATCH_SIZE || pos + info.size > end) {
        if (strict) {
          throw new CorruptLogError(`${this.logFile}: no valid batch at position ${pos} of ${end}`);
        }
        return;
      }
      yield info;
      pos += info.size;
    }
  }

  /** First batch whose last offset is >= target (starting from the sparse index), or null. */
  findBatch(target: bigint): BatchInfo | null {
    const start = this.offsetIndex.lookup(target).position;
    for (const b of this.batchesFrom(start, this.size, true)) if (b.lastOffset >= target) return b;
    return null;
  }

  /** First batch with maxTimestamp >= ts (and offsets reaching minOffset), from the time index. */
  findBatchByTime(ts: bigint, minOffset = this.baseOffset): BatchInfo | null {
    let from = this.timeIndex.lookup(ts);
    if (from < minOffset) from = minOffset;
    const start = this.offsetIndex.lookup(from).position;
    for (const b of this.batchesFrom(start, this.size, true)) {
      if (b.maxTimestamp >= ts && b.lastOffset >= minOffset) return b;
    }
    return null;
  }

  // ---- tail state (next offset, max timestamp), computed lazily ----

  /** Scan from the last index entry to the end: cheap because entries are index.interval.bytes apart. */
  private loadTail(): void {
    const last = this.offsetIndex.lastEntryCheap();
    const fromPos = last && last.position < this.size ? last.position : 0;
    const te = this.timeIndex.lastEntry();
    let maxTs = te ? te.timestamp : NO_TIMESTAMP;
    let offMax = te ? te.offset : -1n;
    let next = this.baseOffset;
    let bytesSince = 0;
    for (const b of this.batchesFrom(fromPos)) {
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        offMax = b.lastOffset;
      }
      next = b.lastOffset + 1n;
      bytesSince += b.size;
    }
    this.maxTs = maxTs;
    this.offsetOfMaxTs = offMax;
    this.next = next;
    this.bytesSinceIndex = bytesSince;
  }

  get nextOffset(): bigint {
    if (this.next === null) this.loadTail();
    return this.next!;
  }

  /** Largest batch timestamp in the segment (-1 if none). */
  get maxTimestamp(): bigint {
    if (this.maxTs === null) this.loadTail();
    return this.maxTs!;
  }

  get offsetOfMaxTimestamp(): bigint {
    if (this.maxTs === null) this.loadTail();
    return this.offsetOfMaxTs;
  }

  /** Kafka's largestTimestamp: max batch timestamp, or the file's mtime when there is none. */
  largestTimestampForRetention(): number {
    const ts = this.maxTimestamp;
    if (ts >= 0n) return Number(ts);
    try {
      return fs.statSync(this.logFile).mtimeMs;
    } catch {
      return this.created;
    }
  }

  /** Max timestamp of the first batch: segment.ms counts from it (Kafka's rollingBasedTimestamp). */
  get firstBatchTimestamp(): bigint {
    if (this.firstBatchTs === null) {
      const first = this.batchesFrom(0).next();
      this.firstBatchTs = first.done ? NO_TIMESTAMP : first.value.maxTimestamp;
    }
    return this.firstBatchTs;
  }

  // ---- writing ----

  /**
   * Append whole, already validated batches (`batches` describe positions inside `data`).
   * Writes go to the page cache (they survive kill -9); fsync happens in flush().
   */
  append(data: Buffer, batches: BatchInfo[]): void {
    if (this.next === null) this.loadTail();
    const start = this.size;
    writeAllAt(this.fd, data, start);
    if (this.size === 0 && batches.length) this.firstBatchTs = batches[0]!.maxTimestamp;
    for (const b of batches) {
      if (b.maxTimestamp > this.maxTs!) {
        this.maxTs = b.maxTimestamp;
        this.offsetOfMaxTs = b.lastOffset;
      }
      if (this.bytesSinceIndex > this.opts.indexIntervalBytes) {
        this.offsetIndex.append(b.lastOffset, start + b.position);
        this.timeIndex.maybeAppend(this.maxTs!, this.offsetOfMaxTs);
        this.bytesSinceIndex = 0;
      }
      this.bytesSinceIndex += b.size;
      this.next = b.lastOffset + 1n;
    }
    this.size += data.length;
  }

  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** The segment stops being active: record its max timestamp in the time index (as Kafka does). */
  onBecomeInactive(): void {
    if (this.maxTimestamp >= 0n) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
  }

  flush(): void {
    if (this.fdv !== null) fs.fsyncSync(this.fdv);
    this.offsetIndex.flush();
    this.timeIndex.flush();
  }

  /** Remove batches whose last offset >= target. Returns bytes removed. */
  truncateTo(target: bigint): number {
    const b = this.findBatch(target);
    if (!b) return 0;
    return this.truncateAtPosition(b.position);
  }

  private truncateAtPosition(position: number): number {
    const removed = this.size - position;
    fs.ftruncateSync(this.fd, position);
    this.size = position;
    // Index entries point at batch starts; drop those at or past the cut.
    let keep = this.offsetIndex.count;
    while (keep > 0 && this.offsetIndex.position(keep - 1) >= position) keep--;
    this.offsetIndex.truncateEntries(keep);
    const lastKept =
      keep > 0 ? this.baseOffset + BigInt(this.offsetIndex.relativeOffset(keep - 1)) : this.baseOffset - 1n;
    this.timeIndex.truncateTo(lastKept + 1n);
    this.maxTs = null;
    this.next = null;
    this.firstBatchTs = null;
    this.loadTail();
    return removed;
  }

  /**
   * Rescan after a crash: check every batch's framing, magic, CRC and offset order, truncate at
   * the first bad byte and rebuild both indexes.
   */
  recover(minOffset: bigint): RecoveryResult {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTs = NO_TIMESTAMP;
    this.offsetOfMaxTs = -1n;
    this.bytesSinceIndex = 0;
    this.firstBatchTs = null;
    const epochs: { epoch: number; startOffset: bigint }[] = [];
    let pos = 0;
    let expected = minOffset > this.baseOffset ? minOffset : this.baseOffset;
    let lastOffset: bigint | null = null;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkPos = 0;
    const fileSize = fs.fstatSync(this.fd).size;
    this.size = fileSize;
    while (pos + MIN_BATCH_SIZE <= fileSize) {
      if (pos + MIN_BATCH_SIZE > chunkPos + chunk.length) {
        chunk = readAt(this.fd, pos, Math.min(RECOVER_CHUNK, fileSize - pos));
        chunkPos = pos;
      }
      let at = pos - chunkPos;
      const size = chunk.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
      if (size < MIN_BATCH_SIZE || pos + size > fileSize) break;
      if (at + size > chunk.length) {
        chunk = readAt(this.fd, pos, Math.max(size, Math.min(RECOVER_CHUNK, fileSize - pos)));
        chunkPos = pos;
        at = 0;
        if (chunk.length < size) break;
      }
      if (chunk.readInt8(at + BATCH.MAGIC) !== 2 || !isCrcValid(chunk, at, size)) break;
      const info = batchInfoAt(chunk, at, pos);
      const delta = info.lastOffset - info.baseOffset;
      if (info.baseOffset < expected || delta < 0n || info.lastOffset - this.baseOffset > 2147483647n) break;
      if (info.epoch >= 0 && (epochs.length === 0 || info.epoch > epochs[epochs.length - 1]!.epoch)) {
        epochs.push({ epoch: info.epoch, startOffset: info.baseOffset });
      }
      if (this.firstBatchTs === null) this.firstBatchTs = info.maxTimestamp;
      if (info.maxTimestamp > this.maxTs!) {
        this.maxTs = info.maxTimestamp;
        this.offsetOfMaxTs = info.lastOffset;
      }
      if (this.bytesSinceIndex > this.opts.indexIntervalBytes) {
        this.offsetIndex.append(info.lastOffset, pos);
        this.timeIndex.maybeAppend(this.maxTs!, this.offsetOfMaxTs);
        this.bytesSinceIndex = 0;
      }
      this.bytesSinceIndex += size;
      expected = info.lastOffset + 1n;
      lastOffset = info.lastOffset;
      pos += size;
    }
    const truncated = fileSize - pos;
    if (truncated > 0) fs.ftruncateSync(this.fd, pos);
    this.size = pos;
    this.next = lastOffset === null ? this.baseOffset : lastOffset + 1n;
    return { validBytes: pos, truncatedBytes: truncated, epochs, lastOffset };
  }

  /** Cheap consistency check used when opening the last segment after a clean shutdown. */
  indexesLookSane(): boolean {
    const last = this.offsetIndex.lastEntryCheap();
    if (last && (last.position >= this.size || last.offset < this.baseOffset)) return false;
    return true;
  }

  // ---- lifecycle ----

  /** Close file handles; the in-memory index copies are dropped for inactive segments. */
  close(dropMemory = false): void {
    this.closeLogFile();
    this.offsetIndex.close(dropMemory);
    this.timeIndex.close(dropMemory);
  }

  /** Rename the files to `.deleted` (removed later, after file.delete.delay.ms). Returns the new names. */
  markDeleted(): string[] {
    if (this.deleted) return [];
    this.deleted = true;
    this.close(true);
    const out: string[] = [];
    // The aborted-transaction index (written by the producer-state layer) goes with its segment.
    const txnIndex = this.logFile.slice(0, -LOG_SUFFIX.length) + TXN_INDEX_SUFFIX;
    for (const f of [this.logFile, this.offsetIndex.file, this.timeIndex.file, txnIndex]) {
      try {
        fs.renameSync(f, f + DELETED_SUFFIX);
        out.push(f + DELETED_SUFFIX);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      }
    }
    return out;
  }

  get isDeleted(): boolean {
    return this.deleted;
  }
}
