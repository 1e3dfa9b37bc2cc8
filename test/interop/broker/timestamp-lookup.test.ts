import fs from "node:fs";
import path from "node:path";
import { compress as zstdCompress, decompress as zstdDecompress } from "@mongodb-js/zstd";
import { CompressionCodecs, CompressionTypes, Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";

/**
 * Offset by timestamp inside ONE compressed batch. kcat cannot set per-message timestamps when
 * producing, so KafkaJS produces the records (explicit timestamps, one send = one batch), gzip
 * built in and zstd through a codec backed by the real zstd library. kcat (librdkafka) then
 * starts consuming with `-o s@<ts>` (a ListOffsets by timestamp) and must begin exactly at the
 * first record whose timestamp is >= ts, not at the start of the batch.
 */
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  async compress(encoder: { buffer: Buffer }) {
    return zstdCompress(encoder.buffer, 3);
  },
  async decompress(buffer: Buffer) {
    return zstdDecompress(buffer);
  },
});

let broker: BrokerProcess;
let producer: Producer;

beforeAll(async () => {
  broker = await startBroker({ overrides: { "num.partitions": "1" } });
  const kafka = new Kafka({ clientId: "ts-lookup", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await broker?.stop();
  broker?.cleanup();
});

const BASE = 1_700_000_000_000;

/** Batch headers of the topic's first segment: [recordCount, compression codec]. */
function batchesOnDisk(topic: string): { records: number; codec: number }[] {
  const file = path.join(broker.dataDir, `${topic}-0`, "00000000000000000000.log");
  const buf = fs.readFileSync(file);
  const out: { records: number; codec: number }[] = [];
  for (let at = 0; at + 61 <= buf.length; at += buf.readInt32BE(at + 8) + 12) {
    out.push({ records: buf.readInt32BE(at + 57), codec: buf.readInt16BE(at + 21) & 7 });
  }
  return out;
}

async function consumeFrom(topic: string, ts: number): Promise<string[]> {
  const out = await kcat([
    "-b",
    broker.bootstrap,
    "-C",
    "-t",
    topic,
    "-p",
    "0",
    "-o",
    `s@${ts}`,
    "-e",
    "-q",
    "-f",
    "%o|%T|%s\\n",
  ]);
  return out.split("\n").filter((l) => l !== "");
}

const cases = [
  { name: "gzip", type: CompressionTypes.GZIP, codec: 1 },
  { name: "zstd", type: CompressionTypes.ZSTD, codec: 4 },
] as const;

describe("offset by timestamp inside one compressed batch (KafkaJS produces, kcat consumes)", () => {
  for (const c of cases) {
    it(`${c.name}: kcat -o s@<ts> starts at the exact record`, async () => {
      const topic = `ts-lookup-${c.name}`;
      // Out of order on purpose: offsets 0..5 carry BASE + these deltas.
      const deltas = [0, 3000, 2000, 4000, 1000, 5000];
      await producer.send({
        topic,
        acks: -1,
        compression: c.type,
        messages: deltas.map((d, i) => ({ value: `m${i}`, timestamp: String(BASE + d) })),
      });
      expect(batchesOnDisk(topic)).toEqual([{ records: 6, codec: c.codec }]);

      // 2500: the first record at or after it is offset 1 (3000), although offset 2 (2000) is smaller.
      let got = await consumeFrom(topic, BASE + 2500);
      expect(got).toEqual([
        `1|${BASE + 3000}|m1`,
        `2|${BASE + 2000}|m2`,
        `3|${BASE + 4000}|m3`,
        `4|${BASE + 1000}|m4`,
        `5|${BASE + 5000}|m5`,
      ]);
      got = await consumeFrom(topic, BASE + 3500);
      expect(got[0]).toBe(`3|${BASE + 4000}|m3`);
      got = await consumeFrom(topic, BASE + 4001);
      expect(got).toEqual([`5|${BASE + 5000}|m5`]);

      // ListOffsets by timestamp directly (kcat -Q).
      const q = await kcat(["-b", broker.bootstrap, "-Q", "-t", `${topic}:0:${BASE + 1500}`]);
      expect(q).toContain("offset 1");
    });
  }
});
