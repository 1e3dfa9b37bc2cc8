import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProducerBatch } from "../../../broker/producer/batch-info.js";
import { loadProducerState, takeSnapshot } from "../../../broker/producer/recovery.js";
import {
  CorruptSnapshotError,
  decodeSnapshot,
  encodeSnapshot,
  ProducerSnapshotStore,
  type SnapshotEntry,
  snapshotFileName,
} from "../../../broker/producer/snapshot.js";
import { ProducerStateManager } from "../../../broker/producer/state-manager.js";
import { data, marker, txn } from "./helpers.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "gregor-producer-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A log of interleaved idempotent and transactional batches with commits and aborts. */
function sampleLog(): ProducerBatch[] {
  return [
    data(1n, 0, 0, 0n, 3),
    txn(2n, 5, 0, 3n, 2),
    data(1n, 0, 3, 5n, 1),
    txn(3n, 0, 0, 6n, 1),
    marker(2n, 5, 7n, "abort", 1),
    data(1n, 0, 4, 8n, 2),
    txn(2n, 5, 2, 10n, 1),
    marker(3n, 0, 11n, "commit", 1),
    data(4n, 2, 100, 12n, 1),
  ];
}

function liveState(batches: ProducerBatch[]): ProducerStateManager {
  const m = new ProducerStateManager("t-0");
  for (const b of batches) {
    const r = m.prepareAppend([b], b.marker ? "coordinator" : "client");
    if (r.kind !== "ok") throw new Error("duplicate");
    m.apply(r.plan);
  }
  return m;
}

describe("rebuild from the log", () => {
  it("replaying batch headers yields the same state as live appends", () => {
    const log = sampleLog();
    const live = liveState(log);
    const rebuilt = new ProducerStateManager("t-0");
    const aborted = rebuilt.rebuild(log);
    expect(aborted).toEqual([{ producerId: 2n, firstOffset: 3n, lastOffset: 7n, lastStableOffset: 6n }]);
    expect(rebuilt.endOffset()).toBe(live.endOffset());
    expect(new Map(rebuilt.activeProducers())).toEqual(new Map(live.activeProducers()));
    expect(rebuilt.ongoingTransactions()).toEqual(live.ongoingTransactions());
    expect(rebuilt.lastStableOffset(13n)).toBe(live.lastStableOffset(13n));
  });
});

describe("snapshot format", () => {
  const entries: SnapshotEntry[] = [
    {
      producerId: 7n,
      producerEpoch: 3,
      lastSequence: 41,
      lastOffset: 1234n,
      offsetDelta: 4,
      timestamp: 1_700_000_000_123,
      coordinatorEpoch: 2,
      currentTxnFirstOffset: 1200n,
    },
    {
      producerId: 8n,
      producerEpoch: 0,
      lastSequence: -1,
      lastOffset: -1n,
      offsetDelta: 0,
      timestamp: 5,
      coordinatorEpoch: -1,
      currentTxnFirstOffset: -1n,
    },
  ];

  it("round-trips and has Kafka's layout", () => {
    const buf = encodeSnapshot(entries);
    expect(buf.length).toBe(2 + 4 + 4 + 2 * 46);
    expect(buf.readInt16BE(0)).toBe(1);
    expect(buf.readInt32BE(6)).toBe(2);
    expect(buf.readBigInt64BE(10)).toBe(7n);
    expect(decodeSnapshot(buf)).toEqual(entries);
  });

  it("detects corruption: flipped byte, bad version, truncation", () => {
    const buf = encodeSnapshot(entries);
    const flipped = Buffer.from(buf);
    flipped[20] = flipped[20]! ^ 0xff;
    expect(() => decodeSnapshot(flipped)).toThrow(CorruptSnapshotError);
    const badVersion = Buffer.from(buf);
    badVersion.writeInt16BE(2, 0);
    expect(() => decodeSnapshot(badVersion)).toThrow(/version/);
    expect(() => decodeSnapshot(buf.subarray(0, buf.length - 3))).toThrow(CorruptSnapshotError);
    expect(() => decodeSnapshot(Buffer.alloc(3))).toThrow(CorruptSnapshotError);
  });

  it("store names files by offset, lists, and cleans up", () => {
    const store = new ProducerSnapshotStore(dir);
    for (const o of [0n, 100n, 250n, 400n]) store.write(o, entries);
    expect(fs.readdirSync(dir).sort()).toContain(snapshotFileName(250n));
    expect(snapshotFileName(123n)).toBe("00000000000000000123.snapshot");
    expect(store.list()).toEqual([0n, 100n, 250n, 400n]);
    store.deleteBefore(100n);
    store.deleteAbove(250n);
    expect(store.list()).toEqual([100n, 250n]);
    store.write(900n, entries);
    store.removeStray([0n, 100n, 500n]);
    // 250 matches no segment and is not the newest stray above all segments; 900 is kept.
    expect(store.list()).toEqual([100n, 900n]);
  });

  it("latestValid skips and deletes a corrupt newest snapshot", () => {
    const store = new ProducerSnapshotStore(dir);
    store.write(10n, entries);
    store.write(20n, entries);
    fs.writeFileSync(store.pathFor(20n), Buffer.from("garbage!garbage!"));
    const corrupt: bigint[] = [];
    const r = store.latestValid(100n, 0n, (o) => corrupt.push(o));
    expect(r?.offset).toBe(10n);
    expect(corrupt).toEqual([20n]);
    expect(store.list()).toEqual([10n]);
  });
});

describe("load after restart", () => {
  it("snapshot + tail replay equals the live state, and replays only the tail", async () => {
    const log = sampleLog();
    const live = liveState(log);
    const store = new ProducerSnapshotStore(dir);
    // Snapshot taken after the first six batches (offsets 0..9, end offset 10).
    const head = liveState(log.slice(0, 6));
    expect(takeSnapshot(head, store)).toBe(10n);
    expect(takeSnapshot(head, store)).toBeNull(); // nothing new
    const loaded = await loadProducerState({
      partition: "t-0",
      store,
      logStartOffset: 0n,
      logEndOffset: 13n,
      nowMs: 2_000,
      readBatches: (from) => log.filter((b) => b.baseOffset + BigInt(b.lastOffsetDelta) >= from),
    });
    expect(loaded.snapshotOffset).toBe(10n);
    expect(loaded.replayedBatches).toBe(3);
    expect(loaded.manager.endOffset()).toBe(13n);
    expect(loaded.manager.ongoingTransactions()).toEqual(live.ongoingTransactions());
    for (const [pid, e] of live.activeProducers()) {
      const got = loaded.manager.lastEntry(pid)!;
      expect(got.producerEpoch).toBe(e.producerEpoch);
      expect(got.currentTxnFirstOffset).toBe(e.currentTxnFirstOffset);
      expect(got.batches.at(-1)).toEqual(e.batches.at(-1));
    }
    // A retry of the last batch before the snapshot is still recognised after restart.
    const dup = loaded.manager.prepareAppend([data(1n, 0, 4, 50n, 2)], "client");
    expect(dup.kind).toBe("duplicate");
    if (dup.kind === "duplicate") expect(dup.duplicate.firstOffset).toBe(8n);
  });

  it("falls back to the log start when the only snapshot is corrupt or above the log end", async () => {
    const log = sampleLog();
    const store = new ProducerSnapshotStore(dir);
    store.write(50n, []); // above the log end: truncated away
    store.write(5n, []);
    fs.writeFileSync(store.pathFor(5n), Buffer.alloc(10, 1));
    const loaded = await loadProducerState({
      partition: "t-0",
      store,
      logStartOffset: 0n,
      logEndOffset: 13n,
      nowMs: 2_000,
      async *readBatches(from) {
        for (const b of log) if (b.baseOffset >= from) yield b;
      },
    });
    expect(loaded.snapshotOffset).toBeNull();
    expect(loaded.replayedBatches).toBe(log.length);
    expect(loaded.aborted).toHaveLength(1);
    expect(store.list()).toEqual([]);
  });
});

/** Random valid histories: idempotent and transactional producers, epoch bumps, commits and aborts. */
const history = fc
  .array(
    fc.record({
      pid: fc.integer({ min: 1, max: 3 }),
      op: fc.constantFrom("data", "txn", "commit", "abort", "bump"),
      count: fc.integer({ min: 1, max: 4 }),
    }),
    { minLength: 1, maxLength: 60 },
  )
  .map((ops) => {
    const producers = new Map<number, { epoch: number; seq: number; inTxn: boolean }>();
    const batches: ProducerBatch[] = [];
    let offset = 0n;
    for (const { pid, op, count } of ops) {
      const p = producers.get(pid) ?? { epoch: 0, seq: 0, inTxn: false };
      producers.set(pid, p);
      const id = BigInt(pid);
      if (op === "data" && !p.inTxn) batches.push(data(id, p.epoch, p.seq, offset, count, { ts: 1000 }));
      else if (op === "txn" || op === "data") {
        batches.push(txn(id, p.epoch, p.seq, offset, count));
        p.inTxn = true;
      } else if (op === "bump") {
        if (p.inTxn) continue;
        p.epoch++;
        p.seq = 0;
        continue;
      } else {
        batches.push(marker(id, p.epoch, offset, op as "commit" | "abort"));
        p.inTxn = false;
        offset += 1n;
        continue;
      }
      p.seq += count;
      offset += BigInt(count);
    }
    return batches;
  });

describe("rebuild and snapshot equivalence (property)", () => {
  it("replaying the log, or a snapshot plus its tail, reproduces the live state", async () => {
    await fc.assert(
      fc.asyncProperty(history, fc.nat(), async (log, cut) => {
        const live = liveState(log);
        const rebuilt = new ProducerStateManager("t-0");
        rebuilt.rebuild(log);
        expect(new Map(rebuilt.activeProducers())).toEqual(new Map(live.activeProducers()));
        expect(rebuilt.ongoingTransactions()).toEqual(live.ongoingTransactions());

        const split = cut % (log.length + 1);
        const snapDir = fs.mkdtempSync(path.join(dir, "p-"));
        const store = new ProducerSnapshotStore(snapDir);
        const head = liveState(log.slice(0, split));
        takeSnapshot(head, store);
        const loaded = await loadProducerState({
          partition: "t-0",
          store,
          logStartOffset: 0n,
          logEndOffset: live.endOffset(),
          nowMs: 2_000,
          readBatches: (from) => log.filter((b) => b.baseOffset >= from),
        });
        expect(loaded.manager.ongoingTransactions()).toEqual(live.ongoingTransactions());
        expect(loaded.manager.endOffset()).toBe(live.endOffset());
        for (const [pid, e] of live.activeProducers()) {
          const got = loaded.manager.lastEntry(pid)!;
          expect(got.producerEpoch).toBe(e.producerEpoch);
          expect(got.batches.at(-1)).toEqual(e.batches.at(-1));
        }
        const hw = live.endOffset();
        live.onHighWatermarkUpdated(hw);
        loaded.manager.onHighWatermarkUpdated(hw);
        expect(loaded.manager.lastStableOffset(hw)).toBe(live.lastStableOffset(hw));
      }),
      { numRuns: 40 },
    );
  });
});
