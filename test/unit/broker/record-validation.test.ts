import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PartitionError, validateProducerBatches } from "../../../broker/api/record-validation.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { CompressionType } from "../../../protocol/records/header.js";

const rules = { maxMessageBytes: 1 << 20, compacted: false, requireSingleBatch: true };

async function code(buf: Buffer, r = rules): Promise<number> {
  try {
    await validateProducerBatches(buf, r);
    return 0;
  } catch (e) {
    if (e instanceof PartitionError) return e.code;
    throw e;
  }
}

const record = fc.record({
  key: fc.option(
    fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
  value: fc.option(
    fc.uint8Array({ maxLength: 50 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
  headers: fc.array(
    fc.record({
      key: fc.string({ maxLength: 5 }),
      value: fc.option(
        fc.uint8Array({ maxLength: 5 }).map((a) => Buffer.from(a)),
        { nil: null },
      ),
    }),
    { maxLength: 3 },
  ),
});

describe("produce validation", () => {
  it("accepts every well-formed batch, compressed or not", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 20 }),
        fc.constantFrom(
          CompressionType.None,
          CompressionType.Gzip,
          CompressionType.Snappy,
          CompressionType.Lz4,
          CompressionType.Zstd,
        ),
        async (records, compression) => {
          expect(await code(await buildBatch({ records, compression }))).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("never accepts a damaged batch silently: CORRUPT_MESSAGE or INVALID_RECORD, never a throw", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 10 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (records, at, x) => {
          const b = await buildBatch({ records });
          const i = 21 + (at % (b.length - 21)); // inside the CRC-covered part
          b[i] ^= x;
          expect([2, 87]).toContain(await code(b));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("checks sizes, batch count, control batches and keys on compacted topics", async () => {
    const one = await buildBatch({ records: [{ key: Buffer.from("k"), value: Buffer.alloc(100) }] });
    expect(await code(one, { ...rules, maxMessageBytes: 50 })).toBe(10);
    expect(await code(Buffer.concat([one, one]))).toBe(87);
    expect(await code(Buffer.concat([one, one]), { ...rules, requireSingleBatch: false })).toBe(0);
    expect(await code(await buildBatch({ records: [{ value: Buffer.from("x") }], control: true }))).toBe(87);
    const keyless = await buildBatch({ records: [{ key: Buffer.from("k") }, { value: Buffer.from("v") }] });
    await expect(validateProducerBatches(keyless, { ...rules, compacted: true })).rejects.toMatchObject({
      code: 87,
      recordErrors: [{ batchIndex: 1 }],
    });
    expect(await code(one.subarray(0, 40))).toBe(2);
  });
});
