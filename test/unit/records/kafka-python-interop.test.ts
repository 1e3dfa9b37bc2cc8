import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  buildBatch,
  CompressionType,
  convertLegacyToBatches,
  decodeBatch,
  readLegacyMessageSet,
} from "../../../protocol/records/index.js";

/**
 * Interop with kafka-python 2.0.2's record code (Debian python3-kafka), a second independent
 * implementation: it validates the CRC of batches we build and decodes them, and it builds magic-2
 * batches and legacy magic-0/1 message sets (its producer's own encoders) that we must read.
 * Only none and gzip: the Debian package has no snappy/lz4/zstd Python modules here.
 */
const PY = "/usr/bin/python3";

const SCRIPT = `
import json, sys
from kafka.record.memory_records import MemoryRecords, MemoryRecordsBuilder

req = json.load(sys.stdin)
out = {"decoded": [], "built": []}
for hx in req["decode"]:
    recs = MemoryRecords(bytes.fromhex(hx))
    rows = []
    while recs.has_next():
        batch = recs.next_batch()
        ok = batch.validate_crc()
        for r in batch:
            rows.append({"crc_ok": ok, "offset": r.offset, "timestamp": r.timestamp,
                "key": None if r.key is None else r.key.hex(),
                "value": None if r.value is None else r.value.hex(),
                "headers": [[k, None if v is None else v.hex()] for k, v in r.headers]})
    out["decoded"].append(rows)
for spec in req["build"]:
    b = MemoryRecordsBuilder(spec["magic"], spec["codec"], 1 << 20)
    for m in spec["messages"]:
        key = None if m["key"] is None else bytes.fromhex(m["key"])
        value = None if m["value"] is None else bytes.fromhex(m["value"])
        headers = [(k, bytes.fromhex(v)) for k, v in m.get("headers", [])]
        b.append(m["timestamp"], key, value, headers if spec["magic"] == 2 else [])
    b.close()
    out["built"].append(bytes(b.buffer()).hex())
json.dump(out, sys.stdout)
`;

interface PyRow {
  crc_ok: boolean;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: [string, string | null][];
}

function runPython(req: unknown): { decoded: PyRow[][]; built: string[] } {
  const r = spawnSync(PY, ["-c", SCRIPT], { input: JSON.stringify(req), encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const hex = (b: Buffer | null): string | null => (b === null ? null : b.toString("hex"));

const hasKafkaPython =
  existsSync(PY) &&
  spawnSync(PY, ["-c", "import kafka.record.memory_records"], { timeout: 30_000 }).status === 0;

// Skipped only where kafka-python is absent; this machine has it (python3-kafka).
describe.skipIf(!hasKafkaPython)("kafka-python interop", () => {
  const messages = [
    { key: Buffer.from("k1"), value: Buffer.from("v1"), timestamp: 1_600_000_000_000n, headers: [] },
    {
      key: null,
      value: Buffer.from(""),
      timestamp: 1_600_000_000_007n,
      headers: [{ key: "h", value: Buffer.from("x") }],
    },
    { key: Buffer.from(""), value: null, timestamp: 1_599_999_999_999n, headers: [] },
    // compressible, so kafka-python keeps the codec (it stores small batches uncompressed)
    {
      key: Buffer.from("big"),
      value: Buffer.alloc(4000, "abcd"),
      timestamp: 1_600_000_000_003n,
      headers: [],
    },
  ];

  it("validates the CRC of and decodes batches we build (none, gzip)", async () => {
    const ours = [
      await buildBatch({ records: messages, baseOffset: 500n }),
      await buildBatch({ records: messages, compression: CompressionType.Gzip, baseOffset: 7n }),
    ];
    const { decoded } = runPython({ decode: ours.map((b) => b.toString("hex")), build: [] });
    decoded.forEach((rows, bi) => {
      const base = bi === 0 ? 500 : 7;
      expect(rows).toEqual(
        messages.map((m, i) => ({
          crc_ok: true,
          offset: base + i,
          timestamp: Number(m.timestamp),
          key: hex(m.key),
          value: hex(m.value),
          headers: m.headers.map((h) => [h.key, hex(h.value)]),
        })),
      );
    });
  });

  it("decodes kafka-python's magic-2 batches and reads its legacy magic-0/1 message sets", async () => {
    const pyMsgs = messages.map((m) => ({
      key: hex(m.key),
      value: hex(m.value),
      timestamp: Number(m.timestamp),
      headers: m.headers.map((h) => [h.key, hex(h.value)]),
    }));
    const specs = [
      { magic: 2, codec: 0 },
      { magic: 2, codec: 1 },
      { magic: 1, codec: 0 },
      { magic: 1, codec: 1 },
      { magic: 0, codec: 0 },
      { magic: 0, codec: 1 },
    ];
    const { built } = runPython({ decode: [], build: specs.map((s) => ({ ...s, messages: pyMsgs })) });
    for (const [i, spec] of specs.entries()) {
      const buf = Buffer.from(built[i]!, "hex");
      const want = messages.map((m) => [m.key, m.value]);
      if (spec.magic === 2) {
        const d = await decodeBatch(buf);
        expect(d.header.attributes & 7).toBe(spec.codec);
        expect(d.records.map((r) => [r.key, r.value])).toEqual(want);
        expect(d.records.map((r) => r.timestamp)).toEqual(messages.map((m) => m.timestamp));
        expect(d.records[1]!.headers).toEqual([{ key: "h", value: Buffer.from("x") }]);
        continue;
      }
      const legacy = await readLegacyMessageSet(buf);
      expect(legacy.map((m) => [m.key, m.value])).toEqual(want);
      expect(legacy.every((m) => m.magic === spec.magic && m.compression === spec.codec)).toBe(true);
      const batches = await convertLegacyToBatches(buf);
      const records = (await Promise.all(batches.map((b) => decodeBatch(b)))).flatMap((d) => d.records);
      expect(records.map((r) => [r.key, r.value])).toEqual(want);
      const wantTs = spec.magic === 1 ? messages.map((m) => m.timestamp) : messages.map(() => -1n);
      expect(records.map((r) => r.timestamp)).toEqual(wantTs);
      expect(batches.every((b) => (b.readInt16BE(21) & 7) === spec.codec)).toBe(true);
    }
  });
});
