import fs from "node:fs";
import { readAt, writeAllAt } from "./files.js";

const RW_CREATE = fs.constants.O_RDWR | fs.constants.O_CREAT;

/**
 * A file of fixed-size entries, loaded into memory on first use (so opening thousands of segments
 * reads nothing) and appended with positional writes. The file holds exactly `count` entries:
 * it is never preallocated, so a cleanly closed index is already Kafka's trimmed size.
 */
abstract class EntryFile {
  private buf: Buffer | null = null;
  private n = 0;
  /** Entries already written to the file; the rest are written in one go by persist(). */
  private written = 0;
  private fd: number | null = null;

  constructor(
    public file: string,
    readonly baseOffset: bigint,
    readonly entrySize: number,
    readonly maxEntries: number,
  ) {}

  protected get data(): Buffer {
    if (this.buf === null) this.load();
    return this.buf!;
  }

  private load(): void {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(this.file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      bytes = Buffer.alloc(0);
    }
    this.n = Math.floor(bytes.length / this.entrySize);
    this.written = this.n;
    this.buf = Buffer.alloc(Math.max(64 * this.entrySize, bytes.length));
    bytes.copy(this.buf, 0, 0, this.n * this.entrySize);
  }

  get count(): number {
    if (this.buf === null) this.load();
    return this.n;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  /**
   * Entries go to memory first and reach the file in batches (persist on flush, roll, close or every
   * 512 entries): after a crash, recovery rebuilds the indexes of every segment it rescans anyway.
   */
  protected appendEntry(entry: Buffer): void {
    const at = this.count * this.entrySize;
    let buf = this.data;
    if (at + this.entrySize > buf.length) {
      const bigger = Buffer.alloc(buf.length * 2);
      buf.copy(bigger, 0, 0, at);
      this.buf = buf = bigger;
    }
    entry.copy(buf, at);
    this.n++;
    if (this.n - this.written >= 512) this.persist();
  }

  /** Write pending entries to the file. */
  persist(): void {
    if (this.buf === null || this.written >= this.n) return;
    this.fd ??= fs.openSync(this.file, RW_CREATE);
    writeAllAt(
      this.fd,
      this.buf.subarray(this.written * this.entrySize, this.n * this.entrySize),
      this.written * this.entrySize,
    );
    this.written = this.n;
  }

  /** Keep only the first `n` entries, in memory and on disk. */
  truncateEntries(n: number): void {
    if (n >= this.count) return;
    this.n = n;
    if (n < this.written) {
      this.written = n;
      this.fd ??= fs.openSync(this.file, RW_CREATE);
      fs.ftruncateSync(this.fd, n * this.entrySize);
    }
  }

  reset(): void {
    this.buf = Buffer.alloc(64 * this.entrySize);
    this.n = 0;
    this.written = 0;
    this.fd ??= fs.openSync(this.file, RW_CREATE);
    fs.ftruncateSync(this.fd, 0);
  }

  flush(): void {
    this.persist();
    if (this.fd !== null) fs.fsyncSync(this.fd);
  }

  /** Release the write handle and (optionally) the in-memory copy; it reloads on next use. */
  close(dropMemory = false): void {
    this.persist();
    if (this.fd !== null) {
      fs.closeSync(this.fd);
      this.fd = null;
    }
    if (dropMemory) this.buf = null;
  }

  /** Make sure the file exists on disk (a new segment shows all three files, as Kafka's do). */
  touch(): void {
    this.fd ??= fs.openSync(this.file, RW_CREATE);
  }

  /** Binary search: index of the last entry whose key is <= target, or -1. */
  protected floorIndex(keyAt: (i: number) => number | bigint, target: number | bigint): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Read the last entry straight from disk without loading the whole file. */
  protected lastEntryFromDisk(): Buffer | null {
    if (this.buf !== null) {
      return this.n ? this.buf.subarray((this.n - 1) * this.entrySize, this.n * this.entrySize) : null;
    }
    let fd: number;
    try {
      fd = fs.openSync(this.file, "r");
    } catch {
      return null;
    }
    try {
      const size = fs.fstatSync(fd).size;
      const n = Math.floor(size / this.entrySize);
      if (n === 0) return null;
      const b = readAt(fd, (n - 1) * this.entrySize, this.entrySize);
      return b.length === this.entrySize ? b : null;
    } finally {
      fs.closeSync(fd);
    }
  }
}

export interface OffsetPosition {
  offset: bigint;
  position: number;
}

/** .index: (relative offset int32, position int32) every index.interval.bytes. */
export class OffsetIndex extends EntryFile {
  constructor(file: string, baseOffset: bigint, maxIndexBytes: number) {
    super(file, baseOffset, 8, Math.floor(maxIndexBytes / 8));
  }

  relativeOffset(i: number): number {
    return this.data.readInt32BE(i * 8);
  }
  position(i: number): number {
    return this.data.readInt32BE(i * 8 + 4);
  }

  append(offset: bigint, position: number): void {
    const e = Buffer.allocUnsafe(8);
    e.writeInt32BE(Number(offset - this.baseOffset), 0);
    e.writeInt32BE(position, 4);
    this.appendEntry(e);
  }

  /** Largest entry with offset <= target, or the segment start. */
  lookup(target: bigint): OffsetPosition {
    const rel = target - this.baseOffset;
    if (rel < 0n) return { offset: this.baseOffset, position: 0 };
    const relN = rel > 2147483647n ? 2147483647 : Number(rel);
    const i = this.floorIndex((j) => this.relativeOffset(j), relN);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + BigInt(this.relativeOffset(i)), position: this.position(i) };
  }

  /** Largest entry with position <= pos. */
  lookupPosition(pos: number): OffsetPosition {
    const i = this.floorIndex((j) => this.position(j), pos);
    if (i < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + BigInt(this.relativeOffset(i)), position: this.position(i) };
  }

  /** Remove entries for offsets >= target. */
  truncateTo(target: bigint): void {
    const i = this.floorIndex((j) => this.relativeOffset(j), Number(target - this.baseOffset) - 1);
    this.truncateEntries(i + 1);
  }

  lastEntryCheap(): OffsetPosition | null {
    const b = this.lastEntryFromDisk();
    if (!b) return null;
    return { offset: this.baseOffset + BigInt(b.readInt32BE(0)), position: b.readInt32BE(4) };
  }

  /** Kafka's sanity check: offsets strictly increasing, positions increasing and inside the log. */
  sanityProblem(logSize: number): string | null {
    let prevRel = -1;
    let prevPos = -1;
    for (let i = 0; i < this.count; i++) {
      const rel = this.relativeOffset(i);
      const pos = this.position(i);
      if (rel <= prevRel && i > 0) return `entry ${i}: offset ${rel} not above previous ${prevRel}`;
      if (pos < prevPos || pos >= Math.max(logSize, 1))
        return `entry ${i}: position ${pos} out of order or past log end ${logSize}`;
      prevRel = rel;
      prevPos = pos;
    }
    return null;
  }
}

export interface TimestampOffset {
  timestamp: bigint;
  offset: bigint;
}

/** .timeindex: (timestamp int64, relative offset int32), timestamps strictly increasing. */
export class TimeIndex extends EntryFile {
  constructor(file: string, baseOffset: bigint, maxIndexBytes: number) {
    super(file, baseOffset, 12, Math.floor(maxIndexBytes / 12));
  }

  timestamp(i: number): bigint {
    return this.data.readBigInt64BE(i * 12);
  }
  relativeOffset(i: number): number {
    return this.data.readInt32BE(i * 12 + 8);
  }

  lastEntry(): TimestampOffset | null {
    const b = this.lastEntryFromDisk();
    if (!b) return null;
    return { timestamp: b.readBigInt64BE(0), offset: this.baseOffset + BigInt(b.readInt32BE(8)) };
  }

  /** Append only when the timestamp grows (Kafka keeps the time index strictly increasing). */
  maybeAppend(timestamp: bigint, offset: bigint): void {
    const last = this.count ? this.timestamp(this.count - 1) : null;
    if (last !== null && timestamp <= last) return;
    const e = Buffer.allocUnsafe(12);
    e.writeBigInt64BE(timestamp, 0);
    e.writeInt32BE(Number(offset - this.baseOffset), 8);
    this.appendEntry(e);
  }

  /** Offset of the largest entry with timestamp <= ts, or the segment base. */
  lookup(ts: bigint): bigint {
    const i = this.floorIndex((j) => this.timestamp(j), ts);
    return i < 0 ? this.baseOffset : this.baseOffset + BigInt(this.relativeOffset(i));
  }

  truncateTo(target: bigint): void {
    let keep = this.count;
    while (keep > 0 && this.baseOffset + BigInt(this.relativeOffset(keep - 1)) >= target) keep--;
    this.truncateEntries(keep);
  }

  sanityProblem(): string | null {
    for (let i = 1; i < this.count; i++) {
      if (this.timestamp(i) <= this.timestamp(i - 1)) return `entry ${i}: timestamp not increasing`;
      if (this.relativeOffset(i) < this.relativeOffset(i - 1)) return `entry ${i}: offset decreasing`;
    }
    return null;
  }
}
