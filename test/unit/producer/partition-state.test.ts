import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProducerBatch } from "../../../broker/producer/batch-info.js";
import { PartitionProducerState } from "../../../broker/producer/partition-state.js";
import { data, marker, txn } from "./helpers.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gregor-pstate-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A toy partition log: batches plus segment bases, driving PartitionProducerState like storage would. */
class ToyLog {
  batches: ProducerBatch[] = [];
  bases: bigint[] = [0n];
  reads = 0;
  constructor(public state: PartitionProducerState) {}

  get end(): bigint {
    const last = this.batches.at(-1);
    return last ? last.baseOffset + BigInt(last.lastOffsetDelta) + 1n : 0n;
  }

  append(b: ProducerBatch, origin: "client" | "coordinator" = "client") {
    const placed = { ...b, baseOffset: this.end };
    const r = this.state.prepareAppend([placed], origin);
    if (r.kind === "duplicate") return r.duplicate;
    this.batches.push(placed);
    this.state.commitAppend(r.plan, this.bases.at(-1)!);
    return null;
  }

  roll() {
    this.bases.push(this.end);
    this.state.onSegmentRoll(this.end);
  }

  reader = (from: bigint) => {
    this.reads++;
    return this.batches.filter((b) => b.baseOffset >= from);
  };

  open(): Promise<PartitionProducerState> {
    return PartitionProducerState.open({
      dir,
      partition: "t-0",
      logStartOffset: 0n,
      logEndOffset: this.end,
      segmentBaseOffsets: this.bases,
      nowMs: 5_000,
      readBatches: this.reader,
    });
  }
}

async function build(): Promise<ToyLog> {
  const log = new ToyLog(
    await PartitionProducerState.open({
      dir,
      partition: "t-0",
      logStartOffset: 0n,
      logEndOffset: 0n,
      segmentBaseOffsets: [0n],
      nowMs: 0,
      readBatches: () => [],
    }),
  );
  log.append(txn(1n, 0, 0, 0n, 2)); // 0-1 (A)
  log.append(data(9n, 0, 0, 0n, 1)); // 2
  log.append(marker(1n, 0, 0n, "abort"), "coordinator"); // 3: A aborted -> segment 0 index
  log.roll(); // segment 4
  log.append(txn(2n, 0, 0, 0n, 1)); // 4 (B)
  log.append(txn(3n, 0, 0, 0n, 1)); // 5 (C)
  log.append(marker(2n, 0, 0n, "abort"), "coordinator"); // 6: B aborted, LSO after = 5 (C open)
  log.roll(); // segment 7
  log.append(marker(3n, 0, 0n, "abort"), "coordinator"); // 7: C aborted
  log.append(data(9n, 0, 1, 0n, 1)); // 8
  return log;
}

describe("PartitionProducerState", () => {
  it("indexes aborts in the marker's segment and answers read_committed fetches", async () => {
    const log = await build();
    expect(fs.existsSync(path.join(dir, "00000000000000000000.txnindex"))).toBe(true);
    expect(log.state.index(4n).all()).toEqual([
      { producerId: 2n, firstOffset: 4n, lastOffset: 6n, lastStableOffset: 5n },
    ]);
    expect(
      log.state
        .index(7n)
        .all()
        .map((t) => t.producerId),
    ).toEqual([3n]);
    // Snapshots were taken at each roll, named by the new segment's base.
    expect(log.state.snapshots.list()).toEqual([4n, 7n]);
    // Fetch [0, 4): only A. Fetch [4, 9): B and C (C's first offset lies in segment 4, marker in 7).
    expect(log.state.abortedTransactions(0n, 4n, log.bases)).toEqual([{ producerId: 1n, firstOffset: 0n }]);
    expect(log.state.abortedTransactions(4n, 9n, log.bases)).toEqual([
      { producerId: 2n, firstOffset: 4n },
      { producerId: 3n, firstOffset: 5n },
    ]);
    expect(log.state.abortedTransactions(8n, 9n, log.bases)).toEqual([]);
    log.state.onHighWatermarkUpdated(9n);
    expect(log.state.lastStableOffset(9n)).toBe(9n);
  });

  it("a clean restart loads the shutdown snapshot and replays nothing", async () => {
    const log = await build();
    expect(log.state.close()).toBe(9n);
    const before = new Map(log.state.producers.activeProducers());
    log.state = await log.open();
    expect(log.reads).toBe(1);
    expect(new Map(log.state.producers.activeProducers())).toEqual(
      new Map([...before].map(([k, e]) => [k, { ...e, batches: e.batches.slice(-1) }])),
    );
    // Idempotence continues across the restart.
    expect(log.append(data(9n, 0, 1, 0n, 1))).toMatchObject({ firstOffset: 8n });
    expect(() => log.append(data(9n, 0, 5, 0n, 1))).toThrow(/sequence/);
  });

  it("an unclean restart restores index entries the crash lost", async () => {
    const log = await build();
    fs.rmSync(path.join(dir, "00000000000000000007.txnindex"));
    log.state = await log.open();
    expect(
      log.state
        .index(7n)
        .all()
        .map((t) => t.producerId),
    ).toEqual([3n]);
    // Entries that were already there are not duplicated.
    expect(log.state.index(4n).all()).toHaveLength(1);
  });

  it("truncation trims indexes and snapshots and rebuilds the open transactions", async () => {
    const log = await build();
    log.batches = log.batches.filter((b) => b.baseOffset < 6n);
    log.bases = [0n, 4n];
    await log.state.truncateTo(6n, 0n, log.bases, 5_000, log.reader);
    expect(fs.existsSync(path.join(dir, "00000000000000000007.txnindex"))).toBe(false);
    expect(log.state.snapshots.list()).toEqual([4n]);
    expect(log.state.index(4n).all()).toEqual([]);
    expect(log.state.producers.ongoingTransactions()).toEqual([
      { producerId: 2n, firstOffset: 4n },
      { producerId: 3n, firstOffset: 5n },
    ]);
    expect(log.state.lastStableOffset(6n)).toBe(4n);
  });

  it("deleting segments drops their index and snapshot; full truncation clears everything", async () => {
    const log = await build();
    log.state.onSegmentsDeleted([0n], 4n);
    expect(fs.existsSync(path.join(dir, "00000000000000000000.txnindex"))).toBe(false);
    expect(log.state.abortedTransactions(4n, 9n, [4n, 7n])).toHaveLength(2);
    log.state.truncateFullyAndStartAt(100n);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(log.state.producers.endOffset()).toBe(100n);
  });
});
