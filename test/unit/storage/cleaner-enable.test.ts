import fs from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../broker/storage/clock.js";
import { LogManager } from "../../../broker/storage/log-manager.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { readAll, smallConfig, tmpDir } from "./helpers.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const TOPIC_ID = "q1Sh-9_ISia_bd3aLpC3lQ";

/** A compacted log with 3 keys rewritten 30 times across several segments: plenty to clean. */
async function dirtyCompactedLog(cleanerEnabled: boolean | undefined) {
  const root = tmpDir();
  dirs.push(root);
  const clock = new ManualClock();
  const mgr = await LogManager.open({
    logDirs: [root],
    defaults: smallConfig({ cleanupPolicy: "compact", segmentBytes: 600 }),
    clock,
    ...(cleanerEnabled === undefined ? {} : { cleanerEnabled }),
  });
  const log = await mgr.createLog("state", 0, TOPIC_ID);
  for (let i = 0; i < 30; i++) {
    const records = [
      { key: Buffer.from(`k${i % 3}`), value: Buffer.alloc(80, i), timestamp: BigInt(clock.now()) },
    ];
    await log.append(await buildBatch({ records }), { leaderEpoch: 0, assignOffsets: true });
  }
  return { mgr, log };
}

describe("log.cleaner.enable", () => {
  it("false: the manager never compacts, so every record stays", async () => {
    const { mgr, log } = await dirtyCompactedLog(false);
    expect(mgr.cleanerEnabled).toBe(false);
    const before = readAll(log).length;
    expect(await mgr.runCleanerOnce()).toBe(0);
    expect(readAll(log).length).toBe(before);
    await mgr.close();
  });

  it("default (true): the same log is compacted", async () => {
    const { mgr, log } = await dirtyCompactedLog(undefined);
    expect(mgr.cleanerEnabled).toBe(true);
    const before = readAll(log).length;
    expect(await mgr.runCleanerOnce()).toBe(1);
    expect(readAll(log).length).toBeLessThan(before);
    await mgr.close();
  });
});
