import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { brokerLogDefaults } from "../../../broker/config/log-defaults.js";
import { ProducerLog } from "../../../broker/partition/producer-log.js";
import { PartitionLog } from "../../../broker/storage/partition-log.js";
import { ErrorCode, KafkaError } from "../../../protocol/errors/index.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { buildControlBatch, ControlType } from "../../../protocol/records/control.js";
import { silent } from "./stack.js";

/**
 * ProducerLog over a real PartitionLog: validation before the append, duplicates answered with the
 * original offsets, LSO and aborted transactions from markers, snapshots on roll and close, and the
 * state rebuilt from snapshot + log when the partition is opened again (as after a restart).
 */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(dir: string, segmentBytes = 1 << 20): { log: PartitionLog; pl: ProducerLog } {
  const config = { ...brokerLogDefaults(new Map()), segmentBytes };
  const init = { dir, topic: "t", partition: 0, topicId: "AAAAAAAAAAAAAAAAAAAAAA", config, logger: silent };
  const log = existsSync(dir) ? PartitionLog.load(init) : PartitionLog.create(init);
  const pl = new ProducerLog(log, {
    config: { producerIdExpirationMs: 86_400_000 },
    logger: silent,
    now: () => 1000,
  });
  return { log, pl };
}

function fresh(segmentBytes?: number) {
  const base = mkdtempSync(join(tmpdir(), "gregor-producer-log-"));
  dirs.push(base);
  return { dir: join(base, "t-0"), ...open(join(base, "t-0"), segmentBytes) };
}

const data = (pid: bigint, seq: number, n: number, opts: { epoch?: number; txn?: boolean } = {}) =>
  buildBatch({
    records: Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`p${pid}-${seq + i}`) })),
    producerId: pid,
    producerEpoch: opts.epoch ?? 0,
    baseSequence: seq,
    transactional: opts.txn ?? false,
  });

async function marker(pl: ProducerLog, pid: bigint, commit: boolean, epoch = 0): Promise<bigint> {
  const buf = await buildControlBatch({
    type: commit ? ControlType.Commit : ControlType.Abort,
    coordinatorEpoch: 0,
    producerId: pid,
    producerEpoch: epoch,
  });
  const info = await pl.appendMarker(buf, { type: commit ? "commit" : "abort", coordinatorEpoch: 0 }, 0);
  return info.firstOffset;
}

async function offsetOf(pl: ProducerLog, buf: Buffer): Promise<bigint> {
  const r = await pl.appendClient(buf, { leaderEpoch: 0 });
  return r.kind === "appended" ? r.info.firstOffset : r.duplicate.firstOffset;
}

async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return ErrorCode.NONE;
  } catch (e) {
    return e instanceof KafkaError ? e.code : -1;
  }
}

describe("ProducerLog", () => {
  it("answers a retried batch with its original offsets and writes it once", async () => {
    const { log, pl } = fresh();
    const b = await data(7n, 0, 3);
    expect(await pl.appendClient(b, { leaderEpoch: 0 })).toMatchObject({ kind: "appended" });
    const again = await pl.appendClient(b, { leaderEpoch: 0 });
    expect(again).toEqual({
      kind: "duplicate",
      duplicate: expect.objectContaining({ firstOffset: 0n, lastOffset: 2n }),
    });
    expect(log.logEndOffset).toBe(3n);
    expect(await codeOf(pl.appendClient(await data(7n, 5, 1), { leaderEpoch: 0 }))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect(log.logEndOffset).toBe(3n);
    await log.close();
  });

  it("non-idempotent batches pass through and keep the offsets in step", async () => {
    const { log, pl } = fresh();
    const plain = await buildBatch({ records: [{ value: Buffer.from("x") }, { value: Buffer.from("y") }] });
    expect(await offsetOf(pl, plain)).toBe(0n);
    expect(await offsetOf(pl, await data(1n, 0, 1))).toBe(2n);
    // A write around the wrapper (directly on the log) is noticed and the plan redone.
    await log.append(await buildBatch({ records: [{ value: Buffer.from("z") }] }), {
      leaderEpoch: 0,
      assignOffsets: true,
    });
    expect(await offsetOf(pl, await data(1n, 1, 1))).toBe(4n);
    expect(await offsetOf(pl, await data(1n, 1, 1))).toBe(4n);
    await log.close();
  });

  it("holds the LSO at an open transaction and lists aborted ones for read_committed", async () => {
    const { log, pl } = fresh();
    await offsetOf(pl, await data(1n, 0, 2, { txn: true })); // 0-1
    await offsetOf(pl, await data(2n, 0, 1, { txn: true })); // 2
    expect(pl.lastStableOffset()).toBe(0n);
    expect(await marker(pl, 1n, false)).toBe(3n); // abort pid 1
    expect(pl.lastStableOffset()).toBe(2n); // pid 2 still open
    expect(await marker(pl, 2n, true)).toBe(4n);
    expect(pl.lastStableOffset()).toBe(5n);
    expect(pl.abortedTransactions(0n, 5n)).toEqual([{ producerId: 1n, firstOffset: 0n }]);
    expect(pl.abortedTransactions(4n, 5n)).toEqual([]);
    // A non-transactional write inside an open transaction is refused.
    await offsetOf(pl, await data(3n, 0, 1, { txn: true }));
    expect(await codeOf(pl.appendClient(await data(3n, 1, 1), { leaderEpoch: 0 }))).toBe(
      ErrorCode.INVALID_TXN_STATE,
    );
    // A marker from an older producer epoch is refused.
    await offsetOf(pl, await data(4n, 0, 1, { epoch: 3, txn: true }));
    expect(await codeOf(marker(pl, 4n, true, 2))).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    await log.close();
  });

  it("snapshots on roll and close, and rebuilds the state when reopened", async () => {
    const { dir, log, pl } = fresh(400);
    for (let i = 0; i < 6; i++) await offsetOf(pl, await data(9n, i * 3, 3));
    expect(log.segmentCount).toBeGreaterThan(1);
    expect(readdirSync(dir).filter((n) => n.endsWith(".snapshot")).length).toBeGreaterThan(0);
    await offsetOf(pl, await data(5n, 0, 1, { txn: true })); // open transaction at 18
    await offsetOf(pl, await data(5n, 1, 1, { txn: true }));
    await offsetOf(pl, await data(6n, 0, 1, { txn: true }));
    await marker(pl, 6n, false);
    await pl.close();
    await log.close();

    const again = open(dir, 400);
    await again.pl.ready;
    expect(again.pl.lastStableOffset()).toBe(18n);
    expect(await offsetOf(again.pl, await data(9n, 15, 3))).toBe(15n); // duplicate of the last batch
    expect(again.pl.abortedTransactions(0n, again.log.logEndOffset)).toEqual([
      { producerId: 6n, firstOffset: 20n },
    ]);
    await again.log.close();
  });

  it("forgets producers idle for producer.id.expiration.ms (then any sequence is accepted)", async () => {
    const { log, pl } = fresh();
    const ts = BigInt(Date.now());
    const b = await buildBatch({
      records: [{ value: Buffer.from("x"), timestamp: ts }],
      producerId: 8n,
      producerEpoch: 0,
      baseSequence: 0,
    });
    await offsetOf(pl, b);
    expect(await codeOf(pl.appendClient(await data(8n, 7, 1), { leaderEpoch: 0 }))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    pl.removeExpiredProducers(Number(ts) + 86_400_000 - 1);
    expect(pl.producerState()!.producers.lastEntry(8n)).toBeDefined();
    pl.removeExpiredProducers(Number(ts) + 86_400_000);
    expect(pl.producerState()!.producers.lastEntry(8n)).toBeUndefined();
    expect(await offsetOf(pl, await data(8n, 7, 1))).toBe(1n);
    await log.close();
  });

  it("rebuilds from the log alone when no snapshot covers the tail (unclean stop)", async () => {
    const { dir, log, pl } = fresh();
    await offsetOf(pl, await data(3n, 0, 2));
    await offsetOf(pl, await data(4n, 0, 1, { txn: true }));
    await log.close(); // no ProducerLog.close(): no snapshot at the end
    expect(readdirSync(dir).filter((n) => n.endsWith(".snapshot"))).toEqual([]);

    const again = open(dir);
    await again.pl.ready;
    expect(again.pl.lastStableOffset()).toBe(2n);
    expect(await offsetOf(again.pl, await data(3n, 0, 2))).toBe(0n);
    expect(await codeOf(again.pl.appendClient(await data(3n, 4, 1), { leaderEpoch: 0 }))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    await again.log.close();
  });
});
