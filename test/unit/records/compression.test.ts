import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { compress as zstdCompress } from "@mongodb-js/zstd";
import fc from "fast-check";
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import snappy from "snappy";
import { describe, expect, it } from "vitest";
import { lz4Bound, zstdBound } from "../../../protocol/records/compression.js";
import {
  buildBatch,
  CompressionType,
  CorruptRecordError,
  compress,
  DecompressionError,
  decodeBatch,
  decompress,
  isXerial,
} from "../../../protocol/records/index.js";
import { fixKafkaLz4HeaderChecksum, xxh32Short } from "../../../protocol/records/legacy.js";

/** Buffer equality without vitest's element-by-element diffing (slow on large buffers). */
function same(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

const text = (n: number): Buffer => {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = 97 + ((i * 7 + (i >> 5)) % 26);
  return b;
};

/** Hand-built xerial stream: magic, version 1, compat 1, then length-prefixed raw snappy chunks. */
function xerialByHand(data: Buffer, chunk: number): Buffer {
  const parts: Buffer[] = [
    Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]),
  ];
  for (let at = 0; at < data.length; at += chunk) {
    const c = snappy.compressSync(data.subarray(at, at + chunk));
    const len = Buffer.alloc(4);
    len.writeInt32BE(c.length);
    parts.push(len, c);
  }
  return Buffer.concat(parts);
}

describe("snappy", () => {
  it("decodes raw snappy (librdkafka's form)", async () => {
    const data = text(10_000);
    same(await decompress(CompressionType.Snappy, snappy.compressSync(data)), data);
  });

  it("decodes xerial-framed snappy (the Java client's form), one chunk and many", async () => {
    const data = text(100_000);
    for (const chunk of [200_000, 32 * 1024, 1000]) {
      same(await decompress(CompressionType.Snappy, xerialByHand(data, chunk)), data);
    }
  });

  it("encodes xerial-framed snappy whose chunks the raw library can read", async () => {
    const data = text(70_000);
    const out = await compress(CompressionType.Snappy, data);
    expect(isXerial(out)).toBe(true);
    expect(out.readInt32BE(8)).toBe(1);
    const chunks: Buffer[] = [];
    for (let at = 16; at < out.length; ) {
      const n = out.readInt32BE(at);
      chunks.push(snappy.uncompressSync(out.subarray(at + 4, at + 4 + n), { asBuffer: true }) as Buffer);
      at += 4 + n;
    }
    expect(chunks.length).toBeGreaterThan(1);
    same(Buffer.concat(chunks), data);
  });

  it("rejects truncated xerial streams and garbage", async () => {
    const x = xerialByHand(text(5000), 1000);
    await expect(decompress(CompressionType.Snappy, x.subarray(0, x.length - 3))).rejects.toBeInstanceOf(
      DecompressionError,
    );
    await expect(
      decompress(CompressionType.Snappy, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])),
    ).rejects.toBeInstanceOf(DecompressionError);
  });
});

describe("lz4 (frame format)", () => {
  it("decodes frames from lz4-napi, with and without checksums", async () => {
    const data = text(300_000);
    for (const options of [
      undefined,
      { contentChecksum: true },
      { blockChecksums: true, contentChecksum: true },
    ]) {
      const frame = compressFrameSync(data, options);
      same(await decompress(CompressionType.Lz4, frame), data);
    }
  });

  it("encodes standard frames lz4-napi reads", async () => {
    const data = text(50_000);
    const out = await compress(CompressionType.Lz4, data);
    expect(out.readUInt32LE(0)).toBe(0x184d2204);
    same(decompressFrameSync(out), data);
  });

  it("xxh32 matches the header checksum lz4 writes, so old Kafka lz4 headers can be repaired", () => {
    const frame = compressFrameSync(text(1000));
    const flg = frame[4]!;
    const descLen = 2 + ((flg & 0x08) !== 0 ? 8 : 0);
    expect((xxh32Short(frame.subarray(4, 4 + descLen)) >>> 8) & 0xff).toBe(frame[4 + descLen]);
    // known xxh32 vectors
    expect(xxh32Short(Buffer.alloc(0))).toBe(0x02cc5d05);
    expect(xxh32Short(Buffer.from("a"))).toBe(0x550d7456);
    expect(xxh32Short(Buffer.from("abc"))).toBe(0x32d153ff);
    const broken = Buffer.from(frame);
    broken[4 + descLen] ^= 0x5a;
    expect(() => decompressFrameSync(broken)).toThrow();
    same(decompressFrameSync(fixKafkaLz4HeaderChecksum(broken)), text(1000));
  });
});

/** Frames from the reference lz4/zstd command-line tools (independent encoders), when installed. */
function cli(tool: string, args: string[], input: Buffer): Buffer {
  const r = spawnSync(tool, args, { input, timeout: 30_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  return r.stdout;
}
const haveCli = existsSync("/usr/bin/lz4") && existsSync("/usr/bin/zstd");

// Skipped only where the reference CLIs are missing; this machine has both.
describe.skipIf(!haveCli)("frames from the reference lz4 and zstd tools", () => {
  const data = Buffer.concat([text(150_000), randomBytes(150_000)]);

  it("lz4: linked and independent blocks, block sizes 64K-4M, content size, block and frame checksums", async () => {
    const variants = [
      ["-B4", "-BD"],
      ["-B4", "-BD", "--content-size", "-BX"],
      ["-B7"],
      ["-B5", "--no-frame-crc"],
      ["-B6", "-BD"],
    ];
    for (const v of variants) {
      const frame = cli("/usr/bin/lz4", ["-q", "-c", ...v], data);
      same(await decompress(CompressionType.Lz4, frame), data);
      expect(lz4Bound(frame)).toBeGreaterThanOrEqual(data.length);
    }
  });

  it("zstd: default, with checksum, without content size, multi-frame", async () => {
    const one = cli("/usr/bin/zstd", ["-q", "-c", "--check"], data);
    const noSize = cli("/usr/bin/zstd", ["-q", "-c", "--no-content-size"], data);
    for (const f of [one, noSize]) same(await decompress(CompressionType.Zstd, f), data);
    same(await decompress(CompressionType.Zstd, Buffer.concat([one, noSize])), Buffer.concat([data, data]));
    expect(zstdBound(noSize)).toBeGreaterThanOrEqual(data.length);
  });

  it("gzip from the gzip tool, including concatenated members", async () => {
    const g = cli("/bin/gzip", ["-c"], data);
    same(await decompress(CompressionType.Gzip, Buffer.concat([g, g])), Buffer.concat([data, data]));
  });
});

describe("zstd and gzip", () => {
  it("round-trips zstd and reads frames made by the zstd library", async () => {
    const data = text(200_000);
    same(await decompress(CompressionType.Zstd, await compress(CompressionType.Zstd, data)), data);
    same(await decompress(CompressionType.Zstd, await zstdCompress(data, 19)), data);
  });

  it("round-trips gzip, small and large", async () => {
    for (const n of [0, 10, 500_000]) {
      const data = text(n);
      same(await decompress(CompressionType.Gzip, await compress(CompressionType.Gzip, data)), data);
    }
    same(await decompress(CompressionType.Gzip, gzipSync(text(99))), text(99));
  });

  it("reports corrupt input as DecompressionError", async () => {
    for (const t of [CompressionType.Gzip, CompressionType.Lz4, CompressionType.Zstd]) {
      await expect(decompress(t, Buffer.from("definitely not compressed"))).rejects.toBeInstanceOf(
        DecompressionError,
      );
    }
  });
});

describe("size bounds from framing", () => {
  it("lz4 and zstd bounds are never below the real size", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 600_000 }), fc.boolean(), async (n, random) => {
        const data = random ? randomBytes(n) : text(n);
        expect(lz4Bound(compressFrameSync(data))).toBeGreaterThanOrEqual(n);
        expect(zstdBound(await zstdCompress(data, 3))).toBeGreaterThanOrEqual(n);
      }),
      { numRuns: 12 },
    );
  });
});

describe("decompression bombs", () => {
  const zeros = Buffer.alloc(16 * 1024 * 1024);
  const cap = 1024 * 1024;

  for (const t of [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    it(`${CompressionType[t]}: refuses to inflate past the cap`, async () => {
      const packed = await compress(t, zeros);
      expect(packed.length).toBeLessThan(zeros.length / 20);
      await expect(decompress(t, packed, cap)).rejects.toThrow(/cap|exceeds/);
      // the same payload is fine under the default cap
      expect((await decompress(t, packed)).length).toBe(zeros.length);
    });
  }

  it("raw snappy bomb is refused from its length preamble", async () => {
    await expect(decompress(CompressionType.Snappy, snappy.compressSync(zeros), cap)).rejects.toBeInstanceOf(
      DecompressionError,
    );
  });

  it("decodeBatch turns a bomb into CorruptRecordError", async () => {
    const buf = await buildBatch({ compression: CompressionType.Zstd, records: [{ value: zeros }] });
    await expect(decodeBatch(buf, 0, { maxDecompressed: cap })).rejects.toBeInstanceOf(CorruptRecordError);
  });
});
