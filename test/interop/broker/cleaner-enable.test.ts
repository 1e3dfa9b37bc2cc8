import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat, waitFor } from "../../harness/cli-tools.js";

/**
 * log.cleaner.enable (Kafka default true; with false the broker never starts its cleaner, so
 * compacted topics are not cleaned). Two brokers with the same compacted topic and the cleaner
 * scheduled every 200 ms: the enabled one (the control) compacts the overwritten keys away; the
 * disabled one still serves every record after the control has compacted and a while longer.
 */
const TOPIC = "cleaner-enable";
const brokers: BrokerProcess[] = [];

async function startWith(enabled: boolean): Promise<BrokerProcess> {
  const b = await startBroker({
    overrides: { "log.cleaner.enable": String(enabled), "log.cleaner.backoff.ms": "200" },
  });
  brokers.push(b);
  const kafka = new Kafka({ clientId: "cleaner-enable", brokers: [b.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      {
        topic: TOPIC,
        numPartitions: 1,
        configEntries: [
          { name: "cleanup.policy", value: "compact" },
          { name: "segment.bytes", value: "200" },
          { name: "min.cleanable.dirty.ratio", value: "0.01" },
          { name: "min.compaction.lag.ms", value: "0" },
        ],
      },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const p = kafka.producer();
  await p.connect();
  // One record per send, so the tiny segments roll between them: k0..k2 written 4 times each.
  for (let i = 0; i < 12; i++)
    await p.send({ topic: TOPIC, acks: -1, messages: [{ key: `k${i % 3}`, value: `v${i}` }] });
  await p.disconnect();
  return b;
}

async function recordCount(b: BrokerProcess): Promise<number> {
  const out = await kcat(["-b", b.bootstrap, "-C", "-t", TOPIC, "-e", "-q", "-f", "%o\\n"]);
  return out.split("\n").filter((l) => l !== "").length;
}

let on: BrokerProcess;
let off: BrokerProcess;

beforeAll(async () => {
  [on, off] = await Promise.all([startWith(true), startWith(false)]);
}, 60_000);

afterAll(async () => {
  for (const b of brokers) {
    await b.stop();
    b.cleanup();
  }
});

describe("log.cleaner.enable", () => {
  it("true compacts the topic; false leaves every record in place", async () => {
    await waitFor("the enabled broker to compact", async () => (await recordCount(on)) < 12, 20_000);
    await new Promise((r) => setTimeout(r, 1000)); // five more cleaner periods
    expect(await recordCount(off)).toBe(12);
  });
});
