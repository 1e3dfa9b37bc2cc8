import { crc32, gzipSync } from "node:zlib";
import { compressFrameSync } from "lz4-napi";
import snappy from "snappy";
import { describe, expect, it } from "vitest";
import {
  buildBatch,
  CompressionType,
  CorruptRecordError,
  convertLegacyToBatches,
  decodeBatch,
  magicAt,
  readLegacyMessageSet,
} from "../../../protocol/records/index.js";
import { xxh32Short } from "../../../protocol/records/legacy.js";

/**
 * The test's own encoder for legacy message sets, following the documented layout:
 * offset int64 | size int32 | crc uint32 | magic int8 | attributes int8 | [timestamp int64] | key | value
 * with the IEEE CRC32 over magic..end.
 */
function message(
  magic: 0 | 1,
  attributes: number,
  timestamp: bigint,
  key: Buffer | null,
  value: Buffer | null,
): Buffer {
  const parts: Buffer[] = [Buffer.from([magic, attributes])];
  if (magic === 1) {
    const t = Buffer.alloc(8);
    t.writeBigInt64BE(timestamp);
    parts.push(t);
  }
  for (const f of [key, value]) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(f === null ? -1 : f.length);
    parts.push(len);
    if (f) parts.push(f);
  }
  const body = Buffer.concat(parts);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([crc, body]);
}

function entry(offset: bigint, msg: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeBigInt64BE(offset);
  head.writeInt32BE(msg.length, 8);
  return Buffer.concat([head, msg]);
}

const b = (s: string): Buffer => Buffer.from(s);

interface Plain {
  key: Buffer | null;
  value: Buffer | null;
  ts?: bigint;
}

function innerSet(magic: 0 | 1, msgs: Plain[], firstOffset = 0n): Buffer {
  return Buffer.concat(
    msgs.map((m, i) => entry(firstOffset + BigInt(i), message(magic, 0, m.ts ?? -1n, m.key, m.value))),
  );
}

function xerial(data: Buffer): Buffer {
  const c = snappy.compressSync(data);
  const head = Buffer.from([
    0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0,
  ]);
  head.writeInt32BE(c.length, 16);
  return Buffer.concat([head, c]);
}

/** LZ4 frame with the header checksum Kafka 0.8-0.9 wrote (computed over magic + descriptor). */
function kafka08Lz4(data: Buffer): Buffer {
  const f = Buffer.from(compressFrameSync(data));
  f[6] = (xxh32Short(f.subarray(0, 6)) >>> 8) & 0xff;
  return f;
}

const sample: Plain[] = [
  { key: b("k1"), value: b("one"), ts: 1_600_000_000_001n },
  { key: null, value: b(""), ts: 1_600_000_000_005n },
  { key: b(""), value: null, ts: 1_600_000_000_003n },
];

async function decodeAll(batches: Buffer[]) {
  return Promise.all(batches.map((x) => decodeBatch(x)));
}

describe("legacy message sets (magic 0 and 1)", () => {
  it("reads and converts an uncompressed magic-0 set (no timestamps)", async () => {
    const set = innerSet(0, sample, 10n);
    const msgs = await readLegacyMessageSet(set);
    expect(msgs.map((m) => [m.offset, m.magic, m.timestamp, m.key, m.value])).toEqual(
      sample.map((s, i) => [10n + BigInt(i), 0, -1n, s.key, s.value]),
    );
    const batches = await convertLegacyToBatches(set);
    expect(batches).toHaveLength(1);
    const [d] = await decodeAll(batches);
    expect(d!.header.baseOffset).toBe(10n);
    expect(d!.records.map((r) => [r.offset, r.key, r.value, r.timestamp])).toEqual(
      sample.map((s, i) => [10n + BigInt(i), s.key, s.value, -1n]),
    );
    const withNow = await decodeAll(await convertLegacyToBatches(set, { magic0Timestamp: 42n }));
    expect(withNow[0]!.records.every((r) => r.timestamp === 42n)).toBe(true);
  });

  it("keeps magic-1 timestamps when converting", async () => {
    const [d] = await decodeAll(await convertLegacyToBatches(innerSet(1, sample)));
    expect(d!.records.map((r) => r.timestamp)).toEqual(sample.map((s) => s.ts));
    expect(d!.header.maxTimestamp).toBe(1_600_000_000_005n);
    expect(d!.records.map((r) => r.key)).toEqual(sample.map((s) => s.key));
    expect(d!.records.map((r) => r.value)).toEqual(sample.map((s) => s.value));
  });

  it("unpacks a gzip wrapper with relative inner offsets (magic 1) and keeps gzip", async () => {
    const wrapper = message(1, CompressionType.Gzip, 1_600_000_000_009n, null, gzipSync(innerSet(1, sample)));
    const set = entry(41n, wrapper); // absolute offset of the last inner message
    const msgs = await readLegacyMessageSet(set);
    expect(msgs.map((m) => m.offset)).toEqual([39n, 40n, 41n]);
    expect(msgs.every((m) => m.compression === CompressionType.Gzip)).toBe(true);
    const batches = await convertLegacyToBatches(set);
    expect(batches).toHaveLength(1);
    const [d] = await decodeAll(batches);
    expect(d!.header.attributes & 7).toBe(CompressionType.Gzip);
    expect(d!.records.map((r) => [r.offset, r.key, r.value, r.timestamp])).toEqual(
      sample.map((s, i) => [39n + BigInt(i), s.key, s.value, s.ts]),
    );
  });

  it("gives inner messages the wrapper time under LogAppendTime", async () => {
    const wrapper = message(
      1,
      CompressionType.Gzip | 0x08,
      1_700_000_000_000n,
      null,
      gzipSync(innerSet(1, sample)),
    );
    const [d] = await decodeAll(await convertLegacyToBatches(entry(2n, wrapper)));
    expect(d!.header.attributes & 0x08).toBe(0x08);
    expect(d!.records.map((r) => r.timestamp)).toEqual([
      1_700_000_000_000n,
      1_700_000_000_000n,
      1_700_000_000_000n,
    ]);
  });

  it("reads magic-0 gzip wrappers (absolute inner offsets)", async () => {
    const wrapper = message(0, CompressionType.Gzip, -1n, null, gzipSync(innerSet(0, sample, 7n)));
    const msgs = await readLegacyMessageSet(entry(9n, wrapper));
    expect(msgs.map((m) => m.offset)).toEqual([7n, 8n, 9n]);
    expect(msgs.map((m) => m.value)).toEqual(sample.map((s) => s.value));
  });

  it("reads xerial-snappy and lz4 wrappers, including Kafka 0.8's lz4 header checksum", async () => {
    const inner1 = innerSet(1, sample);
    const inner0 = innerSet(0, sample);
    const sets = [
      entry(2n, message(1, CompressionType.Snappy, 5n, null, xerial(inner1))),
      entry(2n, message(1, CompressionType.Lz4, 5n, null, compressFrameSync(inner1))),
      entry(2n, message(0, CompressionType.Lz4, -1n, null, kafka08Lz4(inner0))),
    ];
    for (const set of sets) {
      const batches = await convertLegacyToBatches(set);
      const [d] = await decodeAll(batches);
      expect(d!.records.map((r) => r.value)).toEqual(sample.map((s) => s.value));
      expect(d!.records.map((r) => r.key)).toEqual(sample.map((s) => s.key));
    }
  });

  it("splits a mixed set into one batch per wrapper and per run of plain messages", async () => {
    const set = Buffer.concat([
      innerSet(1, sample.slice(0, 2), 0n),
      entry(4n, message(1, CompressionType.Gzip, 9n, null, gzipSync(innerSet(1, sample.slice(0, 3))))),
      innerSet(1, [sample[2]!], 5n),
    ]);
    const ds = await decodeAll(await convertLegacyToBatches(set));
    expect(ds.map((d) => d.header.attributes & 7)).toEqual([0, CompressionType.Gzip, 0]);
    expect(ds.map((d) => d.records.map((r) => r.offset))).toEqual([[0n, 1n], [2n, 3n, 4n], [5n]]);
  });

  it("magicAt tells legacy sets from magic-2 batches", async () => {
    expect(magicAt(innerSet(0, sample))).toBe(0);
    expect(magicAt(innerSet(1, sample))).toBe(1);
    expect(magicAt(await buildBatch({ records: [{ value: b("x") }] }))).toBe(2);
    expect(magicAt(Buffer.alloc(10))).toBe(-1);
  });

  it("detects CRC corruption and ignores a partial trailing message", async () => {
    const set = innerSet(1, sample);
    for (const i of [13, 16, 17, 20, 30, 37]) {
      const bad = Buffer.from(set);
      bad[i] = bad[i]! ^ 0x10;
      await expect(readLegacyMessageSet(bad)).rejects.toBeInstanceOf(CorruptRecordError);
    }
    const msgs = await readLegacyMessageSet(set.subarray(0, set.length - 5));
    expect(msgs).toHaveLength(2);
  });
});
