import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Writer } from "../../../protocol/primitives/writer.js";
import {
  BATCH,
  type BuildBatchOptions,
  type BuildRecord,
  batchesIn,
  buildBatch,
  buildControlBatch,
  CompressionType,
  ControlType,
  CorruptRecordError,
  decodeBatch,
  InvalidRecordError,
  isCrcValid,
  lastBatchEnd,
  patchBaseOffsetAndEpoch,
  readControlRecord,
  setLogAppendTime,
} from "../../../protocol/records/index.js";
import {
  readVarint,
  readVarlong,
  varintSize,
  varlongSize,
  varlongSizeBig,
  writeVarint,
  writeVarlong,
  writeVarlongBig,
} from "../../../protocol/records/varint.js";

const bytes = (max = 64) =>
  fc.option(
    fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a)),
    { nil: null },
  );
const ts = fc.bigInt({ min: 0n, max: 2n ** 45n });

const recordArb: fc.Arbitrary<BuildRecord> = fc.record({
  key: bytes(),
  value: bytes(200),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 12 }), value: bytes(16) }), { maxLength: 3 }),
  timestamp: ts,
});

const codecArb = fc.constantFrom(
  CompressionType.None,
  CompressionType.Gzip,
  CompressionType.Snappy,
  CompressionType.Lz4,
  CompressionType.Zstd,
);

function expectSameRecords(opts: BuildBatchOptions, decoded: Awaited<ReturnType<typeof decodeBatch>>): void {
  const base = opts.baseOffset ?? 0n;
  expect(decoded.records.length).toBe(opts.records.length);
  opts.records.forEach((r, i) => {
    const d = decoded.records[i]!;
    // null and empty must stay distinct
    expect(d.key === null ? null : Buffer.from(d.key)).toEqual(r.key ?? null);
    expect(d.value === null ? null : Buffer.from(d.value)).toEqual(r.value ?? null);
    expect(
      d.headers.map((h) => ({ key: h.key, value: h.value === null ? null : Buffer.from(h.value) })),
    ).toEqual(r.headers ?? []);
    expect(d.offsetDelta).toBe(r.offsetDelta ?? i);
    expect(d.offset).toBe(base + BigInt(r.offsetDelta ?? i));
    if (!opts.logAppendTime) expect(d.timestamp).toBe(r.timestamp);
    else expect(d.timestamp).toBe(decoded.header.maxTimestamp);
  });
}

describe("record batches: build and decode", () => {
  it("round-trips records, headers, timestamps, flags and producer fields for every codec", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { minLength: 1, maxLength: 12 }),
        codecArb,
        fc.record({
          baseOffset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
          partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          transactional: fc.boolean(),
          logAppendTime: fc.boolean(),
          producerId: fc.bigInt({ min: -1n, max: 2n ** 62n }),
          producerEpoch: fc.integer({ min: -1, max: 32767 }),
          baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
        }),
        async (records, compression, extra) => {
          const opts: BuildBatchOptions = { records, compression, ...extra, now: () => 1_700_000_000_000n };
          const buf = await buildBatch(opts);
          const d = await decodeBatch(buf);
          const h = d.header;
          expect(h.magic).toBe(2);
          expect(h.baseOffset).toBe(extra.baseOffset);
          expect(h.partitionLeaderEpoch).toBe(extra.partitionLeaderEpoch);
          expect(h.attributes & 7).toBe(compression);
          expect((h.attributes & 0x10) !== 0).toBe(extra.transactional);
          expect((h.attributes & 0x08) !== 0).toBe(extra.logAppendTime);
          expect(h.producerId).toBe(extra.producerId);
          expect(h.producerEpoch).toBe(extra.producerEpoch);
          expect(h.baseSequence).toBe(extra.baseSequence);
          expect(h.recordCount).toBe(records.length);
          expect(h.lastOffsetDelta).toBe(records.length - 1);
          expect(h.batchLength + BATCH.LOG_OVERHEAD).toBe(buf.length);
          expect(h.baseTimestamp).toBe(records[0]!.timestamp);
          if (extra.logAppendTime) expect(h.maxTimestamp).toBe(1_700_000_000_000n);
          else {
            let max = -1n;
            for (const r of records) if (r.timestamp! > max) max = r.timestamp!;
            expect(h.maxTimestamp).toBe(max);
          }
          expectSameRecords(opts, d);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps offset gaps (compacted batches) and sets lastOffsetDelta to the largest delta", async () => {
    const opts: BuildBatchOptions = {
      baseOffset: 100n,
      records: [
        { key: Buffer.from("a"), value: Buffer.from("1"), timestamp: 5n, offsetDelta: 0 },
        { key: Buffer.from("b"), value: null, timestamp: 6n, offsetDelta: 3 },
        { key: Buffer.from("c"), value: Buffer.alloc(0), timestamp: 7n, offsetDelta: 9 },
      ],
    };
    const d = await decodeBatch(await buildBatch(opts));
    expect(d.header.lastOffsetDelta).toBe(9);
    expect(d.records.map((r) => r.offset)).toEqual([100n, 103n, 109n]);
    expectSameRecords(opts, d);
  });

  it("handles negative timestamp deltas and large values exactly", async () => {
    const opts: BuildBatchOptions = {
      records: [
        { value: Buffer.from("x"), timestamp: 1_700_000_000_000n },
        { value: Buffer.from("y"), timestamp: 1n },
        { value: Buffer.from("z"), timestamp: 2n ** 52n },
      ],
    };
    const d = await decodeBatch(await buildBatch(opts));
    expect(d.records.map((r) => r.timestamp)).toEqual([1_700_000_000_000n, 1n, 2n ** 52n]);
    expect(d.records[1]!.timestampDelta).toBe(1n - 1_700_000_000_000n);
  });

  it("keeps timestamps exact far beyond 2^53 (bigint fallback both ways)", async () => {
    const stamps = [1n, 2n ** 62n, -(2n ** 62n), 2n ** 63n - 1n, 2n ** 53n + 1n];
    const d = await decodeBatch(
      await buildBatch({ records: stamps.map((t) => ({ value: null, timestamp: t })) }),
    );
    expect(d.records.map((r) => r.timestamp)).toEqual(stamps);
    expect(d.header.maxTimestamp).toBe(2n ** 63n - 1n);
    expect(d.records[1]!.timestampDelta).toBe(2n ** 62n - 1n);
  });

  it("number varints agree with the shared Reader/Writer", () => {
    fc.assert(
      fc.property(fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (i, l) => {
        const w = new Writer(1).varint(i).varlong(l).finish();
        const c = { buf: w, pos: 0, end: w.length };
        expect(readVarint(c)).toBe(i);
        expect(BigInt(readVarlong(c))).toBe(l);
        expect(c.pos).toBe(w.length);
        const out = Buffer.alloc(20);
        let p = writeVarint(out, 0, i);
        p = Number.isSafeInteger(Number(l)) ? writeVarlong(out, p, Number(l)) : writeVarlongBig(out, p, l);
        expect(out.subarray(0, p)).toEqual(w);
        expect(varlongSizeBig(l)).toBe(w.length - varintSize(i));
      }),
      { numRuns: 500 },
    );
  });

  it("number varlongs stay exact where the zig-zag value passes 2^53", () => {
    // Found by the property above: -(2^52 + 1) zig-zags to 2^53 + 1, which a double cannot hold.
    for (const v of [2 ** 52, -(2 ** 52), -(2 ** 52) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)]) {
      const expected = new Writer(1).varlong(BigInt(v)).finish();
      const out = Buffer.alloc(10);
      const end = writeVarlong(out, 0, v);
      expect(out.subarray(0, end)).toEqual(expected);
      expect(varlongSize(v)).toBe(end);
    }
  });

  it("decodes a batch at a non-zero position", async () => {
    const b = await buildBatch({ records: [{ value: Buffer.from("v"), timestamp: 1n }] });
    const buf = Buffer.concat([Buffer.from("junk"), b]);
    const d = await decodeBatch(buf, 4);
    expect(d.records[0]!.value!.toString()).toBe("v");
  });
});

describe("record batches: CRC", () => {
  it("detects any flipped byte in attributes..end", async () => {
    const buf = await buildBatch({
      records: [
        {
          key: Buffer.from("k1"),
          value: Buffer.from("value-1"),
          headers: [{ key: "h", value: Buffer.from("x") }],
        },
        { key: null, value: Buffer.from("value-2") },
      ],
      producerId: 42n,
      producerEpoch: 1,
      baseSequence: 0,
    });
    for (let i = BATCH.ATTRIBUTES; i < buf.length; i++) {
      const bad = Buffer.from(buf);
      bad[i] = bad[i]! ^ 0x01;
      await expect(decodeBatch(bad), `byte ${i}`).rejects.toBeInstanceOf(CorruptRecordError);
    }
    // and in the stored CRC itself
    for (let i = BATCH.CRC; i < BATCH.ATTRIBUTES; i++) {
      const bad = Buffer.from(buf);
      bad[i] = bad[i]! ^ 0x80;
      await expect(decodeBatch(bad)).rejects.toBeInstanceOf(CorruptRecordError);
    }
  });

  it("leaves the CRC valid when baseOffset and leader epoch are patched", async () => {
    const buf = await buildBatch({ records: [{ value: Buffer.from("a") }, { value: Buffer.from("b") }] });
    patchBaseOffsetAndEpoch(buf, 12345n, 7);
    expect(isCrcValid(buf)).toBe(true);
    const d = await decodeBatch(buf);
    expect(d.header.baseOffset).toBe(12345n);
    expect(d.header.partitionLeaderEpoch).toBe(7);
    expect(d.records.map((r) => r.offset)).toEqual([12345n, 12346n]);
  });

  it("switching to LogAppendTime recomputes the CRC and gives every record the batch time", async () => {
    const buf = await buildBatch({
      records: [{ value: Buffer.from("a"), timestamp: 1n }, { timestamp: 2n }],
    });
    setLogAppendTime(buf, 999n);
    const d = await decodeBatch(buf);
    expect(d.records.map((r) => r.timestamp)).toEqual([999n, 999n]);
  });

  it("rejects wrong magic and truncated batches as corrupt", async () => {
    const buf = await buildBatch({ records: [{ value: Buffer.from("a") }] });
    const m1 = Buffer.from(buf);
    m1[BATCH.MAGIC] = 1;
    await expect(decodeBatch(m1)).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(decodeBatch(buf.subarray(0, buf.length - 1))).rejects.toBeInstanceOf(CorruptRecordError);
    await expect(decodeBatch(buf.subarray(0, 20))).rejects.toBeInstanceOf(CorruptRecordError);
  });
});

/** Rewrite a built batch's record section (uncompressed) and fix the CRC, to test structural checks. */
async function withRecordBytes(mutate: (b: Buffer) => Buffer, count?: number): Promise<Buffer> {
  const { writeCrc } = await import("../../../protocol/records/header.js");
  const base = await buildBatch({ records: [{ key: Buffer.from("k"), value: Buffer.from("vv") }] });
  const body = mutate(Buffer.from(base.subarray(BATCH.RECORDS)));
  const out = Buffer.concat([base.subarray(0, BATCH.RECORDS), body]);
  out.writeInt32BE(out.length - BATCH.LOG_OVERHEAD, BATCH.LENGTH);
  if (count !== undefined) out.writeInt32BE(count, BATCH.RECORD_COUNT);
  writeCrc(out);
  return out;
}

describe("record batches: structurally bad records", () => {
  it("rejects a record count larger than the records present", async () => {
    await expect(decodeBatch(await withRecordBytes((b) => b, 2))).rejects.toBeInstanceOf(InvalidRecordError);
  });
  it("rejects trailing bytes after the counted records", async () => {
    const bad = await withRecordBytes((b) => Buffer.concat([b, Buffer.from([0, 0])]));
    await expect(decodeBatch(bad)).rejects.toBeInstanceOf(InvalidRecordError);
  });
  it("rejects a record whose length disagrees with its fields", async () => {
    // first byte is the zig-zag varint record length; make it claim one byte more
    const bad = await withRecordBytes((b) => {
      b[0] = b[0]! + 2;
      return Buffer.concat([b, Buffer.from([0])]);
    });
    await expect(decodeBatch(bad)).rejects.toBeInstanceOf(InvalidRecordError);
  });
  it("rejects an unterminated varint", async () => {
    const bad = await withRecordBytes(() => Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    await expect(decodeBatch(bad)).rejects.toBeInstanceOf(InvalidRecordError);
  });
  it("rejects a negative record count", async () => {
    await expect(decodeBatch(await withRecordBytes((b) => b, -1))).rejects.toBeInstanceOf(InvalidRecordError);
  });
  it("never throws anything but our two error classes on random record bytes", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 5 }), async (arr, n) => {
        const bad = await withRecordBytes(() => Buffer.from(arr), n);
        try {
          await decodeBatch(bad);
        } catch (e) {
          expect(e instanceof InvalidRecordError || e instanceof CorruptRecordError).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("batch framing", () => {
  it("finds whole batches and stops at a partial trailing one", async () => {
    const a = await buildBatch({ records: [{ value: Buffer.from("a") }] });
    const b = await buildBatch({ baseOffset: 1n, records: [{ value: Buffer.from("bb") }, { value: null }] });
    const c = await buildBatch({ baseOffset: 3n, records: [{ value: Buffer.from("ccc") }] });
    const all = Buffer.concat([a, b, c]);
    expect([...batchesIn(all)]).toEqual([
      { at: 0, size: a.length },
      { at: a.length, size: b.length },
      { at: a.length + b.length, size: c.length },
    ]);
    for (const cut of [1, 5, 11, 12, 30, c.length - 1]) {
      const partial = all.subarray(0, all.length - cut);
      expect([...batchesIn(partial)]).toHaveLength(2);
      expect(lastBatchEnd(partial)).toBe(a.length + b.length);
    }
    expect(lastBatchEnd(Buffer.alloc(0))).toBe(0);
    expect(lastBatchEnd(a.subarray(0, 8))).toBe(0);
  });

  it("throws on an impossible length instead of looping", () => {
    const bad = Buffer.alloc(30);
    bad.writeInt32BE(-5, 8);
    expect(() => [...batchesIn(bad)]).toThrow(CorruptRecordError);
  });
});

describe("control records", () => {
  it("builds and reads commit and abort markers", async () => {
    for (const type of [ControlType.Commit, ControlType.Abort]) {
      const buf = await buildControlBatch({
        type,
        coordinatorEpoch: 17,
        producerId: 9000n,
        producerEpoch: 3,
        baseOffset: 55n,
        partitionLeaderEpoch: 4,
        timestamp: 1234n,
      });
      const d = await decodeBatch(buf);
      expect(d.header.attributes & 0x30).toBe(0x30); // control + transactional
      expect(d.header.producerId).toBe(9000n);
      expect(d.header.producerEpoch).toBe(3);
      expect(d.header.baseSequence).toBe(-1);
      expect(d.records).toHaveLength(1);
      expect(d.records[0]!.offset).toBe(55n);
      expect(d.records[0]!.timestamp).toBe(1234n);
      expect(readControlRecord(d.records[0]!)).toEqual({ type, version: 0, coordinatorEpoch: 17 });
    }
  });

  it("rejects malformed control keys", async () => {
    const d = await decodeBatch(
      await buildBatch({ control: true, records: [{ key: Buffer.from([0, 0, 0, 99]) }] }),
    );
    expect(() => readControlRecord(d.records[0]!)).toThrow(InvalidRecordError);
    const e = await decodeBatch(await buildBatch({ control: true, records: [{ key: null }] }));
    expect(() => readControlRecord(e.records[0]!)).toThrow(InvalidRecordError);
  });
});
