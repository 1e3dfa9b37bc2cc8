import { crc32 } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProduceRequest } from "../../../protocol/generated/messages/ProduceRequest.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { BATCH } from "../../../protocol/records/header.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";
import { RawClient } from "./raw-client.js";

/**
 * Produce validation at the protocol level: MESSAGE_TOO_LARGE, CORRUPT_MESSAGE, INVALID_RECORD
 * with per-record errors (v8+), LogAppendTime, compacted topics without keys, and magic 0/1
 * message sets converted to v2 (read back with kcat).
 */
let plain: BrokerProcess;
let special: BrokerProcess;
let c1: RawClient;
let c2: RawClient;

beforeAll(async () => {
  [plain, special] = await Promise.all([
    startBroker({ overrides: { "message.max.bytes": "2000" } }),
    startBroker({
      overrides: {
        "log.message.timestamp.type": "LogAppendTime",
        "log.cleanup.policy": "compact",
        "min.insync.replicas": "2",
      },
    }),
  ]);
  c1 = await RawClient.open(plain.port);
  c2 = await RawClient.open(special.port);
});

afterAll(async () => {
  c1?.close();
  c2?.close();
  await Promise.all([plain?.stop(), special?.stop()]);
  plain?.cleanup();
  special?.cleanup();
});

const req = (topic: string, records: Buffer, acks = 1): ProduceRequest => ({
  transactionalId: null,
  acks,
  timeoutMs: 5000,
  topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
});

async function ensureTopic(client: RawClient, topic: string): Promise<void> {
  await client.send(3, 12, {
    topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: topic }],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
}

function legacyMessage(magic: 0 | 1, offset: bigint, key: string, value: string, ts: bigint): Buffer {
  const k = Buffer.from(key);
  const v = Buffer.from(value);
  const body = Buffer.alloc(1 + 1 + (magic === 1 ? 8 : 0) + 4 + k.length + 4 + v.length);
  let at = 0;
  body.writeInt8(magic, at++);
  body.writeInt8(0, at++);
  if (magic === 1) {
    body.writeBigInt64BE(ts, at);
    at += 8;
  }
  body.writeInt32BE(k.length, at);
  k.copy(body, at + 4);
  at += 4 + k.length;
  body.writeInt32BE(v.length, at);
  v.copy(body, at + 4);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(offset, 0);
  head.writeInt32BE(4 + body.length, 8);
  head.writeUInt32BE(crc32(body), 12);
  return Buffer.concat([head, body]);
}

describe("produce validation", () => {
  it("answers MESSAGE_TOO_LARGE for a batch over message.max.bytes", async () => {
    await ensureTopic(c1, "big");
    const batch = await buildBatch({ records: [{ value: Buffer.alloc(5000, 1) }] });
    const res = await c1.send(0, 9, req("big", batch));
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(10);
  });

  it("answers CORRUPT_MESSAGE for a CRC mismatch", async () => {
    await ensureTopic(c1, "corrupt");
    const batch = await buildBatch({ records: [{ value: Buffer.from("hello") }] });
    batch[batch.length - 2] ^= 0xff;
    const res = await c1.send(0, 9, req("corrupt", batch));
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(2);
  });

  it("answers INVALID_RECORD with the failing record's index (v8+)", async () => {
    await ensureTopic(c1, "invalid");
    const batch = await buildBatch({
      records: [
        { value: Buffer.from("a"), offsetDelta: 0 },
        { value: Buffer.from("b"), offsetDelta: 2 },
        { value: Buffer.from("c"), offsetDelta: 1 },
      ],
    });
    const res = await c1.send(0, 9, req("invalid", batch));
    const p = res.responses[0]!.partitionResponses[0]!;
    expect(p.errorCode).toBe(87);
    expect(p.recordErrors.map((e) => e.batchIndex)).toEqual([1]);
    expect(p.errorMessage).toContain("offset delta");
    const old = await c1.send(0, 7, req("invalid", batch));
    expect(old.responses[0]!.partitionResponses[0]!.errorCode).toBe(87);
  });

  it("answers UNKNOWN_TOPIC_OR_PARTITION without creating the topic", async () => {
    const batch = await buildBatch({ records: [{ value: Buffer.from("x") }] });
    const res = await c1.send(0, 9, req("never-created", batch));
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(3);
  });

  it("converts magic 0 and 1 message sets (produce v2) to v2 batches", async () => {
    await ensureTopic(c1, "legacy");
    const set = Buffer.concat([
      legacyMessage(1, 0n, "k1", "v1", 1_600_000_000_000n),
      legacyMessage(1, 1n, "k2", "v2", 1_600_000_000_001n),
    ]);
    const res = await c1.send(0, 2, req("legacy", set));
    expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    const res0 = await c1.send(0, 1, req("legacy", legacyMessage(0, 0n, "k3", "v3", 0n)));
    expect(res0.responses[0]!.partitionResponses[0]!.baseOffset).toBe(2n);
    const out = await kcat([
      "-b",
      plain.bootstrap,
      "-C",
      "-t",
      "legacy",
      "-o",
      "beginning",
      "-e",
      "-q",
      "-f",
      "%o %k %s %T\\n",
    ]);
    const lines = out.trim().split("\n");
    expect(lines.slice(0, 2)).toEqual(["0 k1 v1 1600000000000", "1 k2 v2 1600000000001"]);
    expect(lines[2]!.startsWith("2 k3 v3 ")).toBe(true);
  });

  it("stamps LogAppendTime and rejects keyless records on compacted topics", async () => {
    await ensureTopic(c2, "lat");
    const before = BigInt(Date.now());
    const keyed = await buildBatch({
      records: [{ key: Buffer.from("k"), value: Buffer.from("v"), timestamp: 5n }],
    });
    const res = await c2.send(0, 9, req("lat", keyed));
    const p = res.responses[0]!.partitionResponses[0]!;
    expect(p.errorCode).toBe(0);
    expect(p.logAppendTimeMs).toBeGreaterThanOrEqual(before);
    const out = await kcat([
      "-b",
      special.bootstrap,
      "-C",
      "-t",
      "lat",
      "-o",
      "beginning",
      "-e",
      "-q",
      "-f",
      "%T\\n",
    ]);
    expect(BigInt(out.trim())).toBe(p.logAppendTimeMs);
    const keyless = await buildBatch({
      records: [{ key: Buffer.from("k"), value: Buffer.from("1") }, { value: Buffer.from("2") }],
    });
    const bad = await c2.send(0, 9, req("lat", keyless));
    const bp = bad.responses[0]!.partitionResponses[0]!;
    expect(bp.errorCode).toBe(87);
    expect(bp.recordErrors).toEqual([
      { batchIndex: 1, batchIndexErrorMessage: expect.stringContaining("without key") },
    ]);
  });

  it("answers NOT_ENOUGH_REPLICAS for acks=all below min.insync.replicas, while acks=1 succeeds", async () => {
    await ensureTopic(c2, "isr");
    const batch = await buildBatch({ records: [{ key: Buffer.from("k"), value: Buffer.from("v") }] });
    const all = await c2.send(0, 9, req("isr", batch, -1));
    expect(all.responses[0]!.partitionResponses[0]!.errorCode).toBe(19);
    const one = await c2.send(
      0,
      9,
      req("isr", await buildBatch({ records: [{ key: Buffer.from("k") }] }), 1),
    );
    expect(one.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  });

  it("closes the connection when an acks=0 produce fails (there is no response to carry the error)", async () => {
    const c = await RawClient.open(plain.port);
    const batch = await buildBatch({ records: [{ value: Buffer.from("q") }] });
    void c.send(0, 9, req("no-such-topic", batch, 0)).catch(() => undefined);
    await expect(c.send(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" })).rejects.toThrow(
      /closed/,
    );
    c.close();
  });

  it("sends no response for acks=0, and stays in order for the next request", async () => {
    await ensureTopic(c1, "quiet");
    const batch = await buildBatch({ records: [{ value: Buffer.from("q") }] });
    const c = await RawClient.open(plain.port);
    try {
      void c.send(0, 9, req("quiet", batch, 0)).catch(() => undefined);
      const md = await c.send(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
      expect(md.errorCode).toBe(0);
      expect(c.arrivals).toEqual([2]);
    } finally {
      c.close();
    }
    expect(BATCH.HEADER_SIZE).toBe(61);
  });
});
