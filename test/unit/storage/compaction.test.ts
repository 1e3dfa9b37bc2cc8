import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { LogCleaner } from "../../../broker/storage/cleaner.js";
import { ManualClock } from "../../../broker/storage/clock.js";
import type { PartitionLog } from "../../../broker/storage/partition-log.js";
import { buildBatch, decodeBatch } from "../../../protocol/records/batch.js";
import { Attr } from "../../../protocol/records/header.js";
import { openLog, readAll, smallConfig, tmpDir } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Incompressible bytes, so compressed batches still fill segments. */
const noise = (n: number, seed: string): Buffer =>
  Buffer.from(createHash("sha256").update(seed).digest("hex").repeat(2).slice(0, n));

interface MRec {
  offset: bigint;
  key: string;
  value: string | null;
  ts: bigint;
  /** Base offset of the record's batch (kept by compaction). */
  batch: bigint;
  /** The batch's delete horizon, once a cleaning kept a tombstone in it. */
  horizon: bigint | null;
}

async function records(log: PartitionLog): Promise<MRec[]> {
  const out: MRec[] = [];
  for (const b of readAll(log)) {
    const d = await decodeBatch(b.bytes);
    for (const r of d.records) {
      out.push({
        offset: r.offset,
        key: r.key!.toString(),
        value: r.value === null ? null : r.value.toString(),
        ts: r.timestamp,
        batch: d.header.baseOffset,
        horizon: (d.header.attributes & Attr.DELETE_HORIZON) !== 0 ? d.header.baseTimestamp : null,
      });
    }
  }
  return out;
}

/**
 * The cleaner's contract over [0, firstUncleanable) at time `now`: last record per key; a tombstone
 * goes once `now` reaches its batch's delete horizon, which the first cleaning keeping it sets to
 * now + delete.retention.ms.
 */
function modelClean(recs: MRec[], firstUncleanable: bigint, now: bigint, deleteRetentionMs: number): MRec[] {
  const last = new Map<string, bigint>();
  for (const r of recs) if (r.offset < firstUncleanable) last.set(r.key, r.offset);
  const kept = recs.filter((r) => {
    if (r.offset >= firstUncleanable) return true;
    if (last.get(r.key)! > r.offset) return false;
    return !(r.value === null && r.horizon !== null && now >= r.horizon);
  });
  const stamp = new Set(
    kept
      .filter((r) => r.offset < firstUncleanable && r.value === null && r.horizon === null)
      .map((r) => r.batch),
  );
  return kept.map((r) => (stamp.has(r.batch) ? { ...r, horizon: now + BigInt(deleteRetentionMs) } : r));
}

function newLog(over = {}) {
  const root = tmpDir();
  dirs.push(root);
  const clock = new ManualClock(10_000_000);
  const config = smallConfig({
    cleanupPolicy: "compact",
    segmentBytes: 1200,
    minCleanableDirtyRatio: 0,
    deleteRetentionMs: 5000,
    ...over,
  });
  return { dir: path.join(root, "t-0"), clock, config, log: openLog(path.join(root, "t-0"), config, clock) };
}

describe("log compaction", () => {
  it("keeps the last value per key, expires tombstones and keeps offsets (model)", async () => {
    let cleanings = 0;
    let expiredTombstones = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            {
              weight: 4,
              arbitrary: fc.record({
                op: fc.constant("append" as const),
                recs: fc.array(
                  fc.record({
                    key: fc.integer({ min: 0, max: 7 }),
                    tomb: fc.boolean(),
                    size: fc.integer({ min: 1, max: 30 }),
                  }),
                  { minLength: 1, maxLength: 4 },
                ),
                codec: fc.constantFrom(0, 1, 2),
              }),
            },
            {
              weight: 2,
              arbitrary: fc.record({
                op: fc.constant("clean" as const),
                advance: fc.integer({ min: 0, max: 8000 }),
              }),
            },
            { weight: 1, arbitrary: fc.record({ op: fc.constant("reopen" as const) }) },
          ),
          { minLength: 10, maxLength: 40 },
        ),
        async (ops) => {
          let { dir, clock, config, log } = newLog({ segmentBytes: 300 });
          const cleaner = new LogCleaner({ clock });
          let model: MRec[] = [];
          let cleanedTo = 0n;
          try {
            for (const o of ops) {
              if (o.op === "append") {
                const ts = BigInt(clock.now());
                const recs = o.recs.map((r, i) => ({
                  key: Buffer.from(`k${r.key}`),
                  value: r.tomb ? null : noise(r.size, `v${r.key}-${clock.now()}-${i}`),
                  timestamp: ts,
                }));
                const info = await log.append(await buildBatch({ records: recs, compression: o.codec }), {
                  leaderEpoch: 0,
                  assignOffsets: true,
                });
                recs.forEach((r, i) => {
                  model.push({
                    offset: info.firstOffset + BigInt(i),
                    key: r.key.toString(),
                    value: r.value === null ? null : r.value.toString(),
                    ts,
                    batch: info.firstOffset,
                    horizon: null,
                  });
                });
                clock.advance(100);
              } else if (o.op === "clean") {
                clock.advance(o.advance);
                const bases = log.segmentBaseOffsets();
                const active = bases[bases.length - 1]!;
                const segs = log.segmentsSnapshot();
                const dirty = segs
                  .slice(0, -1)
                  .some((s, i) => segs[i + 1]!.baseOffset > cleanedTo && s.size > 0);
                const res = await cleaner.cleanIfNeeded(log, cleanedTo);
                if (bases.length > 1 && cleanedTo < active && dirty) {
                  expect(res).toBe(active);
                  const tombs = (m: MRec[]) => m.filter((r) => r.value === null && r.offset < active).length;
                  const lastOfKey = new Map(
                    model.filter((r) => r.offset < active).map((r) => [r.key, r.offset]),
                  );
                  const latestTombs = model.filter(
                    (r) => r.value === null && lastOfKey.get(r.key) === r.offset,
                  ).length;
                  model = modelClean(model, active, BigInt(clock.now()), config.deleteRetentionMs);
                  expiredTombstones += latestTombs - tombs(model);
                  cleanedTo = active;
                  cleanings++;
                } else {
                  expect(res).toBeNull();
                }
              } else {
                await log.close();
                log = openLog(dir, config, clock);
              }
              expect(await records(log)).toEqual(model);
              expect(log.logEndOffset).toBe(
                model.length ? model[model.length - 1]!.offset + 1n : log.logEndOffset,
              );
            }
          } finally {
            await log.close();
          }
        },
      ),
      { numRuns: Number(process.env.COMPACT_RUNS ?? 30) },
    );
    expect(cleanings).toBeGreaterThan(10);
    expect(expiredTombstones).toBeGreaterThan(0);
  });

  it("keeps a tombstone for delete.retention.ms after the cleaning that first kept it", async () => {
    const { log, clock } = newLog({ segmentBytes: 200, deleteRetentionMs: 5000 });
    const cleaner = new LogCleaner({ clock });
    const put = async (key: string, value: string | null) =>
      log.append(
        await buildBatch({
          records: [
            { key: Buffer.from(key), value: value === null ? null : Buffer.alloc(80, value), timestamp: 1n },
          ],
        }),
        { leaderEpoch: 0, assignOffsets: true },
      );
    await put("a", "x");
    await put("a", null); // tombstone with an ancient timestamp
    await put("b", "y");
    await put("b", "z");
    let cp = (await cleaner.cleanIfNeeded(log, 0n))!;
    let recs = await records(log);
    const tomb = recs.find((r) => r.key === "a")!;
    expect(tomb.value).toBeNull(); // the older value of "a" is gone, the tombstone stays...
    expect(tomb.horizon).toBe(BigInt(clock.now() + 5000)); // ...stamped with its delete horizon
    expect(tomb.ts).toBe(1n); // the record timestamp survives the new base timestamp
    clock.advance(4999);
    await put("c", "w");
    await put("c", "v");
    cp = (await cleaner.cleanIfNeeded(log, cp))!;
    expect((await records(log)).some((r) => r.key === "a")).toBe(true);
    clock.advance(1);
    await put("d", "u");
    await put("d", "t");
    await cleaner.cleanIfNeeded(log, cp);
    recs = await records(log);
    expect(recs.some((r) => r.key === "a")).toBe(false);
    expect(recs.filter((r) => r.key === "b").map((r) => r.value?.[0])).toEqual(["z"]);
    await log.close();
  });

  it("respects min.cleanable.dirty.ratio and min.compaction.lag.ms", async () => {
    const { log, clock } = newLog({ minCleanableDirtyRatio: 0.9, segmentBytes: 600 });
    const cleaner = new LogCleaner({ clock });
    for (let i = 0; i < 30; i++) {
      await log.append(
        await buildBatch({
          records: [
            { key: Buffer.from(`k${i % 3}`), value: Buffer.alloc(80, i), timestamp: BigInt(clock.now()) },
          ],
        }),
        { leaderEpoch: 0, assignOffsets: true },
      );
    }
    expect(await cleaner.cleanIfNeeded(log, 0n)).not.toBeNull(); // all dirty: ratio 1
    const cleanedTo = log.segmentBaseOffsets().at(-1)!;
    const r1 = await records(log);
    for (let i = 30; i < 33; i++) {
      await log.append(
        await buildBatch({
          records: [
            { key: Buffer.from(`k${i % 3}`), value: Buffer.alloc(80, i), timestamp: BigInt(clock.now()) },
          ],
        }),
        { leaderEpoch: 0, assignOffsets: true },
      );
    }
    // A little new dirty data next to the clean section: below the 0.9 ratio, nothing happens.
    expect(await cleaner.cleanIfNeeded(log, cleanedTo)).toBeNull();
    expect((await records(log)).length).toBe(r1.length + 3);
    await log.close();

    const lag = newLog({ minCompactionLagMs: 10_000, segmentBytes: 600 });
    const c2 = new LogCleaner({ clock: lag.clock });
    for (let i = 0; i < 20; i++) {
      await lag.log.append(
        await buildBatch({
          records: [
            { key: Buffer.from("same"), value: Buffer.alloc(80, i), timestamp: BigInt(lag.clock.now()) },
          ],
        }),
        { leaderEpoch: 0, assignOffsets: true },
      );
    }
    expect(await c2.cleanIfNeeded(lag.log, 0n)).toBeNull(); // everything is younger than the lag
    lag.clock.advance(10_001);
    expect(await c2.cleanIfNeeded(lag.log, 0n)).not.toBeNull();
    await lag.log.close();
  });

  it("keeps an empty batch for a producer's last batch so its state survives", async () => {
    const { log, clock } = newLog({ segmentBytes: 300 });
    const cleaner = new LogCleaner({ clock });
    const idem = (seq: number, key: string) =>
      buildBatch({
        records: [{ key: Buffer.from(key), value: Buffer.alloc(60, seq) }],
        producerId: 77n,
        producerEpoch: 2,
        baseSequence: seq,
      });
    await log.append(await idem(0, "a"), { leaderEpoch: 0, assignOffsets: true });
    await log.append(await idem(1, "a"), { leaderEpoch: 0, assignOffsets: true });
    for (let i = 0; i < 6; i++) {
      await log.append(
        await buildBatch({ records: [{ key: Buffer.from("a"), value: Buffer.alloc(60, 9) }] }),
        { leaderEpoch: 0, assignOffsets: true },
      );
    }
    expect(await cleaner.cleanIfNeeded(log, 0n)).not.toBeNull();
    const batches = readAll(log).map((b) => ({ base: b.base, last: b.last, h: b.bytes }));
    const producerBatches = await Promise.all(batches.map(async (b) => (await decodeBatch(b.h)).header)).then(
      (hs) => hs.filter((h) => h.producerId === 77n),
    );
    // The first idempotent batch is gone; the producer's last one stays as an empty batch with its sequence.
    expect(producerBatches.length).toBe(1);
    expect(producerBatches[0]!.recordCount).toBe(0);
    expect(producerBatches[0]!.baseSequence).toBe(1);
    expect(producerBatches[0]!.baseOffset).toBe(1n);
    await log.close();
  });

  it("finishes an interrupted swap when the log is reopened", async () => {
    const { dir, log, clock, config } = newLog({ segmentBytes: 400 });
    const cleaner = new LogCleaner({ clock });
    for (let i = 0; i < 20; i++) {
      await log.append(
        await buildBatch({ records: [{ key: Buffer.from(`k${i % 2}`), value: Buffer.alloc(60, i) }] }),
        { leaderEpoch: 0, assignOffsets: true },
      );
    }
    await log.close();
    const backup = `${dir}.backup`;
    fs.cpSync(dir, backup, { recursive: true });
    // A larger segment size lets the cleaner merge the small segments into one.
    const log2 = openLog(dir, { ...config, segmentBytes: 100_000 }, clock);
    expect(await cleaner.cleanIfNeeded(log2, 0n)).not.toBeNull();
    const cleaned = await records(log2);
    await log2.close();
    // Crash after the cleaned files became .swap but before the old segments were removed.
    const cleanedBases = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .map((f) => f.slice(0, 20));
    const backupBases = fs
      .readdirSync(backup)
      .filter((f) => f.endsWith(".log"))
      .map((f) => f.slice(0, 20));
    const swapBase = cleanedBases[0]!;
    for (const sfx of [".log", ".index", ".timeindex"])
      fs.copyFileSync(path.join(dir, swapBase + sfx), path.join(backup, swapBase + sfx + ".swap"));
    expect(backupBases.length).toBeGreaterThan(cleanedBases.length);
    const log3 = openLog(backup, config, clock, false);
    expect(await records(log3)).toEqual(cleaned);
    expect(fs.readdirSync(backup).some((f) => f.endsWith(".swap"))).toBe(false);
    await log3.close();
    fs.rmSync(backup, { recursive: true, force: true });
  });
});
