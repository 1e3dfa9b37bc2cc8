import { type Admin, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProduceRequest } from "../../../protocol/generated/messages/ProduceRequest.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat, runTool } from "../../harness/cli-tools.js";
import { RawClient } from "./raw-client.js";

/**
 * Clients may not produce to the internal topics (__consumer_offsets, __transaction_state): each
 * partition is refused with INVALID_TOPIC_EXCEPTION, as Kafka does. The coordinators write there
 * themselves, so committed offsets and transactions keep working, and a restart (which reloads
 * __consumer_offsets) still finds the group's offsets intact.
 */
const INVALID_TOPIC_EXCEPTION = 17;
const OVERRIDES = {
  "offsets.topic.num.partitions": "3",
  "transaction.state.log.num.partitions": "3",
  "group.initial.rebalance.delay.ms": "100",
};

let owner: BrokerProcess;
let broker: BrokerProcess;
let admin: Admin;

function kafkaFor(bootstrap: string): Kafka {
  return new Kafka({
    clientId: "internal-topics-test",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100, retries: 10 },
  });
}

beforeAll(async () => {
  owner = broker = await startBroker({ overrides: OVERRIDES });
  admin = kafkaFor(broker.bootstrap).admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
  owner?.cleanup(); // the restarted broker reuses the first one's data dir
});

async function committed(groupId: string, topic: string): Promise<string[]> {
  const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);
}

async function rawProduce(topic: string, partitions: number[]): Promise<[number, number, string | null][]> {
  const client = await RawClient.open(broker.port);
  try {
    const records = await buildBatch({ records: [{ key: Buffer.from("k"), value: Buffer.from("junk") }] });
    const req: ProduceRequest = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: topic, partitionData: partitions.map((index) => ({ index, records })) }],
    };
    const res = await client.send(0, 9, req);
    return res.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode, p.errorMessage]);
  } finally {
    client.close();
  }
}

describe("produce to internal topics", () => {
  it("kcat cannot produce to __consumer_offsets; the group's committed offsets stay intact", async () => {
    await kcat(["-b", broker.bootstrap, "-P", "-t", "it-data", "-p", "0"], "a\nb\nc\n");
    await admin.setOffsets({
      groupId: "it-group",
      topic: "it-data",
      partitions: [{ partition: 0, offset: "2" }],
    });
    expect(await committed("it-group", "it-data")).toEqual(["2"]);

    const r = await runTool(
      "kcat",
      ["-b", broker.bootstrap, "-P", "-t", "__consumer_offsets", "-p", "0", "-K", ":"],
      "it-group:garbage\n",
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/invalid topic/i);
    expect(await committed("it-group", "it-data")).toEqual(["2"]);
  });

  it("answers INVALID_TOPIC_EXCEPTION per partition for both internal topics", async () => {
    expect(await rawProduce("__consumer_offsets", [0, 1])).toEqual([
      [0, INVALID_TOPIC_EXCEPTION, "Cannot append to internal topic __consumer_offsets"],
      [1, INVALID_TOPIC_EXCEPTION, "Cannot append to internal topic __consumer_offsets"],
    ]);
    expect(await rawProduce("__transaction_state", [0])).toEqual([
      [0, INVALID_TOPIC_EXCEPTION, "Cannot append to internal topic __transaction_state"],
    ]);
  });

  it("the coordinators' own writes still work: a transaction commits and offsets survive a restart", async () => {
    const kafka = kafkaFor(broker.bootstrap);
    const producer = kafka.producer({ transactionalId: "it-txn", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const txn = await producer.transaction();
      await txn.send({ topic: "it-txn-data", messages: [{ value: "committed" }] });
      await txn.commit();
    } finally {
      await producer.disconnect();
    }
    const read = await kcat([
      "-b",
      broker.bootstrap,
      "-C",
      "-t",
      "it-txn-data",
      "-e",
      "-q",
      "-X",
      "isolation.level=read_committed",
      "-f",
      "%s\\n",
    ]);
    expect(read.split("\n").filter((l) => l !== "")).toEqual(["committed"]);

    await admin.disconnect();
    expect(await broker.stop()).toBe(0);
    broker = await startBroker({ dataDir: owner.dataDir, overrides: OVERRIDES });
    admin = kafkaFor(broker.bootstrap).admin();
    await admin.connect();
    expect(await committed("it-group", "it-data")).toEqual(["2"]);
  });
});
