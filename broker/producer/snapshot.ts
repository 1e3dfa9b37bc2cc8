/**
 * Producer state snapshots in Kafka's `.snapshot` format, one file per offset
 * (`00000000000000000123.snapshot` holds the state of the log below offset 123):
 *
 *   version int16 (= 1) | crc uint32 (CRC32C of everything after it) | entries int32 count, then per
 *   entry: producerId int64 | epoch int16 | lastSequence int32 | lastOffset int64 | offsetDelta int32 |
 *   timestamp int64 | coordinatorEpoch int32 | currentTxnFirstOffset int64 (-1 if none)
 *
 * Files are written atomically (temp file, fsync, rename), so a crash leaves the old set intact;
 * a damaged file fails its CRC and is reported as CorruptSnapshotError.
 */
import fs from "node:fs";
import path from "node:path";
import { crc32c } from "@node-rs/crc32";
import { offsetFileName, writeFileAtomic } from "../storage/files.js";

export const SNAPSHOT_SUFFIX = ".snapshot";
export const PRODUCER_SNAPSHOT_VERSION = 1;
const CRC_OFFSET = 2;
const ENTRIES_OFFSET = 6;
const ENTRY_SIZE = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

export interface SnapshotEntry {
  producerId: bigint;
  producerEpoch: number;
  lastSequence: number;
  /** Offset of the producer's last data record, -1 if only a marker was seen. */
  lastOffset: bigint;
  offsetDelta: number;
  timestamp: number;
  coordinatorEpoch: number;
  currentTxnFirstOffset: bigint;
}

export class CorruptSnapshotError extends Error {
  override name = "CorruptSnapshotError";
}

export function encodeSnapshot(entries: readonly SnapshotEntry[]): Buffer {
  const buf = Buffer.alloc(ENTRIES_OFFSET + 4 + entries.length * ENTRY_SIZE);
  buf.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0);
  let at = ENTRIES_OFFSET;
  at = buf.writeInt32BE(entries.length, at);
  for (const e of entries) {
    at = buf.writeBigInt64BE(e.producerId, at);
    at = buf.writeInt16BE(e.producerEpoch, at);
    at = buf.writeInt32BE(e.lastSequence, at);
    at = buf.writeBigInt64BE(e.lastOffset, at);
    at = buf.writeInt32BE(e.offsetDelta, at);
    at = buf.writeBigInt64BE(BigInt(e.timestamp), at);
    at = buf.writeInt32BE(e.coordinatorEpoch, at);
    at = buf.writeBigInt64BE(e.currentTxnFirstOffset, at);
  }
  buf.writeUInt32BE(crc32c(buf.subarray(ENTRIES_OFFSET)) >>> 0, CRC_OFFSET);
  return buf;
}

export function decodeSnapshot(buf: Buffer): SnapshotEntry[] {
  if (buf.length < ENTRIES_OFFSET + 4)
    throw new CorruptSnapshotError(`snapshot too short (${buf.length} bytes)`);
  const version = buf.readInt16BE(0);
  if (version !== PRODUCER_SNAPSHOT_VERSION)
    throw new CorruptSnapshotError(`unknown producer snapshot version ${version}`);
  const stored = buf.readUInt32BE(CRC_OFFSET);
  const computed = crc32c(buf.subarray(ENTRIES_OFFSET)) >>> 0;
  if (stored !== computed)
    throw new CorruptSnapshotError(`snapshot CRC mismatch: stored ${stored}, computed ${computed}`);
  const count = buf.readInt32BE(ENTRIES_OFFSET);
  if (count < 0 || buf.length !== ENTRIES_OFFSET + 4 + count * ENTRY_SIZE)
    throw new CorruptSnapshotError(`snapshot length ${buf.length} does not match ${count} entries`);
  const out: SnapshotEntry[] = [];
  let at = ENTRIES_OFFSET + 4;
  for (let i = 0; i < count; i++) {
    out.push({
      producerId: buf.readBigInt64BE(at),
      producerEpoch: buf.readInt16BE(at + 8),
      lastSequence: buf.readInt32BE(at + 10),
      lastOffset: buf.readBigInt64BE(at + 14),
      offsetDelta: buf.readInt32BE(at + 22),
      timestamp: Number(buf.readBigInt64BE(at + 26)),
      coordinatorEpoch: buf.readInt32BE(at + 34),
      currentTxnFirstOffset: buf.readBigInt64BE(at + 38),
    });
    at += ENTRY_SIZE;
  }
  return out;
}

export function snapshotFileName(offset: bigint): string {
  return offsetFileName(offset) + SNAPSHOT_SUFFIX;
}

/** Offset named by a snapshot file name, or null if it is not one. */
export function parseSnapshotFileName(name: string): bigint | null {
  const m = /^(\d{20})\.snapshot$/.exec(name);
  return m ? BigInt(m[1]!) : null;
}

/** The snapshot files of one partition directory. */
export class ProducerSnapshotStore {
  constructor(readonly dir: string) {}

  pathFor(offset: bigint): string {
    return path.join(this.dir, snapshotFileName(offset));
  }

  /** Snapshot offsets present, ascending. */
  list(): bigint[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const offsets: bigint[] = [];
    for (const n of names) {
      const o = parseSnapshotFileName(n);
      if (o !== null) offsets.push(o);
    }
    return offsets.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  write(offset: bigint, entries: readonly SnapshotEntry[]): void {
    writeFileAtomic(this.pathFor(offset), encodeSnapshot(entries));
  }

  /** Throws CorruptSnapshotError for damaged files, ENOENT errors for missing ones. */
  read(offset: bigint): SnapshotEntry[] {
    return decodeSnapshot(fs.readFileSync(this.pathFor(offset)));
  }

  delete(offset: bigint): void {
    fs.rmSync(this.pathFor(offset), { force: true });
  }

  /** Delete snapshots below `offset` (exclusive), e.g. when the log start offset moves. */
  deleteBefore(offset: bigint): void {
    for (const o of this.list()) if (o < offset) this.delete(o);
  }

  /** Delete snapshots above `offset`, e.g. after the log is truncated to `offset`. */
  deleteAbove(offset: bigint): void {
    for (const o of this.list()) if (o > offset) this.delete(o);
  }

  /**
   * The newest readable snapshot with offset in [minOffset, maxOffset]; corrupt ones met on the way
   * are deleted (and reported through `onCorrupt`), as Kafka falls back to an older snapshot.
   */
  latestValid(
    maxOffset: bigint,
    minOffset = 0n,
    onCorrupt?: (offset: bigint, err: CorruptSnapshotError) => void,
  ): { offset: bigint; entries: SnapshotEntry[] } | null {
    const candidates = this.list()
      .filter((o) => o >= minOffset && o <= maxOffset)
      .reverse();
    for (const o of candidates) {
      try {
        return { offset: o, entries: this.read(o) };
      } catch (e) {
        if (!(e instanceof CorruptSnapshotError)) throw e;
        onCorrupt?.(o, e);
        this.delete(o);
      }
    }
    return null;
  }

  /**
   * Remove snapshots that match no segment base offset, except the newest stray one if it is above
   * every segment (the snapshot a clean shutdown writes at the log end).
   */
  removeStray(segmentBaseOffsets: readonly bigint[]): void {
    const bases = new Set(segmentBaseOffsets);
    const maxBase = segmentBaseOffsets.reduce<bigint | null>((m, o) => (m === null || o > m ? o : m), null);
    const strays = this.list().filter((o) => !bases.has(o));
    const newest = strays[strays.length - 1];
    for (const o of strays) {
      if (o === newest && (maxBase === null || o > maxBase)) continue;
      this.delete(o);
    }
  }
}
