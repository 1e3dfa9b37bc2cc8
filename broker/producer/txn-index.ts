/**
 * The aborted-transaction index (`<segment base offset>.txnindex`), in Kafka's layout: a sequence of
 * 34-byte entries, version int16 (= 0) | producerId int64 | firstOffset int64 | lastOffset int64 |
 * lastStableOffset int64. One entry per aborted transaction, written into the segment that holds the
 * abort marker, in marker order. read_committed fetches use it to list the aborted transactions that
 * overlap the fetched range (Fetch's AbortedTransactions).
 */
import fs from "node:fs";
import path from "node:path";
import { fsyncDir, offsetFileName } from "../storage/files.js";

export const TXN_INDEX_SUFFIX = ".txnindex";
export const ABORTED_TXN_SIZE = 34;
export const ABORTED_TXN_VERSION = 0;

export interface AbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** Offset of the abort marker. */
  lastOffset: bigint;
  /** The partition's LSO right after the marker was written. */
  lastStableOffset: bigint;
}

export class CorruptTxnIndexError extends Error {
  override name = "CorruptTxnIndexError";
}

export function txnIndexFileName(baseOffset: bigint): string {
  return offsetFileName(baseOffset) + TXN_INDEX_SUFFIX;
}

export function encodeAbortedTxn(t: AbortedTxn): Buffer {
  const b = Buffer.alloc(ABORTED_TXN_SIZE);
  b.writeInt16BE(ABORTED_TXN_VERSION, 0);
  b.writeBigInt64BE(t.producerId, 2);
  b.writeBigInt64BE(t.firstOffset, 10);
  b.writeBigInt64BE(t.lastOffset, 18);
  b.writeBigInt64BE(t.lastStableOffset, 26);
  return b;
}

export function decodeAbortedTxns(buf: Buffer): AbortedTxn[] {
  if (buf.length % ABORTED_TXN_SIZE !== 0)
    throw new CorruptTxnIndexError(`txn index size ${buf.length} is not a multiple of ${ABORTED_TXN_SIZE}`);
  const out: AbortedTxn[] = [];
  for (let at = 0; at < buf.length; at += ABORTED_TXN_SIZE) {
    const version = buf.readInt16BE(at);
    if (version !== ABORTED_TXN_VERSION)
      throw new CorruptTxnIndexError(`unexpected aborted transaction version ${version} at byte ${at}`);
    out.push({
      producerId: buf.readBigInt64BE(at + 2),
      firstOffset: buf.readBigInt64BE(at + 10),
      lastOffset: buf.readBigInt64BE(at + 18),
      lastStableOffset: buf.readBigInt64BE(at + 26),
    });
  }
  return out;
}

export interface TxnSearchResult {
  aborted: AbortedTxn[];
  /** True once an entry's LSO reaches the upper bound: later segments cannot add more. */
  complete: boolean;
}

/** Aborted transactions in `entries` overlapping [fetchOffset, upperBoundOffset). */
export function collectAbortedTxns(
  entries: readonly AbortedTxn[],
  fetchOffset: bigint,
  upperBoundOffset: bigint,
): TxnSearchResult {
  const aborted: AbortedTxn[] = [];
  for (const t of entries) {
    if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) aborted.push(t);
    if (t.lastStableOffset >= upperBoundOffset) return { aborted, complete: true };
  }
  return { aborted, complete: false };
}

/** One segment's .txnindex file; entries are cached after the first read. */
export class TransactionIndex {
  private entries: AbortedTxn[] | null = null;

  constructor(readonly file: string) {}

  static forSegment(dir: string, baseOffset: bigint): TransactionIndex {
    return new TransactionIndex(path.join(dir, txnIndexFileName(baseOffset)));
  }

  /** All entries (an absent file is an empty index). Throws CorruptTxnIndexError. */
  all(): readonly AbortedTxn[] {
    if (this.entries === null) {
      let buf: Buffer;
      try {
        buf = fs.readFileSync(this.file);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
        buf = Buffer.alloc(0);
      }
      this.entries = decodeAbortedTxns(buf);
    }
    return this.entries;
  }

  /** Append one entry; markers arrive in offset order, so lastOffset must increase. */
  append(t: AbortedTxn): void {
    const entries = this.all();
    const prev = entries[entries.length - 1];
    if (prev && t.lastOffset <= prev.lastOffset)
      throw new RangeError(
        `txn index ${this.file}: last offset ${t.lastOffset} does not follow ${prev.lastOffset}`,
      );
    const existed = fs.existsSync(this.file);
    fs.appendFileSync(this.file, encodeAbortedTxn(t));
    if (!existed) fsyncDir(path.dirname(this.file));
    (this.entries as AbortedTxn[]).push(t);
  }

  flush(): void {
    if (!fs.existsSync(this.file)) return;
    const fd = fs.openSync(this.file, "r+");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  collect(fetchOffset: bigint, upperBoundOffset: bigint): TxnSearchResult {
    return collectAbortedTxns(this.all(), fetchOffset, upperBoundOffset);
  }

  /** Drop entries whose marker is at or above `offset` (log truncation). */
  truncateTo(offset: bigint): void {
    const keep = this.all().filter((t) => t.lastOffset < offset);
    if (keep.length === this.all().length) return;
    fs.truncateSync(this.file, keep.length * ABORTED_TXN_SIZE);
    this.entries = keep;
  }

  /** Remove every entry (and the file). */
  reset(): void {
    fs.rmSync(this.file, { force: true });
    this.entries = [];
  }

  delete(): void {
    this.reset();
  }
}

/**
 * Aborted transactions for a read_committed fetch of [fetchOffset, upperBoundOffset): search the
 * indexes of the segment holding fetchOffset and the ones after it (in order) until an entry's LSO
 * shows nothing later can overlap.
 */
export function collectAbortedTransactions(
  indexesFromFetchSegment: Iterable<TransactionIndex>,
  fetchOffset: bigint,
  upperBoundOffset: bigint,
): AbortedTxn[] {
  const out: AbortedTxn[] = [];
  for (const idx of indexesFromFetchSegment) {
    const r = idx.collect(fetchOffset, upperBoundOffset);
    out.push(...r.aborted);
    if (r.complete) break;
  }
  return out;
}
