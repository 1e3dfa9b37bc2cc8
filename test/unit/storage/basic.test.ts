import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../broker/storage/clock.js";
import {
  CorruptLogError,
  CorruptRecordError,
  InvalidRecordError,
  OffsetOutOfRangeError,
  RecordTooLargeError,
} from "../../../broker/storage/errors.js";
import { decodeBatch } from "../../../protocol/records/batch.js";
import { batch, openLog, readAll, smallConfig, tmpDir } from "./helpers.js";

const dirs: string[] = [];
const mk = () => {
  const d = tmpDir();
  dirs.push(d);
  return path.join(d, "t-0");
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("partition log basics", () => {
  it("appends, assigns offsets and epochs, reads whole batches", async () => {
    const log = openLog(mk(), smallConfig());
    const a = await log.append(await batch(3), { leaderEpoch: 5, assignOffsets: true });
    const b = await log.append(await batch(2), { leaderEpoch: 5, assignOffsets: true });
    expect(a.firstOffset).toBe(0n);
    expect(a.lastOffset).toBe(2n);
    expect(b.firstOffset).toBe(3n);
    expect(log.logEndOffset).toBe(5n);
    expect(log.latestEpoch).toBe(5);
    // An offset inside the second batch returns that whole batch.
    const r = log.read(4n, 1 << 20);
    expect(r.firstBatchOffset).toBe(3n);
    const decoded = await decodeBatch(Buffer.concat(r.chunks));
    expect(decoded.header.partitionLeaderEpoch).toBe(5);
    expect(decoded.records.map((x) => x.offset)).toEqual([3n, 4n]);
    // maxBytes smaller than a batch still returns one batch; maxOffset excludes batches reaching it.
    expect(log.read(0n, 1).chunks.length).toBe(1);
    expect(log.read(0n, 1 << 20, { maxOffset: 3n }).bytes).toBe(readAll(log)[0]!.bytes.length);
    expect(log.read(0n, 1, { minOneBatch: false }).bytes).toBe(0);
    expect(log.read(5n, 100).bytes).toBe(0);
    expect(() => log.read(6n, 100)).toThrow(OffsetOutOfRangeError);
    await log.close();
  });

  it("rejects corrupt, oversized and malformed batches without writing", async () => {
    const log = openLog(mk(), smallConfig({ maxMessageBytes: 200 }));
    const b = await batch(1);
    const bad = Buffer.from(b);
    bad[bad.length - 1] ^= 0xff;
    await expect(log.append(bad, { leaderEpoch: 0, assignOffsets: true })).rejects.toBeInstanceOf(
      CorruptRecordError,
    );
    await expect(
      log.append(b.subarray(0, 30), { leaderEpoch: 0, assignOffsets: true }),
    ).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(log.append(await batch(20), { leaderEpoch: 0, assignOffsets: true })).rejects.toBeInstanceOf(
      RecordTooLargeError,
    );
    expect(log.logEndOffset).toBe(0n);
    // Followers must not go backwards.
    await log.append(await batch(1), { leaderEpoch: 0, assignOffsets: true });
    const old = await batch(1);
    await expect(log.append(old, { leaderEpoch: 0, assignOffsets: false })).rejects.toBeInstanceOf(
      InvalidRecordError,
    );
    await log.close();
  });

  it("rejects keyless records on compacted topics", async () => {
    const log = openLog(mk(), smallConfig({ cleanupPolicy: "compact" }));
    await expect(log.append(await batch(2), { leaderEpoch: 0, assignOffsets: true })).rejects.toBeInstanceOf(
      InvalidRecordError,
    );
    await log.append(await batch(2, { key: (i) => Buffer.from(`k${i}`) }), {
      leaderEpoch: 0,
      assignOffsets: true,
    });
    expect(log.logEndOffset).toBe(2n);
    await log.close();
  });

  it("rolls on segment.bytes and keeps Kafka's file names", async () => {
    const dir = mk();
    const log = openLog(dir, smallConfig({ segmentBytes: 1024 }));
    for (let i = 0; i < 20; i++)
      await log.append(await batch(2, { valueSize: 100 }), { leaderEpoch: 0, assignOffsets: true });
    expect(log.segmentCount).toBeGreaterThan(3);
    const files = fs.readdirSync(dir).sort();
    expect(files).toContain("00000000000000000000.log");
    expect(files).toContain("00000000000000000000.index");
    expect(files).toContain("00000000000000000000.timeindex");
    expect(files).toContain("partition.metadata");
    expect(files).toContain("leader-epoch-checkpoint");
    for (const f of files.filter((f) => f.endsWith(".log"))) {
      expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(1024);
    }
    expect(readAll(log).length).toBe(20);
    await log.close();
  });

  it("patches LogAppendTime and answers offset-for-timestamp", async () => {
    const clock = new ManualClock(5_000_000);
    const log = openLog(mk(), smallConfig({ messageTimestampType: "LogAppendTime" }), clock);
    const info = await log.append(await batch(2, { ts: 10n }), { leaderEpoch: 1, assignOffsets: true });
    expect(info.logAppendTime).toBe(5_000_000n);
    const d = await decodeBatch(Buffer.concat(log.read(0n, 1000).chunks));
    expect(d.records[1]!.timestamp).toBe(5_000_000n);
    await log.close();

    const log2 = openLog(mk(), smallConfig({ indexIntervalBytes: 64 }));
    for (let i = 0; i < 50; i++)
      await log2.append(await batch(3, { ts: BigInt(1000 + i * 10) }), {
        leaderEpoch: 2,
        assignOffsets: true,
      });
    // batch i holds timestamps 1000+10i .. 1000+10i+2 at offsets 3i..3i+2
    expect(await log2.offsetForTimestamp(1201n)).toEqual({ offset: 61n, timestamp: 1201n, leaderEpoch: 2 });
    expect(await log2.offsetForTimestamp(1203n)).toEqual({ offset: 63n, timestamp: 1210n, leaderEpoch: 2 });
    expect(await log2.offsetForTimestamp(5000n)).toBeNull();
    expect((await log2.offsetForTimestamp(-2n))!.offset).toBe(0n);
    expect((await log2.offsetForTimestamp(-1n))!.offset).toBe(150n);
    expect(await log2.offsetForTimestamp(-3n)).toEqual({ offset: 149n, timestamp: 1492n, leaderEpoch: 2 });
    await log2.close();
  });

  it("answers end-offset-for-epoch with Kafka's semantics", async () => {
    const log = openLog(mk(), smallConfig());
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: -1, endOffset: -1n });
    await log.append(await batch(2), { leaderEpoch: 1, assignOffsets: true });
    await log.append(await batch(3), { leaderEpoch: 3, assignOffsets: true });
    await log.append(await batch(1), { leaderEpoch: 4, assignOffsets: true });
    expect(log.endOffsetForEpoch(4)).toEqual({ epoch: 4, endOffset: 6n });
    expect(log.endOffsetForEpoch(3)).toEqual({ epoch: 3, endOffset: 5n });
    expect(log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 2n });
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 0n });
    expect(log.endOffsetForEpoch(9)).toEqual({ epoch: -1, endOffset: -1n });
    expect(log.endOffsetForEpoch(-1)).toEqual({ epoch: -1, endOffset: -1n });
    await log.truncateTo(2n);
    expect(log.latestEpoch).toBe(1);
    expect(log.logEndOffset).toBe(2n);
    await log.close();
    const text = fs.readFileSync(path.join(log.dir, "leader-epoch-checkpoint"), "utf8");
    expect(text).toBe("0\n1\n1 0\n");
  });

  it("reports on-disk corruption found while reading as CorruptLogError", async () => {
    const dir = mk();
    const log = openLog(dir, smallConfig());
    for (let i = 0; i < 5; i++) await log.append(await batch(1), { leaderEpoch: 0, assignOffsets: true });
    const second = log.read(1n, 1).chunks[0]!.length;
    await log.close();
    // Damage the length field of the third batch behind the log's back (after a clean shutdown).
    const file = path.join(dir, "00000000000000000000.log");
    const bytes = fs.readFileSync(file);
    bytes.writeInt32BE(3, 2 * second + 8);
    fs.writeFileSync(file, bytes);
    const reopened = openLog(dir, smallConfig());
    expect(reopened.read(0n, 1).firstBatchOffset).toBe(0n);
    expect(() => reopened.read(3n, 1000)).toThrow(CorruptLogError);
    await reopened.close();
  });

  it("announces rolls, truncation and segment deletion, and assigns epoch starts", async () => {
    const log = openLog(mk(), smallConfig({ segmentBytes: 300 }));
    const events: string[] = [];
    log.on("roll", (b: bigint) => events.push(`roll ${b}`));
    log.on("truncate", (o: bigint) => events.push(`truncate ${o}`));
    log.on("segmentDeleted", (b: bigint) => events.push(`deleted ${b}`));
    const appended: bigint[] = [];
    const off = log.onAppend((i) => appended.push(i.firstOffset));
    for (let i = 0; i < 4; i++)
      await log.append(await batch(1, { valueSize: 150 }), { leaderEpoch: 0, assignOffsets: true });
    off();
    await log.append(await batch(1, { valueSize: 150 }), { leaderEpoch: 0, assignOffsets: true });
    expect(appended).toEqual([0n, 1n, 2n, 3n]);
    await log.truncateTo(2n);
    await log.deleteRecordsBefore(2n);
    expect(events).toEqual([
      "roll 1",
      "roll 2",
      "roll 3",
      "roll 4",
      "deleted 4",
      "deleted 3",
      "truncate 2",
      "deleted 0",
      "deleted 1",
    ]);
    log.assignEpochStartOffset(7);
    expect(log.latestEpoch).toBe(7);
    expect(log.endOffsetForEpoch(0)).toEqual({ epoch: 0, endOffset: 2n });
    await log.close();
  });

  it("deletes records before an offset, moving the log start offset", async () => {
    const log = openLog(mk(), smallConfig({ segmentBytes: 512 }));
    for (let i = 0; i < 20; i++)
      await log.append(await batch(2, { valueSize: 50 }), { leaderEpoch: 0, assignOffsets: true });
    const before = log.segmentCount;
    expect(await log.deleteRecordsBefore(25n)).toBe(25n);
    expect(log.logStartOffset).toBe(25n);
    expect(log.segmentCount).toBeLessThan(before);
    expect(() => log.read(24n, 100)).toThrow(OffsetOutOfRangeError);
    expect(log.read(25n, 1 << 20).firstBatchOffset).toBe(24n);
    await expect(log.deleteRecordsBefore(41n)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await log.close();
  });
});
