import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../../broker/storage/clock.js";
import { OffsetOutOfRangeError } from "../../../broker/storage/errors.js";
import type { PartitionLog } from "../../../broker/storage/partition-log.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { openLog, smallConfig, tmpDir } from "./helpers.js";

/**
 * Model-based test: random append / follower-append / roll / truncate / delete-records /
 * retention / reopen / crash sequences against an in-memory model of segments and batches.
 * The model mirrors Kafka's rules (roll on size, prefix deletion, log start offset), and every
 * read, offset lookup and size must agree after every step.
 */

interface MBatch {
  base: bigint;
  last: bigint;
  maxTs: bigint;
  firstTs: bigint;
  bytes: Buffer;
}
interface MSeg {
  base: bigint;
  batches: MBatch[];
  size: number;
}

class Model {
  segs: MSeg[] = [{ base: 0n, batches: [], size: 0 }];
  lso = 0n;
  leo = 0n;
  constructor(readonly segmentBytes: number) {}
  get active(): MSeg {
    return this.segs[this.segs.length - 1]!;
  }
  batches(): MBatch[] {
    return this.segs.flatMap((s) => s.batches).filter((b) => b.last >= this.lso);
  }
  roll(base: bigint): void {
    const a = this.active;
    if (a.size === 0 && a.base === base) return;
    if (a.size === 0) this.segs.pop();
    this.segs.push({ base, batches: [], size: 0 });
    if (this.segs[0]!.base > this.lso) this.lso = this.segs[0]!.base;
  }
  append(b: MBatch): void {
    if (this.active.size > 0 && this.active.size > this.segmentBytes - b.bytes.length) this.roll(b.base);
    this.active.batches.push(b);
    this.active.size += b.bytes.length;
    this.leo = b.last + 1n;
  }
  truncate(o: bigint): void {
    if (o >= this.leo) return;
    while (this.segs.length > 1 && this.active.base > o) this.segs.pop();
    const a = this.active;
    a.batches = a.batches.filter((b) => b.last < o);
    a.size = a.batches.reduce((n, b) => n + b.bytes.length, 0);
    const next = a.batches.length ? a.batches[a.batches.length - 1]!.last + 1n : a.base;
    if (next < o) {
      this.roll(o);
      if (this.segs[0]!.base > this.lso) this.lso = this.segs[0]!.base;
    }
    this.leo = o;
  }
  /** Delete the first `count` segments, rolling first if that is all of them. */
  private drop(count: number): number {
    if (count <= 0) return 0;
    if (count >= this.segs.length) this.roll(this.leo);
    this.segs.splice(0, count);
    if (this.segs[0]!.base > this.lso) this.lso = this.segs[0]!.base;
    return count;
  }
  deleteLogStartBreach(): number {
    let n = 0;
    while (n + 1 < this.segs.length && this.segs[n + 1]!.base <= this.lso) n++;
    return this.drop(n);
  }
  deleteRecords(o: bigint): void {
    if (o > this.lso) {
      this.lso = o;
      this.deleteLogStartBreach();
    }
  }
  retention(now: number, retentionMs: number, retentionBytes: number): void {
    this.deleteLogStartBreach();
    if (retentionMs >= 0) {
      let n = 0;
      for (let i = 0; i < this.segs.length; i++) {
        const s = this.segs[i]!;
        if (i === this.segs.length - 1 && s.size === 0) break;
        let maxTs = -1n;
        for (const b of s.batches) if (b.maxTs > maxTs) maxTs = b.maxTs;
        if (now - Number(maxTs) > retentionMs) n++;
        else break;
      }
      this.drop(n);
    }
    if (retentionBytes >= 0) {
      let excess = this.segs.reduce((n, s) => n + s.size, 0) - retentionBytes;
      let n = 0;
      if (excess > 0) {
        for (let i = 0; i < this.segs.length; i++) {
          const s = this.segs[i]!;
          if (i === this.segs.length - 1 && s.size === 0) break;
          if (excess - s.size >= 0) {
            excess -= s.size;
            n++;
          } else break;
        }
      }
      this.drop(n);
    }
  }
  /** Batches a read from `o` with `maxBytes` returns. */
  read(o: bigint, maxBytes: number): MBatch[] {
    const out: MBatch[] = [];
    let total = 0;
    for (const b of this.batches()) {
      if (b.last < o) continue;
      if (total + b.bytes.length > maxBytes) {
        if (out.length === 0) out.push(b);
        break;
      }
      out.push(b);
      total += b.bytes.length;
    }
    return out;
  }
}

type Op =
  | { op: "append"; n: number; size: number }
  | { op: "follower"; n: number; gap: number }
  | { op: "roll" }
  | { op: "truncate"; at: number }
  | { op: "deleteRecords"; at: number }
  | { op: "retention"; advance: number }
  | { op: "reopen"; crash: boolean }
  | { op: "read"; at: number; maxBytes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("append" as const),
      n: fc.integer({ min: 1, max: 5 }),
      size: fc.integer({ min: 1, max: 250 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("follower" as const),
      n: fc.integer({ min: 1, max: 4 }),
      gap: fc.integer({ min: 0, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("roll" as const) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("truncate" as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("deleteRecords" as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("retention" as const),
      advance: fc.integer({ min: 0, max: 3000 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("reopen" as const), crash: fc.boolean() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("read" as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      maxBytes: fc.integer({ min: 1, max: 3000 }),
    }),
  },
);

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function pick(lo: bigint, hi: bigint, f: number): bigint {
  return lo + BigInt(Math.min(Math.floor(Number(hi - lo) * f), Number(hi - lo) - 1));
}

function check(log: PartitionLog, m: Model): void {
  expect(log.logStartOffset).toBe(m.lso);
  expect(log.logEndOffset).toBe(m.leo);
  expect(log.segmentBaseOffsets()).toEqual(m.segs.map((s) => s.base));
  expect(log.sizeInBytes).toBe(m.segs.reduce((n, s) => n + s.size, 0));
  // A full scan returns exactly the model's batches, byte for byte.
  const got: Buffer[] = [];
  let off = m.lso;
  for (;;) {
    const r = log.read(off, 1500);
    if (r.bytes === 0) break;
    const buf = Buffer.concat(r.chunks);
    for (let at = 0; at < buf.length; ) {
      const size = buf.readInt32BE(at + 8) + 12;
      got.push(buf.subarray(at, at + size));
      off = buf.readBigInt64BE(at) + BigInt(buf.readInt32BE(at + 23)) + 1n;
      at += size;
    }
  }
  const want = m.batches();
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(got[i]!.equals(want[i]!.bytes)).toBe(true);
  if (m.lso > 0n) expect(() => log.read(m.lso - 1n, 100)).toThrow(OffsetOutOfRangeError);
  expect(() => log.read(m.leo + 1n, 100)).toThrow(OffsetOutOfRangeError);
}

describe("partition log against a model", () => {
  it("agrees on every read across random operation sequences", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1400, max: 4000 }),
        fc.integer({ min: 0, max: 600 }),
        fc.boolean(),
        async (ops, segmentBytes, indexIntervalBytes, useRetentionBytes) => {
          const root = tmpDir();
          dirs.push(root);
          const dir = path.join(root, "t-0");
          const clock = new ManualClock(1_000_000);
          const retentionMs = 2000;
          const retentionBytes = useRetentionBytes ? 2 * segmentBytes : -1;
          const config = smallConfig({ segmentBytes, indexIntervalBytes, retentionMs, retentionBytes });
          let log = openLog(dir, config, clock);
          const m = new Model(segmentBytes);
          let epoch = 0;
          try {
            for (const o of ops) {
              switch (o.op) {
                case "append": {
                  const ts = BigInt(clock.now());
                  const records = Array.from({ length: o.n }, (_, i) => ({
                    value: Buffer.alloc(o.size, i),
                    timestamp: ts + BigInt(i),
                  }));
                  const buf = await buildBatch({ records });
                  const info = await log.append(buf, { leaderEpoch: epoch, assignOffsets: true });
                  expect(info.firstOffset).toBe(m.leo);
                  m.append({
                    base: info.firstOffset,
                    last: info.lastOffset,
                    maxTs: ts + BigInt(o.n - 1),
                    firstTs: ts,
                    bytes: Buffer.from(buf),
                  });
                  clock.advance(100);
                  break;
                }
                case "follower": {
                  epoch++;
                  const ts = BigInt(clock.now());
                  const base = m.leo + BigInt(o.gap);
                  const records = Array.from({ length: o.n }, (_, i) => ({
                    value: Buffer.from(`f${i}`),
                    timestamp: ts,
                  }));
                  const buf = await buildBatch({ records, baseOffset: base, partitionLeaderEpoch: epoch });
                  await log.append(buf, { leaderEpoch: epoch, assignOffsets: false });
                  m.append({ base, last: base + BigInt(o.n - 1), maxTs: ts, firstTs: ts, bytes: buf });
                  expect(log.latestEpoch).toBe(epoch);
                  clock.advance(100);
                  break;
                }
                case "roll":
                  log.roll();
                  m.roll(m.leo);
                  break;
                case "truncate": {
                  const at = pick(m.lso, m.leo + 1n, o.at);
                  await log.truncateTo(at);
                  m.truncate(at);
                  break;
                }
                case "deleteRecords": {
                  const at = pick(m.lso, m.leo + 1n, o.at);
                  const newStart = await log.deleteRecordsBefore(at);
                  m.deleteRecords(at);
                  expect(newStart).toBe(m.lso);
                  break;
                }
                case "retention":
                  clock.advance(o.advance);
                  await log.runRetention(clock.now());
                  m.retention(clock.now(), retentionMs, retentionBytes);
                  break;
                case "reopen": {
                  const lso = log.logStartOffset;
                  if (o.crash) log.abandon();
                  else await log.close();
                  log = openLog(dir, config, clock, !o.crash, { logStartOffset: lso, recoveryPoint: 0n });
                  break;
                }
                case "read": {
                  const at = pick(m.lso, m.leo + 1n, o.at);
                  const r = log.read(at, o.maxBytes);
                  const want = m.read(at, o.maxBytes);
                  expect(Buffer.concat(r.chunks).equals(Buffer.concat(want.map((b) => b.bytes)))).toBe(true);
                  expect(r.firstBatchOffset).toBe(want[0]?.base ?? null);
                  // Offset for a timestamp: the first record at or after it (records are ts, ts+1, ...).
                  const all = m.batches();
                  if (all.length) {
                    const target = all[Math.floor(o.at * (all.length - 1))]!.firstTs + 1n;
                    const hit = all.find((b) => b.maxTs >= target);
                    const res = await log.offsetForTimestamp(target);
                    if (!hit) {
                      expect(res).toBeNull();
                      break;
                    }
                    const recOff = target <= hit.firstTs ? hit.base : hit.base + (target - hit.firstTs);
                    expect(res!.offset).toBe(recOff < m.lso ? m.lso : recOff);
                  }
                  break;
                }
              }
              check(log, m);
            }
          } finally {
            if (!log.isClosed) await log.close();
          }
        },
      ),
      { numRuns: Number(process.env.MODEL_RUNS ?? 60) },
    );
  });
});
