import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { run } from "../../../cli/commands/dump-log.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { buildControlBatch, ControlType } from "../../../protocol/records/control.js";
import { CompressionType } from "../../../protocol/records/header.js";
import { openLog, smallConfig, tmpDir } from "./helpers.js";

const root = tmpDir();
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

async function dump(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await run(argv, {
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
  });
  return { code, out, err };
}

async function makeLog(): Promise<string> {
  const dir = path.join(root, "dump-0");
  const log = openLog(dir, smallConfig({ indexIntervalBytes: 100 }));
  await log.append(
    await buildBatch({
      records: [
        {
          key: Buffer.from("k1"),
          value: Buffer.from("hello"),
          timestamp: 1000n,
          headers: [{ key: "h1", value: Buffer.from("x") }],
        },
        { key: null, value: Buffer.from("world"), timestamp: 1001n },
      ],
      producerId: 42n,
      producerEpoch: 3,
      baseSequence: 7,
    }),
    { leaderEpoch: 2, assignOffsets: true },
  );
  for (let i = 0; i < 5; i++) {
    await log.append(
      await buildBatch({
        records: [{ value: Buffer.alloc(80, 97 + i), timestamp: 2000n + BigInt(i) }],
        compression: CompressionType.Gzip,
      }),
      { leaderEpoch: 2, assignOffsets: true },
    );
  }
  await log.append(
    await buildControlBatch({
      type: ControlType.Commit,
      coordinatorEpoch: 9,
      producerId: 42n,
      producerEpoch: 3,
      timestamp: 3000n,
    }),
    { leaderEpoch: 2, assignOffsets: true },
  );
  log.roll();
  await log.close();
  return path.join(dir, "00000000000000000000");
}

describe("gregor dump-log", () => {
  it("prints batches and records in kafka-dump-log's format", async () => {
    const seg = await makeLog();
    const { code, out } = await dump("--files", `${seg}.log`, "--print-data-log");
    expect(code).toBe(0);
    const lines = out.trim().split("\n");
    expect(lines[0]).toBe(`Dumping ${seg}.log`);
    expect(lines[1]).toBe("Log starting offset: 0");
    expect(lines[2]).toMatch(
      /^baseOffset: 0 lastOffset: 1 count: 2 baseSequence: 7 lastSequence: 8 producerId: 42 producerEpoch: 3 partitionLeaderEpoch: 2 isTransactional: false isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: 1001 size: \d+ magic: 2 compresscodec: none crc: \d+ isvalid: true$/,
    );
    expect(lines[3]).toBe(
      "| offset: 0 CreateTime: 1000 keySize: 2 valueSize: 5 sequence: 7 headerKeys: [h1] key: k1 payload: hello",
    );
    expect(lines[4]).toBe(
      "| offset: 1 CreateTime: 1001 keySize: -1 valueSize: 5 sequence: 8 headerKeys: [] payload: world",
    );
    expect(lines[5]).toMatch(
      /^baseOffset: 2 lastOffset: 2 count: 1 .* compresscodec: gzip crc: \d+ isvalid: true$/,
    );
    expect(lines[6]).toBe(
      `| offset: 2 CreateTime: 2000 keySize: -1 valueSize: 80 sequence: -1 headerKeys: [] payload: ${"a".repeat(80)}`,
    );
    const control = lines.findIndex((l) => l.includes("isControl: true"));
    expect(lines[control]).toMatch(/isTransactional: true isControl: true/);
    expect(lines[control + 1]).toBe(
      "| offset: 7 CreateTime: 3000 keySize: 4 valueSize: 6 sequence: -1 headerKeys: [] endTxnMarker: COMMIT coordinatorEpoch: 9",
    );

    // Without --print-data-log only batch lines appear.
    const shallow = await dump("--files", `${seg}.log`);
    expect(shallow.out.split("\n").filter((l) => l.startsWith("|"))).toEqual([]);
    expect(shallow.out.split("\n").filter((l) => l.startsWith("baseOffset:")).length).toBe(7);
  });

  it("dumps and checks the offset and time indexes", async () => {
    const seg = path.join(root, "dump-0", "00000000000000000000");
    const idx = await dump("--files", `${seg}.index,${seg}.timeindex`);
    expect(idx.code).toBe(0);
    const entries = idx.out.split("\n").filter((l) => l.startsWith("offset:"));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) expect(e).toMatch(/^offset: \d+ position: \d+$/);
    expect(idx.out).toMatch(/timestamp: 3000 offset: 7/);
    expect(idx.out).not.toMatch(/Mismatches|mismatch/);
    const sane = await dump("--files", `${seg}.index,${seg}.timeindex`, "--index-sanity-check");
    expect(sane.out).toContain(`${seg}.index passed sanity check.`);
    expect(sane.out).toContain(`${seg}.timeindex passed sanity check.`);

    // Corrupt an index entry: the sanity check and the verification notice.
    const bad = path.join(root, "bad");
    fs.mkdirSync(bad);
    const b = path.join(bad, "00000000000000000000");
    fs.copyFileSync(`${seg}.log`, `${b}.log`);
    const data = fs.readFileSync(`${seg}.index`);
    const twice = Buffer.concat([data, data]);
    fs.writeFileSync(`${b}.index`, twice);
    expect((await dump("--files", `${b}.index`, "--index-sanity-check")).out).toMatch(/failed sanity check/);
    const shifted = Buffer.from(data);
    shifted.writeInt32BE(shifted.readInt32BE(4) + 1, 4);
    fs.writeFileSync(`${b}.index`, shifted);
    const verify = await dump("--files", `${b}.index`, "--verify-index-only");
    expect(verify.out).toMatch(/Mismatches in :.*\n {2}Index offset: \d+, log offset: none/);
    expect(verify.out).not.toMatch(/^offset:/m);
  });

  it("reports invalid batches, trailing garbage and bad arguments", async () => {
    const seg = path.join(root, "dump-0", "00000000000000000000");
    const f = path.join(root, "corrupt", "00000000000000000000.log");
    fs.mkdirSync(path.dirname(f));
    const bytes = fs.readFileSync(`${seg}.log`);
    const broken = Buffer.concat([bytes, Buffer.from("garbage")]);
    broken[70]! ^= 0xff; // inside the first batch's records
    fs.writeFileSync(f, broken);
    const r = await dump("--files", f, "--deep-iteration");
    expect(r.out).toMatch(/baseOffset: 0 .* isvalid: false/);
    expect(r.out).toMatch(/\| records not readable: .*CRC/);
    expect(r.out).toMatch(/Found 7 invalid bytes at the end of 00000000000000000000.log/);

    expect((await dump()).code).toBe(1);
    expect((await dump("--files")).err).toMatch(/--files needs a value/);
    expect((await dump("--files", "x.log", "--bogus")).err).toMatch(/unknown option '--bogus'/);
    const missing = await dump("--files", path.join(root, "nope.log"));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/file not found/);
    expect((await dump("--help")).out).toMatch(/usage: gregor dump-log/);
  });

  it("runs through the gregor CLI", () => {
    const seg = path.join(root, "dump-0", "00000000000000000000");
    const out = execFileSync(
      process.execPath,
      ["--import", "tsx", "cli/main.ts", "dump-log", "--files", `${seg}.log`],
      {
        cwd: path.resolve(import.meta.dirname, "../../.."),
        encoding: "utf8",
      },
    );
    expect(out).toMatch(/^Dumping .*\nLog starting offset: 0\nbaseOffset: 0 lastOffset: 1 count: 2/);
  });
});
