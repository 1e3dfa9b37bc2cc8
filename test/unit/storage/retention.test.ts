import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../../broker/storage/clock.js";
import type { LogConfig } from "../../../broker/storage/config.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { batch, openLog, readAll, smallConfig, tmpDir } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function fresh(over: Partial<LogConfig>, clock = new ManualClock(1_000_000)) {
  const d = tmpDir();
  dirs.push(d);
  return { log: openLog(path.join(d, "t-0"), smallConfig({ segmentBytes: 1 << 20, ...over }), clock), clock };
}
const append = async (log: ReturnType<typeof fresh>["log"], clock: ManualClock, n = 1) =>
  log.append(await batch(n, { ts: BigInt(clock.now()) }), { leaderEpoch: 0, assignOffsets: true });

describe("segment roll", () => {
  it("rolls on segment.ms measured from the first batch timestamp", async () => {
    const { log, clock } = fresh({ segmentMs: 1000 });
    await append(log, clock);
    clock.advance(1000);
    await append(log, clock);
    expect(log.segmentCount).toBe(1);
    clock.advance(1);
    await append(log, clock);
    expect(log.segmentBaseOffsets()).toEqual([0n, 2n]);
    await log.close();
  });

  it("rolls on segment.ms from the creation time when batches carry no timestamp", async () => {
    const { log, clock } = fresh({ segmentMs: 1000 });
    const noTs = () =>
      buildBatch({
        records: [{ value: Buffer.from("x"), timestamp: -1n }],
        baseTimestamp: -1n,
        maxTimestamp: -1n,
      });
    await log.append(await noTs(), { leaderEpoch: 0, assignOffsets: true });
    clock.advance(999);
    await log.append(await noTs(), { leaderEpoch: 0, assignOffsets: true });
    expect(log.segmentCount).toBe(1);
    clock.advance(2);
    await log.append(await noTs(), { leaderEpoch: 0, assignOffsets: true });
    expect(log.segmentCount).toBe(2);
    await log.close();
  });

  it("applies segment.jitter.ms within its bound", async () => {
    for (let i = 0; i < 5; i++) {
      const { log, clock } = fresh({ segmentMs: 1000, segmentJitterMs: 400 });
      await append(log, clock);
      clock.advance(600);
      await append(log, clock);
      expect(log.segmentCount).toBe(1); // 600 < 1000 - 400
      clock.advance(401);
      await append(log, clock);
      expect(log.segmentCount).toBe(2); // 1001 > 1000 - jitter for any jitter >= 0
      await log.close();
    }
  });

  it("rolls when the offset index is full", async () => {
    // 24 bytes: three offset-index entries, two time-index entries; the time index fills first.
    const { log, clock } = fresh({ segmentIndexBytes: 24, indexIntervalBytes: 1 });
    for (let i = 0; i < 3; i++) {
      await append(log, clock);
      clock.advance(10);
    }
    expect(log.segmentCount).toBe(1);
    await append(log, clock);
    expect(log.segmentBaseOffsets()).toEqual([0n, 3n]);
    await log.close();
  });

  it("rolls when a follower batch would overflow the relative offset", async () => {
    const { log, clock } = fresh({});
    await append(log, clock);
    const far = 2n ** 31n + 5n;
    const b = await buildBatch({
      records: [{ value: Buffer.from("far") }],
      baseOffset: far,
      partitionLeaderEpoch: 1,
    });
    await log.append(b, { leaderEpoch: 1, assignOffsets: false });
    expect(log.segmentBaseOffsets()).toEqual([0n, far]);
    expect(readAll(log).map((x) => x.base)).toEqual([0n, far]);
    expect(fs.existsSync(path.join(log.dir, `${far.toString().padStart(20, "0")}.log`))).toBe(true);
    await log.close();

    // A fresh (empty) log whose first follower batch is far away: the empty segment moves there.
    const empty = fresh({});
    const huge = 5_000_000_000n;
    const hb = await buildBatch({
      records: [{ value: Buffer.from("h") }],
      baseOffset: huge,
      partitionLeaderEpoch: 1,
    });
    await empty.log.append(hb, { leaderEpoch: 1, assignOffsets: false });
    expect(empty.log.segmentBaseOffsets()).toEqual([huge]);
    expect(empty.log.logEndOffset).toBe(huge + 1n);
    expect(empty.log.logStartOffset).toBe(huge);
    await empty.log.close();
  });
});

describe("retention", () => {
  it("deletes segments past retention.ms, never the active segment's unexpired data", async () => {
    const { log, clock } = fresh({ retentionMs: 10_000, segmentMs: 1000 });
    for (let i = 0; i < 5; i++) {
      await append(log, clock, 2);
      clock.advance(1500);
    }
    expect(log.segmentCount).toBe(5);
    // Now at t0 + 7500: segments 0..4 hold data from t0, t0+1500, ..., t0+6000.
    clock.advance(4100); // t0 + 11600: the first two (max t0+1, t0+1501) are older than 10 s
    expect(await log.runRetention()).toBe(2);
    expect(log.logStartOffset).toBe(4n);
    expect(readAll(log)[0]!.base).toBe(4n);
    clock.advance(4000);
    // Everything but the active segment (t0 + 6000, still young) goes.
    expect(await log.runRetention()).toBe(2);
    expect(log.logStartOffset).toBe(8n);
    expect(readAll(log).length).toBe(1);
    await log.close();
  });

  it("rolls and deletes an active segment that has expired entirely", async () => {
    const { log, clock } = fresh({ retentionMs: 1000 });
    await append(log, clock, 3); // timestamps t, t+1, t+2
    clock.advance(1002);
    expect(await log.runRetention()).toBe(0);
    clock.advance(1);
    expect(await log.runRetention()).toBe(1);
    expect(log.logStartOffset).toBe(3n);
    expect(log.logEndOffset).toBe(3n);
    expect(log.read(3n, 1000).bytes).toBe(0);
    expect((await append(log, clock)).firstOffset).toBe(3n);
    await log.close();
  });

  it("deletes oldest segments over retention.bytes", async () => {
    const { log, clock } = fresh({ retentionBytes: 2000, segmentBytes: 1000 });
    for (let i = 0; i < 20; i++)
      await log.append(await batch(1, { valueSize: 200 }), { leaderEpoch: 0, assignOffsets: true });
    const before = log.sizeInBytes;
    await log.runRetention(clock.now());
    expect(log.sizeInBytes).toBeLessThanOrEqual(2000 + 1000);
    expect(log.sizeInBytes).toBeGreaterThan(1000);
    expect(log.sizeInBytes).toBeLessThan(before);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets()[0]);
    await log.close();
  });

  it("keeps data of compact-only topics and data above the high watermark", async () => {
    const { log, clock } = fresh({ retentionMs: 1000, cleanupPolicy: "compact" });
    await log.append(await batch(1, { key: () => Buffer.from("k"), ts: BigInt(clock.now()) }), {
      leaderEpoch: 0,
      assignOffsets: true,
    });
    clock.advance(5000);
    expect(await log.runRetention()).toBe(0);
    await log.close();

    const h = fresh({ retentionMs: 1000, segmentMs: 10 });
    await append(h.log, h.clock);
    h.clock.advance(20);
    await append(h.log, h.clock);
    h.clock.advance(5000);
    h.log.highWatermark = 1n;
    expect(await h.log.runRetention()).toBe(1); // segment [0,1) only: [1,2) is not below the HW
    h.log.highWatermark = 2n;
    expect(await h.log.runRetention()).toBe(1);
    await h.log.close();
  });
});

describe("segment file deletion", () => {
  it("renames deleted segments to .deleted and removes them after file.delete.delay.ms", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const { log, clock } = fresh({ retentionMs: 1000, segmentMs: 10, fileDeleteDelayMs: 60_000 });
      await append(log, clock);
      clock.advance(20);
      await append(log, clock);
      clock.advance(2000);
      expect(await log.runRetention()).toBe(2);
      const deleted = () => fs.readdirSync(log.dir).filter((f) => f.endsWith(".deleted"));
      expect(deleted().sort()).toEqual([
        "00000000000000000000.index.deleted",
        "00000000000000000000.log.deleted",
        "00000000000000000000.timeindex.deleted",
        "00000000000000000001.index.deleted",
        "00000000000000000001.log.deleted",
        "00000000000000000001.timeindex.deleted",
      ]);
      vi.advanceTimersByTime(59_999);
      expect(deleted().length).toBe(6);
      vi.advanceTimersByTime(1);
      expect(deleted()).toEqual([]);
      await log.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("flush policy", () => {
  it("flushes after flush.messages and flush.ms, moving the recovery point", async () => {
    const { log, clock } = fresh({ flushMessages: 3 });
    await append(log, clock, 2);
    expect(log.recoveryPoint).toBe(0n);
    await append(log, clock, 1);
    expect(log.recoveryPoint).toBe(3n);
    log.updateConfig({ ...log.config, flushMessages: Number.MAX_SAFE_INTEGER, flushMs: 1000 });
    await append(log, clock, 1);
    await log.maybeFlushByTime(clock.now());
    expect(log.recoveryPoint).toBe(3n);
    clock.advance(1000);
    await log.maybeFlushByTime(clock.now());
    expect(log.recoveryPoint).toBe(4n);
    await log.close();
  });
});
