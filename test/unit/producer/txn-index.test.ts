import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AbortedTxn,
  CorruptTxnIndexError,
  collectAbortedTransactions,
  decodeAbortedTxns,
  encodeAbortedTxn,
  TransactionIndex,
  txnIndexFileName,
} from "../../../broker/producer/txn-index.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gregor-txnindex-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const t = (pid: bigint, first: bigint, last: bigint, lso: bigint): AbortedTxn => ({
  producerId: pid,
  firstOffset: first,
  lastOffset: last,
  lastStableOffset: lso,
});

describe("txnindex entries", () => {
  it("are 34 bytes in Kafka's layout", () => {
    const b = encodeAbortedTxn(t(5n, 10n, 20n, 21n));
    expect(b.length).toBe(34);
    expect(b.readInt16BE(0)).toBe(0);
    expect(b.readBigInt64BE(2)).toBe(5n);
    expect(b.readBigInt64BE(10)).toBe(10n);
    expect(b.readBigInt64BE(18)).toBe(20n);
    expect(b.readBigInt64BE(26)).toBe(21n);
    expect(decodeAbortedTxns(b)).toEqual([t(5n, 10n, 20n, 21n)]);
  });

  it("reject a partial entry or an unknown version", () => {
    expect(() => decodeAbortedTxns(Buffer.alloc(35))).toThrow(CorruptTxnIndexError);
    const b = encodeAbortedTxn(t(1n, 1n, 2n, 3n));
    b.writeInt16BE(1, 0);
    expect(() => decodeAbortedTxns(b)).toThrow(/version/);
  });
});

describe("TransactionIndex file", () => {
  it("writes, reads back from disk, truncates", () => {
    expect(txnIndexFileName(200n)).toBe("00000000000000000200.txnindex");
    const idx = TransactionIndex.forSegment(dir, 0n);
    expect(idx.all()).toEqual([]);
    idx.append(t(1n, 0n, 5n, 6n));
    idx.append(t(2n, 3n, 9n, 10n));
    idx.append(t(1n, 12n, 15n, 16n));
    idx.flush();
    expect(fs.statSync(idx.file).size).toBe(3 * 34);
    expect(() => idx.append(t(3n, 1n, 15n, 16n))).toThrow(RangeError);
    const reread = TransactionIndex.forSegment(dir, 0n);
    expect(reread.all()).toEqual(idx.all());
    reread.truncateTo(9n);
    expect(reread.all()).toEqual([t(1n, 0n, 5n, 6n)]);
    expect(TransactionIndex.forSegment(dir, 0n).all()).toEqual([t(1n, 0n, 5n, 6n)]);
  });

  it("finds aborted transactions overlapping a fetch range across segments", () => {
    // Segment 0 [0,100), segment 100 [100,200), segment 200 [200, ...)
    const s0 = TransactionIndex.forSegment(dir, 0n);
    const s1 = TransactionIndex.forSegment(dir, 100n);
    const s2 = TransactionIndex.forSegment(dir, 200n);
    s0.append(t(1n, 10n, 20n, 21n)); // entirely before the fetch
    s0.append(t(2n, 30n, 60n, 40n)); // overlaps fetch [50, 150); LSO held by pid 3
    s1.append(t(3n, 40n, 120n, 121n)); // started in segment 0, aborted in segment 1
    s1.append(t(4n, 140n, 160n, 141n)); // starts inside the range; LSO held back below 150
    s2.append(t(5n, 150n, 210n, 211n)); // starts at the upper bound: excluded
    s2.append(t(6n, 130n, 220n, 221n)); // overlaps, but not reached: pid 5's LSO 211 >= 150 ended the search
    const got = collectAbortedTransactions([s0, s1, s2], 50n, 150n);
    expect(got.map((x) => x.producerId)).toEqual([2n, 3n, 4n]);
    // Without a stopping entry the search continues into later segments.
    const s3 = TransactionIndex.forSegment(dir, 300n);
    s3.append(t(7n, 301n, 302n, 303n));
    expect(collectAbortedTransactions([s3], 0n, 1000n).map((x) => x.producerId)).toEqual([7n]);
    expect(s0.collect(50n, 150n).complete).toBe(false);
    expect(s1.collect(50n, 150n).complete).toBe(false);
    expect(s2.collect(50n, 150n).complete).toBe(true);
  });
});
