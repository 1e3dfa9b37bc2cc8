import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { brokerLogDefaults } from "../../../broker/config/log-defaults.js";
import { ProducerLogs } from "../../../broker/partition/registry.js";
import { PartitionLog } from "../../../broker/storage/partition-log.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { silent } from "./stack.js";

/**
 * DeleteRecords moving the log start INSIDE a segment (no segment deleted) through the view the
 * broker hands to handlers. Kafka (UnifiedLog.maybeIncrementLogStartOffset) tells the producer
 * state on every increment (ProducerStateManager.onLogStartOffsetIncremented: drops unreplicated
 * transactions below it, moves the map end offset up; producers are kept until they expire) and
 * keeps the first unstable offset, hence the LSO, at or above the log start.
 */
const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh() {
  const base = mkdtempSync(join(tmpdir(), "gregor-delrec-state-"));
  dirs.push(base);
  const dir = join(base, "t-0");
  const config = { ...brokerLogDefaults(new Map()), segmentBytes: 1 << 20 };
  const init = { dir, topic: "t", partition: 0, topicId: "AAAAAAAAAAAAAAAAAAAAAA", config, logger: silent };
  const log = existsSync(dir) ? PartitionLog.load(init) : PartitionLog.create(init);
  const logs = new ProducerLogs({ logger: silent, now: () => 1000 });
  return { log, pl: logs.of(log), view: logs.view(log) };
}

const data = (pid: bigint, seq: number, n: number, txn = false) =>
  buildBatch({
    records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`p${pid}-${seq + i}`) })),
    producerId: pid,
    producerEpoch: 0,
    baseSequence: seq,
    transactional: txn,
  });

describe("DeleteRecords inside a segment and the producer state", () => {
  it("tells the producer state the new log start", async () => {
    const { log, pl, view } = fresh();
    await pl.appendClient(await data(1n, 0, 4), { leaderEpoch: 0 }); // 0-3
    await pl.appendClient(await data(2n, 0, 4), { leaderEpoch: 0 }); // 4-7
    await pl.ready;
    const manager = pl.producerState()!.producers;
    const seen = vi.spyOn(manager, "onLogStartOffsetIncremented");
    expect(await view.deleteRecordsBefore(6n)).toBe(6n);
    expect(log.segmentBaseOffsets()).toEqual([0n]); // still one segment: nothing was deleted
    expect(seen).toHaveBeenCalledWith(6n);
    // Like Kafka, the producers themselves stay (they leave by producer.id.expiration.ms).
    expect(manager.lastEntry(1n)).toBeDefined();
    await log.close();
  });

  it("keeps the LSO at the log start when DeleteRecords passes an open transaction's first offset", async () => {
    const { log, pl, view } = fresh();
    await pl.appendClient(await data(1n, 0, 2), { leaderEpoch: 0 }); // 0-1
    await pl.appendClient(await data(9n, 0, 2, true), { leaderEpoch: 0 }); // 2-3, left open
    await pl.appendClient(await data(1n, 2, 3), { leaderEpoch: 0 }); // 4-6
    expect(pl.lastStableOffset()).toBe(2n);
    await view.deleteRecordsBefore(5n);
    expect(view.logStartOffset).toBe(5n);
    expect(pl.lastStableOffset()).toBe(5n);
    await log.close();
  });
});
