import { createRequire } from "node:module";
import { decompress as zstdDecompress } from "@mongodb-js/zstd";
import fc from "fast-check";
import { decompressFrame } from "lz4-napi";
import snappy from "snappy";
import { beforeAll, describe, expect, it } from "vitest";
import {
  BATCH,
  type BuildRecord,
  buildBatch,
  buildControlBatch,
  CompressionType,
  ControlType,
  decodeBatch,
} from "../../../protocol/records/index.js";

/**
 * Interop with KafkaJS's own record-batch codec (an independent implementation): its decoder must
 * read the batches we build, its crc32C must agree with our CRC, and batches its encoder builds must
 * decode with ours to the same records.
 */
const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: KafkaJS internals are untyped CommonJS
type Any = any;
const Decoder: Any = require("kafkajs/src/protocol/decoder");
const decodeKafkaJsBatch: (d: Any) => Promise<Any> = require("kafkajs/src/protocol/recordBatch/v0/decoder");
const { RecordBatch }: Any = require("kafkajs/src/protocol/recordBatch/v0/index");
const KafkaJsRecord: Any = require("kafkajs/src/protocol/recordBatch/record/v0/index");
const kafkaJsCrc32C: (b: Buffer) => number = require("kafkajs/src/protocol/recordBatch/crc32C/index");
const Long: Any = require("kafkajs/src/utils/long");
const { Codecs }: Any = require("kafkajs/src/protocol/message/compression/index");

/** Undo xerial framing with the raw snappy library (what KafkaJS snappy plugins do). */
function unXerial(buf: Buffer): Buffer {
  if (buf[0] !== 0x82) return snappy.uncompressSync(buf, { asBuffer: true }) as Buffer;
  const parts: Buffer[] = [];
  for (let at = 16; at < buf.length; ) {
    const n = buf.readInt32BE(at);
    parts.push(snappy.uncompressSync(buf.subarray(at + 4, at + 4 + n), { asBuffer: true }) as Buffer);
    at += 4 + n;
  }
  return Buffer.concat(parts);
}

beforeAll(() => {
  // KafkaJS ships only gzip; plugins register the others like this. Back them with the native
  // libraries directly (not with our compression module) so the check stays independent.
  Codecs[CompressionType.Snappy] = () => ({ decompress: async (b: Buffer) => unXerial(b) });
  Codecs[CompressionType.Lz4] = () => ({ decompress: (b: Buffer) => decompressFrame(b) });
  Codecs[CompressionType.Zstd] = () => ({ decompress: (b: Buffer) => zstdDecompress(b) });
});

const bytes = (max: number) =>
  fc.option(
    fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a)),
    { nil: null },
  );

describe("KafkaJS decodes batches we build", () => {
  it("same records, offsets, timestamps and headers for every codec; CRC matches KafkaJS's crc32C", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: bytes(32),
            value: bytes(300),
            // KafkaJS folds headers into a plain object: keep keys unique and off Object.prototype
            headers: fc.uniqueArray(
              fc.record({ key: fc.stringMatching(/^h[a-z0-9-]{0,7}$/), value: bytes(8) }),
              {
                selector: (h) => h.key,
                maxLength: 3,
              },
            ),
            timestamp: fc.bigInt({ min: 1_600_000_000_000n, max: 1_800_000_000_000n }),
          }),
          { minLength: 1, maxLength: 10 },
        ),
        fc.constantFrom(0, 1, 2, 3, 4) as fc.Arbitrary<CompressionType>,
        fc.bigInt({ min: 0n, max: 2n ** 40n }),
        fc.boolean(),
        async (records: BuildRecord[], compression, baseOffset, transactional) => {
          const buf = await buildBatch({
            records,
            compression,
            baseOffset,
            transactional,
            producerId: 77n,
            producerEpoch: 2,
            baseSequence: 10,
          });
          expect(kafkaJsCrc32C(buf.subarray(BATCH.ATTRIBUTES))).toBe(buf.readUInt32BE(BATCH.CRC));
          const kb = await decodeKafkaJsBatch(new Decoder(buf));
          expect(kb.firstOffset).toBe(baseOffset.toString());
          expect(kb.inTransaction).toBe(transactional);
          expect(kb.isControlBatch).toBe(false);
          expect(kb.producerId).toBe("77");
          expect(kb.producerEpoch).toBe(2);
          expect(kb.firstSequence).toBe(10);
          expect(kb.lastOffsetDelta).toBe(records.length - 1);
          expect(kb.records).toHaveLength(records.length);
          records.forEach((r, i) => {
            const k = kb.records[i];
            expect(k.offset).toBe((baseOffset + BigInt(i)).toString());
            expect(k.timestamp).toBe(r.timestamp!.toString());
            expect(k.key).toEqual(r.key);
            expect(k.value).toEqual(r.value);
            const hs = Object.fromEntries((r.headers ?? []).map((h) => [h.key, h.value]));
            expect(k.headers).toEqual(hs);
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("reads our control batch as a control batch", async () => {
    const buf = await buildControlBatch({
      type: ControlType.Commit,
      coordinatorEpoch: 1,
      producerId: 5n,
      producerEpoch: 0,
      timestamp: 1_700_000_000_000n,
    });
    const kb = await decodeKafkaJsBatch(new Decoder(buf));
    expect(kb.isControlBatch).toBe(true);
    expect(kb.inTransaction).toBe(true);
    expect(kb.records[0].key).toEqual(Buffer.from([0, 0, 0, 1]));
  });

  it("reads LogAppendTime batches with the batch's max timestamp", async () => {
    const buf = await buildBatch({
      records: [{ value: Buffer.from("a"), timestamp: 5n }],
      logAppendTime: true,
      maxTimestamp: 1_700_000_000_123n,
    });
    const kb = await decodeKafkaJsBatch(new Decoder(buf));
    expect(kb.records[0].timestamp).toBe("1700000000123");
  });
});

describe("we decode batches KafkaJS builds", () => {
  for (const compression of [CompressionType.None, CompressionType.Gzip]) {
    it(`same records (${CompressionType[compression]})`, async () => {
      const firstTimestamp = 1_700_000_000_000;
      const input = [
        { key: Buffer.from("k0"), value: Buffer.from("v0"), headers: { a: Buffer.from("1") }, d: 0 },
        { key: null, value: Buffer.from("v1"), headers: {}, d: 15 },
        { key: Buffer.from(""), value: null, headers: { b: Buffer.from(""), c: Buffer.from("xyz") }, d: -3 },
        { key: Buffer.from("k3"), value: Buffer.alloc(3000, 7), headers: {}, d: 1000 },
      ];
      const kjsRecords = input.map((r, i) =>
        KafkaJsRecord({
          offsetDelta: i,
          timestampDelta: r.d,
          key: r.key,
          value: r.value,
          headers: r.headers,
        }),
      );
      const enc = await RecordBatch({
        compression,
        firstOffset: Long.fromValue("4000"),
        firstTimestamp,
        maxTimestamp: firstTimestamp + 1000,
        lastOffsetDelta: input.length - 1,
        transactional: true,
        producerId: Long.fromValue("12"),
        producerEpoch: 3,
        firstSequence: 100,
        partitionLeaderEpoch: 9,
        records: kjsRecords,
      });
      const d = await decodeBatch(enc.buffer);
      expect(d.header.baseOffset).toBe(4000n);
      expect(d.header.partitionLeaderEpoch).toBe(9);
      expect(d.header.attributes & 0x17).toBe(0x10 | compression);
      expect(d.header.producerId).toBe(12n);
      expect(d.header.producerEpoch).toBe(3);
      expect(d.header.baseSequence).toBe(100);
      expect(d.records).toHaveLength(input.length);
      input.forEach((r, i) => {
        const rec = d.records[i]!;
        expect(rec.offset).toBe(4000n + BigInt(i));
        expect(rec.timestamp).toBe(BigInt(firstTimestamp + r.d));
        expect(rec.key).toEqual(r.key);
        expect(rec.value).toEqual(r.value);
        expect(Object.fromEntries(rec.headers.map((h) => [h.key, h.value]))).toEqual(r.headers);
      });
    });
  }
});
