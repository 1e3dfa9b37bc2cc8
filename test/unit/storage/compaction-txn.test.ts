import fs from "node:fs";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { TransactionIndex } from "../../../broker/producer/txn-index.js";
import { LogCleaner } from "../../../broker/storage/cleaner.js";
import type { PartitionLog } from "../../../broker/storage/partition-log.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { buildControlBatch, ControlType } from "../../../protocol/records/control.js";
import { openLog } from "./helpers.js";
import { batchesOf, indexEntries, type LogBatch, newTxnLog, RETENTION, txnDirs } from "./txn-helpers.js";

/**
 * Compaction with transactions, against a model of what a read_committed consumer must see.
 * The test plays the producer-state layer: it appends transactional batches and markers and writes
 * the .txnindex entry of every abort into the segment holding the marker, as broker/producer does.
 */
afterAll(() => {
  for (const d of txnDirs) fs.rmSync(d, { recursive: true, force: true });
});

const newLog = newTxnLog;

interface Txn {
  pid: bigint;
  first: bigint;
  status: "open" | "commit" | "abort";
  marker: bigint | null;
}

interface MRec {
  offset: bigint;
  key: string;
  value: string | null;
  txn: Txn | null;
}

/**
 * A read_committed consumer from the log start up to `lso`, with the aborted transactions a Fetch
 * would list (the .txnindex files): last value per key (a tombstone reads as absent).
 */
async function committedView(log: PartitionLog, lso: bigint): Promise<Map<string, string>> {
  const queue = indexEntries(log)
    .filter((t) => t.firstOffset < lso)
    .sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedPids = new Set<bigint>();
  const view = new Map<string, string>();
  for (const b of await batchesOf(log)) {
    const last = b.records.length ? b.records[b.records.length - 1]!.offset : b.base;
    while (queue.length && queue[0]!.firstOffset <= last) abortedPids.add(queue.shift()!.producerId);
    if (b.control) {
      if (b.markerType === ControlType.Abort) abortedPids.delete(b.pid);
      continue;
    }
    if (b.transactional && abortedPids.has(b.pid)) continue;
    for (const r of b.records) {
      if (r.offset >= lso) continue;
      if (r.value === null) view.delete(r.key);
      else view.set(r.key, r.value);
    }
  }
  return view;
}

function modelView(recs: MRec[], lso: bigint): Map<string, string> {
  const view = new Map<string, string>();
  for (const r of recs) {
    if (r.offset >= lso || r.txn?.status === "abort") continue;
    if (r.value === null) view.delete(r.key);
    else view.set(r.key, r.value);
  }
  return view;
}

type Op =
  | { op: "put"; key: number; tomb: boolean }
  | { op: "txn"; pid: number; keys: number[] }
  | { op: "end"; pid: number; commit: boolean }
  | { op: "clean"; advance: number }
  | { op: "reopen" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("put" as const), key: fc.nat(5), tomb: fc.boolean() }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("txn" as const),
      pid: fc.integer({ min: 1, max: 3 }),
      keys: fc.array(fc.nat(5), { minLength: 1, maxLength: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("end" as const),
      pid: fc.integer({ min: 1, max: 3 }),
      commit: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("clean" as const), advance: fc.integer({ min: 0, max: 7000 }) }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reopen" as const) }) },
);

describe("log compaction with transactions", () => {
  it("never changes what read_committed consumers see; drops aborted data and empty markers (model)", async () => {
    let abortedDropped = 0;
    let markersDropped = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 15, maxLength: 45 }),
        fc.boolean(),
        async (ops, hooked) => {
          let { dir, clock, config, log } = newLog();
          const cleaner = new LogCleaner({ clock });
          const recs: MRec[] = [];
          const open = new Map<bigint, Txn>();
          const txns: Txn[] = [];
          const emptySince = new Map<bigint, number>();
          let cleanedTo = 0n;
          let seq = 0;
          const lso = () => {
            let l = log.logEndOffset;
            for (const t of open.values()) if (t.first < l) l = t.first;
            return l;
          };
          const hook = () => {
            log.allowAbortMarkerRemoval = true;
            if (hooked) log.firstUnstableOffset = () => (open.size ? lso() : null);
          };
          hook();
          const dataOf = (bs: LogBatch[], t: Txn) =>
            bs.some(
              (b) =>
                !b.control && b.pid === t.pid && b.base >= t.first && t.marker !== null && b.base < t.marker,
            );
          const markerPresent = (bs: LogBatch[], t: Txn) =>
            bs.some((b) => b.base === t.marker && b.markerType !== null);
          const finish = async (t: Txn, commit: boolean) => {
            const info = await log.append(
              await buildControlBatch({
                type: commit ? ControlType.Commit : ControlType.Abort,
                coordinatorEpoch: 0,
                producerId: t.pid,
                producerEpoch: 0,
                timestamp: BigInt(clock.now()),
              }),
              { leaderEpoch: 0, assignOffsets: true },
            );
            open.delete(t.pid);
            t.status = commit ? "commit" : "abort";
            t.marker = info.firstOffset;
            if (!commit) {
              const base = log.segmentBaseOffsets().at(-1)!;
              TransactionIndex.forSegment(dir, base).append({
                producerId: t.pid,
                firstOffset: t.first,
                lastOffset: info.firstOffset,
                lastStableOffset: lso(),
              });
            }
          };
          const clean = async (cp: bigint) => {
            const before = await batchesOf(log);
            for (const t of txns) {
              if (
                t.marker !== null &&
                markerPresent(before, t) &&
                !dataOf(before, t) &&
                !emptySince.has(t.marker)
              )
                emptySince.set(t.marker, clock.now());
            }
            const res = await cleaner.cleanIfNeeded(log, cp);
            const after = await batchesOf(log);
            for (const t of txns) {
              if (t.marker === null || !markerPresent(before, t) || markerPresent(after, t)) continue;
              // A marker goes only after its data, and only delete.retention.ms after it was left alone.
              expect(dataOf(after, t)).toBe(false);
              expect(clock.now() - emptySince.get(t.marker)!).toBeGreaterThanOrEqual(RETENTION);
              markersDropped++;
            }
            if (res !== null) {
              // No data of a transaction aborted before this cleaning survives in what it cleaned.
              for (const b of after) {
                if (b.control || b.base >= res) continue;
                for (const r of b.records) {
                  const m = recs.find((x) => x.offset === r.offset)!;
                  expect(m.txn?.status === "abort" && m.txn.marker! < log.logEndOffset).toBe(false);
                }
              }
              abortedDropped += cleaner.lastStats?.abortedRecordsDropped ?? 0;
            }
            return res;
          };
          const check = async () => {
            const bs = await batchesOf(log);
            // Surviving records are the ones written at those offsets.
            for (const b of bs) {
              for (const r of b.records) {
                const m = recs.find((x) => x.offset === r.offset);
                expect(m && { key: m.key, value: m.value }).toEqual({ key: r.key, value: r.value });
              }
            }
            // Every index entry belongs to an abort marker still in the log.
            for (const e of indexEntries(log)) {
              expect(bs.some((b) => b.base === e.lastOffset && b.markerType === ControlType.Abort)).toBe(
                true,
              );
            }
            expect(await committedView(log, lso())).toEqual(modelView(recs, lso()));
          };
          try {
            for (const o of ops) {
              if (o.op === "put") {
                const value = o.tomb ? null : `p${seq++}`;
                const info = await log.append(
                  await buildBatch({
                    records: [
                      { key: Buffer.from(`k${o.key}`), value: value === null ? null : Buffer.from(value) },
                    ],
                  }),
                  { leaderEpoch: 0, assignOffsets: true },
                );
                recs.push({ offset: info.firstOffset, key: `k${o.key}`, value, txn: null });
              } else if (o.op === "txn") {
                const pid = BigInt(o.pid);
                const values = o.keys.map(() => `t${seq++}`);
                const b = await buildBatch({
                  records: o.keys.map((k, i) => ({
                    key: Buffer.from(`k${k}`),
                    value: Buffer.from(values[i]!),
                  })),
                  transactional: true,
                  producerId: pid,
                  producerEpoch: 0,
                  baseSequence: seq,
                  compression: seq % 2,
                });
                const info = await log.append(b, { leaderEpoch: 0, assignOffsets: true });
                let t = open.get(pid);
                if (!t) {
                  t = { pid, first: info.firstOffset, status: "open", marker: null };
                  open.set(pid, t);
                  txns.push(t);
                }
                const txn = t;
                o.keys.forEach((k, i) => {
                  recs.push({ offset: info.firstOffset + BigInt(i), key: `k${k}`, value: values[i]!, txn });
                });
              } else if (o.op === "end") {
                const t = open.get(BigInt(o.pid));
                if (t) await finish(t, o.commit);
              } else if (o.op === "clean") {
                clock.advance(o.advance);
                const res = await clean(cleanedTo);
                if (res !== null) cleanedTo = res;
              } else {
                await log.close();
                log = openLog(dir, config, clock);
                hook();
              }
              clock.advance(10);
              await check();
            }
            // Settle everything, then clean repeatedly: aborted data and markers left alone must go.
            for (const t of [...open.values()]) await finish(t, t.pid % 2n === 0n);
            log.roll();
            for (let i = 0; i < 4; i++) {
              clock.advance(RETENTION + 1);
              await clean(0n);
              await check();
            }
            const bs = await batchesOf(log);
            for (const t of txns) {
              if (t.status === "abort") expect(dataOf(bs, t)).toBe(false);
              if (markerPresent(bs, t)) expect(dataOf(bs, t)).toBe(true);
            }
          } finally {
            await log.close();
          }
        },
      ),
      { numRuns: Number(process.env.TXN_COMPACT_RUNS ?? 20) },
    );
    expect(abortedDropped).toBeGreaterThan(0);
    expect(markersDropped).toBeGreaterThan(0);
  });
});
