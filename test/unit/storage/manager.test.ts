import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ManualClock } from "../../../broker/storage/clock.js";
import { LogManager } from "../../../broker/storage/log-manager.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { batch, readAll, smallConfig, tmpDir } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const mkRoot = () => {
  const d = tmpDir();
  dirs.push(d);
  return d;
};
const TOPIC_ID = "q1Sh-9_ISia_bd3aLpC3lQ";

describe("log manager", () => {
  it("creates logs idempotently, writes Kafka's files and reopens cleanly without recovery", async () => {
    const root = mkRoot();
    const clock = new ManualClock();
    const mgr = await LogManager.open({ logDirs: [root], defaults: smallConfig(), clock });
    const log = await mgr.createLog("orders", 3, TOPIC_ID);
    expect(await mgr.createLog("orders", 3, TOPIC_ID)).toBe(log);
    for (let i = 0; i < 30; i++)
      await log.append(await batch(2, { valueSize: 100 }), { leaderEpoch: 4, assignOffsets: true });
    await log.deleteRecordsBefore(10n);
    expect(log.dir).toBe(path.join(root, "orders-3"));
    expect(fs.readFileSync(path.join(log.dir, "partition.metadata"), "utf8")).toBe(
      `version: 0\ntopic_id: ${TOPIC_ID}\n`,
    );
    await mgr.close();
    expect(fs.existsSync(path.join(root, ".kafka_cleanshutdown"))).toBe(true);
    expect(fs.readFileSync(path.join(root, "recovery-point-offset-checkpoint"), "utf8")).toBe(
      "0\n1\norders 3 60\n",
    );
    expect(fs.readFileSync(path.join(root, "log-start-offset-checkpoint"), "utf8")).toBe(
      "0\n1\norders 3 10\n",
    );

    const again = await LogManager.open({ logDirs: [root], defaults: smallConfig(), clock });
    expect(fs.existsSync(path.join(root, ".kafka_cleanshutdown"))).toBe(false);
    const reopened = again.getLog("orders", 3)!;
    expect(reopened.recoveredSegments).toBe(0);
    expect(reopened.topicId).toBe(TOPIC_ID);
    expect(reopened.logStartOffset).toBe(10n);
    expect(reopened.logEndOffset).toBe(60n);
    expect(reopened.latestEpoch).toBe(4);
    expect(readAll(reopened)[0]!.base).toBe(10n);
    await again.close();
  });

  it("recovers after an unclean shutdown from the checkpointed recovery point", async () => {
    const root = mkRoot();
    const mgr = await LogManager.open({ logDirs: [root], defaults: smallConfig({ segmentBytes: 600 }) });
    const log = await mgr.createLog("t", 0, TOPIC_ID);
    for (let i = 0; i < 20; i++)
      await log.append(await batch(1, { valueSize: 100 }), { leaderEpoch: 0, assignOffsets: true });
    mgr.writeCheckpoints();
    for (let i = 0; i < 3; i++)
      await log.append(await batch(1, { valueSize: 100 }), { leaderEpoch: 0, assignOffsets: true });
    log.abandon(); // no marker, no final checkpoint
    const again = await LogManager.open({ logDirs: [root], defaults: smallConfig({ segmentBytes: 600 }) });
    const r = again.getLog("t", 0)!;
    expect(r.recoveredSegments).toBeGreaterThan(0);
    expect(r.recoveredSegments).toBeLessThan(log.segmentCount);
    expect(r.logEndOffset).toBe(23n);
    expect(readAll(r).length).toBe(23);
    await again.close();
  });

  it("opens 2000 segments after a clean shutdown without reading them", async () => {
    const root = mkRoot();
    const dir = path.join(root, "many-0");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "partition.metadata"), `version: 0\ntopic_id: ${TOPIC_ID}\n`);
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const name = String(i).padStart(20, "0");
      const b = await buildBatch({
        records: [{ value: Buffer.from(`seg${i}`), timestamp: 1000n + BigInt(i) }],
        baseOffset: BigInt(i),
        partitionLeaderEpoch: 0,
      });
      fs.writeFileSync(path.join(dir, `${name}.log`), b);
      fs.writeFileSync(path.join(dir, `${name}.index`), Buffer.alloc(0));
      const ti = Buffer.alloc(12);
      ti.writeBigInt64BE(1000n + BigInt(i), 0);
      fs.writeFileSync(path.join(dir, `${name}.timeindex`), ti);
    }
    fs.writeFileSync(path.join(root, "recovery-point-offset-checkpoint"), `0\n1\nmany 0 ${N}\n`);
    fs.writeFileSync(path.join(root, ".kafka_cleanshutdown"), "");
    const readSync = vi.spyOn(fs, "readSync");
    const readFileSync = vi.spyOn(fs, "readFileSync");
    const mgr = await LogManager.open({ logDirs: [root], defaults: smallConfig() });
    const log = mgr.getLog("many", 0)!;
    expect(log.recoveredSegments).toBe(0);
    expect(log.segmentCount).toBe(N);
    expect(log.logEndOffset).toBe(BigInt(N));
    // Only the last segment's tail was read (to find the log end); checkpoints and metadata are files.
    expect(readSync.mock.calls.length).toBeLessThanOrEqual(4);
    expect(readFileSync.mock.calls.length).toBeLessThanOrEqual(6);
    vi.restoreAllMocks();
    expect(log.read(0n, 1000).firstBatchOffset).toBe(0n);
    expect(log.read(1234n, 1000).firstBatchOffset).toBe(1234n);
    expect((await log.offsetForTimestamp(1500n))!.offset).toBe(500n);
    // Reading every segment keeps the number of open files bounded.
    for (let i = 0; i < N; i++) expect(log.read(BigInt(i), 100).firstBatchOffset).toBe(BigInt(i));
    if (fs.existsSync("/proc/self/fd")) expect(fs.readdirSync("/proc/self/fd").length).toBeLessThan(1200);
    await mgr.close();

    // Unclean restart with the recovery point in the last segment: one segment is rescanned.
    fs.rmSync(path.join(root, ".kafka_cleanshutdown"));
    fs.writeFileSync(path.join(root, "recovery-point-offset-checkpoint"), `0\n1\nmany 0 ${N - 1}\n`);
    const m2 = await LogManager.open({ logDirs: [root], defaults: smallConfig() });
    expect(m2.getLog("many", 0)!.recoveredSegments).toBe(1);
    await m2.close();
  });

  it("cleans up leftovers and treats a malformed checkpoint as missing", async () => {
    const root = mkRoot();
    const mgr = await LogManager.open({ logDirs: [root], defaults: smallConfig() });
    const log = await mgr.createLog("t", 0, TOPIC_ID);
    for (let i = 0; i < 3; i++) await log.append(await batch(1), { leaderEpoch: 0, assignOffsets: true });
    await mgr.close();
    fs.mkdirSync(path.join(root, "old-0.0123456789abcdef0123456789abcdef-delete"));
    fs.writeFileSync(path.join(root, "t-0", "00000000000000000099.index"), Buffer.alloc(8)); // orphan index
    fs.writeFileSync(path.join(root, "recovery-point-offset-checkpoint"), "garbage\n");
    fs.rmSync(path.join(root, ".kafka_cleanshutdown"));
    const again = await LogManager.open({ logDirs: [root], defaults: smallConfig() });
    const l = again.getLog("t", 0)!;
    expect(l.recoveredSegments).toBe(1); // recovery point unknown: rescan from the start
    expect(l.logEndOffset).toBe(3n);
    await again.close();
    expect(fs.readdirSync(root).some((n) => n.endsWith("-delete"))).toBe(false);
    expect(fs.existsSync(path.join(root, "t-0", "00000000000000000099.index"))).toBe(false);
  });

  it("deletes a log by renaming it to -delete and removing it", async () => {
    const root = mkRoot();
    const mgr = await LogManager.open({ logDirs: [root], defaults: smallConfig() });
    const log = await mgr.createLog("gone", 0, TOPIC_ID);
    await log.append(await batch(1), { leaderEpoch: 0, assignOffsets: true });
    const renames = vi.spyOn(fs, "renameSync");
    await mgr.deleteLog("gone", 0);
    expect(renames.mock.calls.some(([, to]) => /gone-0\.[0-9a-f]{32}-delete$/.test(String(to)))).toBe(true);
    expect(mgr.getLog("gone", 0)).toBeUndefined();
    await expect(log.append(await batch(1), { leaderEpoch: 0, assignOffsets: true })).rejects.toThrow(
      /closed/,
    );
    await mgr.close();
    expect(fs.readdirSync(root).filter((n) => n.startsWith("gone"))).toEqual([]);
  });

  it("spreads partitions over log dirs and applies topic config updates", async () => {
    const a = mkRoot();
    const b = mkRoot();
    const mgr = await LogManager.open({ logDirs: [a, b], defaults: smallConfig() });
    const l0 = await mgr.createLog("x", 0, TOPIC_ID, { retentionMs: 5 });
    const l1 = await mgr.createLog("x", 1, TOPIC_ID);
    expect(path.dirname(l0.dir)).not.toBe(path.dirname(l1.dir));
    expect(l1.config.retentionMs).toBe(5);
    mgr.updateTopicConfig("x", { segmentBytes: 12345 });
    expect(l0.config.segmentBytes).toBe(12345);
    expect(l0.config.retentionMs).toBe(smallConfig().retentionMs);
    expect(mgr.allLogs().length).toBe(2);
    await mgr.close();
  });

  it("runs retention on its timer", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const root = mkRoot();
    const clock = new ManualClock();
    const mgr = await LogManager.open({
      logDirs: [root],
      defaults: smallConfig({ retentionMs: 1000 }),
      clock,
      retentionCheckIntervalMs: 5000,
    });
    const log = await mgr.createLog("r", 0, TOPIC_ID);
    await log.append(await batch(1, { ts: BigInt(clock.now()) }), { leaderEpoch: 0, assignOffsets: true });
    mgr.startBackgroundTasks();
    clock.advance(2000);
    await vi.advanceTimersByTimeAsync(4999);
    expect(log.logStartOffset).toBe(0n);
    await vi.advanceTimersByTimeAsync(1);
    await vi.waitFor(() => expect(log.logStartOffset).toBe(1n));
    await mgr.close();
    expect(fs.readFileSync(path.join(root, "log-start-offset-checkpoint"), "utf8")).toBe("0\n1\nr 0 1\n");
  });
});
