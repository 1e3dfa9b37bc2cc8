import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TransactionIndex } from "../../../broker/producer/txn-index.js";
import { LogCleaner } from "../../../broker/storage/cleaner.js";
import type { PartitionLog } from "../../../broker/storage/partition-log.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { buildControlBatch, ControlType } from "../../../protocol/records/control.js";
import { openLog } from "./helpers.js";
import { batchesOf, indexEntries, newTxnLog as newLog, RETENTION, txnDirs } from "./txn-helpers.js";

/** Worked examples of the cleaner's transaction rules (the model is in compaction-txn.test.ts). */
afterAll(() => {
  for (const d of txnDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("log compaction with transactions: examples", () => {
  const put = (key: string, value: string, pid = -1n) =>
    buildBatch({
      records: [{ key: Buffer.from(key), value: Buffer.alloc(60, value) }],
      transactional: pid >= 0n,
      producerId: pid,
      producerEpoch: pid >= 0n ? 0 : -1,
      baseSequence: pid >= 0n ? 0 : -1,
    });
  const marker = (pid: bigint, commit: boolean) =>
    buildControlBatch({
      type: commit ? ControlType.Commit : ControlType.Abort,
      coordinatorEpoch: 0,
      producerId: pid,
      producerEpoch: 0,
    });
  const opts = { leaderEpoch: 0, assignOffsets: true } as const;

  async function values(log: PartitionLog): Promise<string[]> {
    const out: string[] = [];
    for (const b of await batchesOf(log)) {
      if (b.control)
        out.push(
          `${b.markerType === ControlType.Abort ? "ABORT" : b.markerType === ControlType.Commit ? "COMMIT" : "EMPTY"}@${b.base}`,
        );
      else for (const r of b.records) out.push(`${r.key}=${r.value![0]}@${r.offset}`);
    }
    return out;
  }

  it("an aborted write never replaces the committed value; its records and index entry follow the rules", async () => {
    const { log, clock, dir } = newLog();
    const cleaner = new LogCleaner({ clock });
    await log.append(await put("a", "1"), opts); // 0
    await log.append(await put("a", "2", 5n), opts); // 1, transactional
    const m = await log.append(await marker(5n, false), opts); // 2
    TransactionIndex.forSegment(dir, log.segmentBaseOffsets().at(-1)!).append({
      producerId: 5n,
      firstOffset: 1n,
      lastOffset: m.firstOffset,
      lastStableOffset: 3n,
    });
    await log.append(await put("b", "3"), opts); // 3
    await log.append(await put("b", "4"), opts); // 4
    log.roll();
    expect(await cleaner.cleanIfNeeded(log, 0n)).toBe(5n);
    // a=1 survives (the aborted a=2 supersedes nothing); the abort marker stays (its data was
    // there at the start of this cleaning) with its index entry.
    expect(await values(log)).toEqual(["a=1@0", "ABORT@2", "b=4@4"]);
    expect(cleaner.lastStats).toMatchObject({ abortedRecordsDropped: 1 });
    expect(indexEntries(log).map((e) => e.lastOffset)).toEqual([2n]);
    // Next cleaning: the marker has no data left: stamped, then removed after delete.retention.ms.
    await cleaner.cleanIfNeeded(log, 0n);
    expect((await batchesOf(log)).find((b) => b.base === 2n)!.horizon).toBe(BigInt(clock.now() + RETENTION));
    clock.advance(RETENTION - 1);
    await cleaner.cleanIfNeeded(log, 0n);
    expect(await values(log)).toContain("ABORT@2");
    clock.advance(1);
    await cleaner.cleanIfNeeded(log, 0n);
    // The producer's last batch stays as an empty control batch (its epoch must survive).
    expect(await values(log)).toEqual(["a=1@0", "EMPTY@2", "b=4@4"]);
    expect(indexEntries(log)).toEqual([]);
    await log.close();
  });

  it("keeps abort markers unless the log allows removing them", async () => {
    const { log, clock, dir } = newLog();
    log.allowAbortMarkerRemoval = false;
    const cleaner = new LogCleaner({ clock });
    await log.append(await put("a", "1", 5n), opts); // 0
    const m = await log.append(await marker(5n, false), opts); // 1
    TransactionIndex.forSegment(dir, log.segmentBaseOffsets().at(-1)!).append({
      producerId: 5n,
      firstOffset: 0n,
      lastOffset: m.firstOffset,
      lastStableOffset: 2n,
    });
    await log.append(await put("b", "2"), opts); // 2
    log.roll();
    for (let i = 0; i < 3; i++) {
      await cleaner.cleanIfNeeded(log, 0n);
      clock.advance(RETENTION);
    }
    expect(await values(log)).toEqual(["ABORT@1", "b=2@2"]);
    expect(indexEntries(log).map((e) => e.lastOffset)).toEqual([1n]);
    await log.close();
  });

  it("keeps a commit marker while its transaction has data, then removes it", async () => {
    const { log, clock } = newLog();
    const cleaner = new LogCleaner({ clock });
    await log.append(await put("a", "1", 7n), opts); // 0
    await log.append(await marker(7n, true), opts); // 1
    await log.append(await put("a", "2"), opts); // 2: supersedes the committed a=1
    await log.append(await put("x", "9", 8n), opts); // 3: producer 8 is later, so 7's marker is not its last batch
    await log.append(await marker(8n, true), opts); // 4
    await log.append(await put("z", "0"), opts); // 5: a later batch of no producer
    log.roll();
    await cleaner.cleanIfNeeded(log, 0n);
    expect(await values(log)).toEqual(["COMMIT@1", "a=2@2", "x=9@3", "COMMIT@4", "z=0@5"]);
    await cleaner.cleanIfNeeded(log, 0n); // no data before marker 1 any more: horizon stamped
    clock.advance(RETENTION);
    await cleaner.cleanIfNeeded(log, 0n);
    // Marker 1 is producer 7's last batch: emptied, not removed. Marker 4 keeps its data.
    expect(await values(log)).toEqual(["EMPTY@1", "a=2@2", "x=9@3", "COMMIT@4", "z=0@5"]);
    await log.close();
  });

  it("stops before a transaction whose outcome it cannot see, or at the first unstable offset", async () => {
    const { log, clock } = newLog({ segmentBytes: 200 });
    const cleaner = new LogCleaner({ clock });
    await log.append(await put("a", "1"), opts); // 0
    await log.append(await put("a", "2"), opts); // 1
    await log.append(await put("a", "3", 9n), opts); // 2: open transaction
    await log.append(await put("a", "4"), opts); // 3
    await log.append(await put("a", "5"), opts); // 4
    log.roll();
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(2);
    const res = await cleaner.cleanIfNeeded(log, 0n);
    // Nothing at or after offset 2 was cleaned: a=3 may still abort, so a=1 goes (a=2 is
    // later), a=2 stays, and a=4 does not yet replace anything.
    expect(res).not.toBeNull();
    expect(res! <= 2n).toBe(true);
    expect(await values(log)).toEqual(["a=2@1", "a=3@2", "a=4@3", "a=5@4"]);
    // With the producer state's first unstable offset the answer is the same.
    log.firstUnstableOffset = () => 2n;
    await cleaner.cleanIfNeeded(log, 0n);
    expect(await values(log)).toEqual(["a=2@1", "a=3@2", "a=4@3", "a=5@4"]);
    // The transaction commits: everything can be cleaned.
    await log.append(await marker(9n, true), opts);
    log.roll();
    log.firstUnstableOffset = () => null;
    expect(await cleaner.cleanIfNeeded(log, 0n)).toBe(log.segmentBaseOffsets().at(-1));
    expect(await values(log)).toEqual(["a=5@4", "COMMIT@5"]);
    await log.close();
  });

  it("finishes an interrupted swap of a segment with its .txnindex", async () => {
    const { log, clock, dir, config } = newLog({ segmentBytes: 100_000 });
    const cleaner = new LogCleaner({ clock });
    await log.append(await put("a", "1", 3n), opts); // 0
    const m = await log.append(await marker(3n, false), opts); // 1
    TransactionIndex.forSegment(dir, 0n).append({
      producerId: 3n,
      firstOffset: 0n,
      lastOffset: m.firstOffset,
      lastStableOffset: 2n,
    });
    await log.append(await put("b", "1"), opts); // 2
    log.roll();
    await log.close();
    const backup = `${dir}.backup`;
    fs.cpSync(dir, backup, { recursive: true });
    const log2 = openLog(dir, config, clock);
    await cleaner.cleanIfNeeded(log2, 0n);
    const cleaned = await values(log2);
    expect(cleaned).toEqual(["ABORT@1", "b=1@2"]);
    await log2.close();
    // Crash right after the cleaned files became .swap: the loader completes the swap.
    for (const sfx of [".log", ".index", ".timeindex", ".txnindex"])
      fs.copyFileSync(
        path.join(dir, `00000000000000000000${sfx}`),
        path.join(backup, `00000000000000000000${sfx}.swap`),
      );
    fs.writeFileSync(path.join(backup, "00000000000000000000.txnindex"), Buffer.alloc(34 * 3)); // stale old index
    const log3 = openLog(backup, config, clock, false);
    expect(await values(log3)).toEqual(cleaned);
    expect(indexEntries(log3).map((e) => e.lastOffset)).toEqual([1n]);
    expect(fs.readdirSync(backup).some((f) => f.endsWith(".swap"))).toBe(false);
    await log3.close();
    fs.rmSync(backup, { recursive: true, force: true });
  });
});
