import { CompressionTypes, Kafka, logLevel, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";

/**
 * KafkaJS producer against a fresh broker process (topic auto-creation, acks 1/-1/0, gzip,
 * keys, headers, explicit timestamps). What was written is read back with kcat, an
 * independent client, and compared record by record.
 */
let broker: BrokerProcess;
let kafka: Kafka;
let producer: Producer;

beforeAll(async () => {
  broker = await startBroker({ overrides: { "num.partitions": "3" } });
  kafka = new Kafka({ clientId: "gregor-interop", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await broker?.stop();
  broker?.cleanup();
});

interface KcatRecord {
  partition: number;
  offset: number;
  tstype: string;
  ts: number;
  key: string | null;
  payload: string | null;
  headers?: string[];
}

async function readAll(topic: string, partition: number): Promise<KcatRecord[]> {
  const out = await kcat([
    "-b",
    broker.bootstrap,
    "-C",
    "-t",
    topic,
    "-p",
    String(partition),
    "-o",
    "beginning",
    "-e",
    "-q",
    "-J",
  ]);
  return out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as KcatRecord);
}

describe("KafkaJS producer interop", () => {
  for (const acks of [1, -1, 0]) {
    for (const compression of [CompressionTypes.None, CompressionTypes.GZIP]) {
      it(`sends keyed records with headers, acks=${acks}, compression=${compression}`, async () => {
        const topic = `kjs-${acks === -1 ? "all" : acks}-${compression}`;
        const base = 1_700_000_000_000;
        const messages = Array.from({ length: 30 }, (_, i) => ({
          key: `k${i}`,
          value: `v${i}-${"y".repeat(i)}`,
          partition: i % 3,
          timestamp: String(base + i),
          headers: { n: String(i), kind: "kafkajs" },
        }));
        const res = await producer.send({ topic, acks, compression, messages });
        if (acks !== 0) {
          expect(res.map((r) => [r.partition, r.errorCode, r.baseOffset]).sort()).toEqual([
            [0, 0, "0"],
            [1, 0, "0"],
            [2, 0, "0"],
          ]);
        } else {
          // acks=0 has no response; wait until the records are visible.
          const deadline = Date.now() + 10_000;
          while (Date.now() < deadline) {
            const offs = await kafka
              .admin()
              .fetchTopicOffsets(topic)
              .catch(() => []);
            if (offs.reduce((s, o) => s + Number(o.high), 0) === 30) break;
            await new Promise((r) => setTimeout(r, 100));
          }
        }
        for (let p = 0; p < 3; p++) {
          const got = await readAll(topic, p);
          const want = messages.filter((m) => m.partition === p);
          expect(got.map((r) => [r.offset, r.key, r.payload, r.ts, r.tstype, r.headers])).toEqual(
            want.map((m, j) => [
              j,
              m.key,
              m.value,
              Number(m.timestamp),
              "create",
              ["n", m.headers.n, "kind", "kafkajs"],
            ]),
          );
        }
      });
    }
  }

  it("reports offsets through ListOffsets (fetchTopicOffsets)", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      await producer.send({ topic: "kjs-offsets", messages: [{ value: "a" }, { value: "b" }], acks: 1 });
      const offs = await admin.fetchTopicOffsets("kjs-offsets");
      expect(offs.reduce((s, o) => s + Number(o.high), 0)).toBe(2);
      expect(offs.every((o) => o.low === "0")).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });

  it("gets UNKNOWN_TOPIC_OR_PARTITION-style failure for an invalid topic name", async () => {
    await expect(producer.send({ topic: "bad/topic", messages: [{ value: "x" }] })).rejects.toThrow();
  });
});
