import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { buildBatch } from "../../../protocol/records/batch.js";
import { CompressionType } from "../../../protocol/records/header.js";
import { openLog, smallConfig, tmpDir } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function newLog(over = {}) {
  const root = tmpDir("gregor-ts-lookup-");
  dirs.push(root);
  return openLog(
    path.join(root, "t-0"),
    smallConfig({ segmentBytes: 700, indexIntervalBytes: 100, ...over }),
  );
}

/** One batch whose records carry exactly `stamps`, compressed with `codec`. */
function batchWith(stamps: bigint[], codec: CompressionType, valueSize = 20): Promise<Buffer> {
  return buildBatch({
    records: stamps.map((ts, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.alloc(valueSize, i),
      timestamp: ts,
    })),
    compression: codec,
  });
}

interface Rec {
  offset: bigint;
  ts: bigint;
}

/** Kafka's answer, brute force: the first record (offset order) with timestamp >= target. */
function modelLookup(recs: Rec[], target: bigint): Rec | null {
  return recs.find((r) => r.ts >= target) ?? null;
}

/** -3: the first record carrying the largest timestamp. */
function modelMax(recs: Rec[]): Rec | null {
  let best: Rec | null = null;
  for (const r of recs) if (!best || r.ts > best.ts) best = r;
  return best;
}

const codecs = [
  ["gzip", CompressionType.Gzip],
  ["zstd", CompressionType.Zstd],
] as const;

describe("offset for timestamp inside compressed batches", () => {
  for (const [name, codec] of codecs) {
    it(`${name}: increasing timestamps resolve to the exact record`, async () => {
      const log = newLog();
      await log.append(await batchWith([100n, 110n, 120n, 130n, 140n], codec), {
        leaderEpoch: 3,
        assignOffsets: true,
      });
      await log.append(await batchWith([150n, 160n, 170n], codec), { leaderEpoch: 3, assignOffsets: true });
      expect(await log.offsetForTimestamp(100n)).toEqual({ offset: 0n, timestamp: 100n, leaderEpoch: 3 });
      expect(await log.offsetForTimestamp(121n)).toEqual({ offset: 3n, timestamp: 130n, leaderEpoch: 3 });
      expect(await log.offsetForTimestamp(140n)).toEqual({ offset: 4n, timestamp: 140n, leaderEpoch: 3 });
      expect(await log.offsetForTimestamp(141n)).toEqual({ offset: 5n, timestamp: 150n, leaderEpoch: 3 });
      expect(await log.offsetForTimestamp(165n)).toEqual({ offset: 7n, timestamp: 170n, leaderEpoch: 3 });
      expect(await log.offsetForTimestamp(171n)).toBeNull();
      expect(await log.offsetForTimestamp(-3n)).toEqual({ offset: 7n, timestamp: 170n, leaderEpoch: 3 });
      await log.close();
    });

    it(`${name}: non-monotonic timestamps give the earliest offset at or after the target`, async () => {
      const log = newLog();
      // offsets 0..5 with timestamps out of order; the maximum (500) sits in the middle
      await log.append(await batchWith([300n, 100n, 500n, 200n, 500n, 400n], codec), {
        leaderEpoch: 0,
        assignOffsets: true,
      });
      expect(await log.offsetForTimestamp(50n)).toMatchObject({ offset: 0n, timestamp: 300n });
      expect(await log.offsetForTimestamp(301n)).toMatchObject({ offset: 2n, timestamp: 500n });
      expect(await log.offsetForTimestamp(500n)).toMatchObject({ offset: 2n, timestamp: 500n });
      expect(await log.offsetForTimestamp(501n)).toBeNull();
      // The first record carrying the maximum, not the batch's first or last offset.
      expect(await log.offsetForTimestamp(-3n)).toMatchObject({ offset: 2n, timestamp: 500n });
      await log.close();
    });
  }

  it("skips records below the log start inside a compressed batch", async () => {
    const log = newLog();
    await log.append(await batchWith([100n, 200n, 300n, 400n], CompressionType.Zstd), {
      leaderEpoch: 1,
      assignOffsets: true,
    });
    await log.deleteRecordsBefore(2n);
    expect(await log.offsetForTimestamp(150n)).toMatchObject({ offset: 2n, timestamp: 300n });
    expect(await log.offsetForTimestamp(-2n)).toMatchObject({ offset: 2n });
    await log.close();
  });

  it("uses the append time for every record under LogAppendTime", async () => {
    const log = newLog({ messageTimestampType: "LogAppendTime" });
    await log.append(await batchWith([1n, 2n, 3n], CompressionType.Gzip), {
      leaderEpoch: 0,
      assignOffsets: true,
      now: 5000,
    });
    expect(await log.offsetForTimestamp(4000n)).toMatchObject({ offset: 0n, timestamp: 5000n });
    expect(await log.offsetForTimestamp(-3n)).toMatchObject({ offset: 0n, timestamp: 5000n });
    await log.close();
  });

  it("agrees with a brute-force model over random logs of mixed codecs (property)", async () => {
    let maxSegments = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            codec: fc.constantFrom(
              CompressionType.None,
              CompressionType.Gzip,
              CompressionType.Snappy,
              CompressionType.Lz4,
              CompressionType.Zstd,
            ),
            stamps: fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 8 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.array(fc.integer({ min: -3, max: 1010 }), { minLength: 1, maxLength: 10 }),
        async (batches, targets) => {
          const log = newLog();
          const recs: Rec[] = [];
          try {
            for (const b of batches) {
              const stamps = b.stamps.map(BigInt);
              const info = await log.append(await batchWith(stamps, b.codec, 30), {
                leaderEpoch: 0,
                assignOffsets: true,
              });
              stamps.forEach((ts, i) => {
                recs.push({ offset: info.firstOffset + BigInt(i), ts });
              });
            }
            if (log.segmentCount > maxSegments) maxSegments = log.segmentCount;
            for (const t of targets) {
              if (t === -1 || t === -2) continue;
              const got = await log.offsetForTimestamp(BigInt(t));
              const want = t === -3 ? modelMax(recs) : modelLookup(recs, BigInt(t));
              if (want === null) expect(got).toBeNull();
              else expect(got).toMatchObject({ offset: want.offset, timestamp: want.ts });
            }
          } finally {
            await log.close();
          }
        },
      ),
      { numRuns: Number(process.env.TS_LOOKUP_RUNS ?? 25) },
    );
    expect(maxSegments).toBeGreaterThan(2); // searches crossed segments
  });
});
