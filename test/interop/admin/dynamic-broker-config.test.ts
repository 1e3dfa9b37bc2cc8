import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProduceRequest } from "../../../protocol/generated/messages/ProduceRequest.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";
import { RawClient } from "../broker/raw-client.js";

/**
 * Dynamic broker configs take effect live, not just in DescribeConfigs: IncrementalAlterConfigs on
 * the cluster default ("") and on this node ("1") changes what produce accepts (message.max.bytes,
 * min.insync.replicas) and what retention deletes (log.retention.ms) for topics without their own
 * override, while topics with an override keep it. The values live in the metadata log, so they
 * survive a restart. Configs go through the raw client (KafkaJS 2.2 cannot send incremental
 * alters); data is read back with kcat (librdkafka).
 */
const SOURCE = { TOPIC: 1, DYNAMIC_BROKER: 2, DYNAMIC_DEFAULT: 3, STATIC: 4, DEFAULT: 5 };
const TOPIC = 2;
const BROKER = 4;
const OP = { SET: 0, DELETE: 1 };
const ERR = { MESSAGE_TOO_LARGE: 10, NOT_ENOUGH_REPLICAS: 19 };
// Retention is checked often so a live retention change shows within the test.
const OVERRIDES = { "log.retention.check.interval.ms": "200", "num.partitions": "1" };

let first: BrokerProcess;
let broker: BrokerProcess;
let client: RawClient;

beforeAll(async () => {
  first = broker = await startBroker({ overrides: OVERRIDES });
  client = await RawClient.open(broker.port);
});

afterAll(async () => {
  client?.close();
  await broker?.stop();
  first?.cleanup(); // the restarted broker reuses (and does not own) the first one's data dir
});

async function createTopic(name: string, configs: [string, string][] = []): Promise<void> {
  const r = await client.send(19, 7, {
    topics: [
      {
        name,
        numPartitions: 1,
        replicationFactor: -1,
        assignments: [],
        configs: configs.map(([n, value]) => ({ name: n, value })),
      },
    ],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  expect(r.topics[0]!.errorCode).toBe(0);
}

async function alterBroker(name: string, key: string, op: number, value: string | null): Promise<void> {
  const r = await client.send(44, 1, {
    resources: [
      { resourceType: BROKER, resourceName: name, configs: [{ name: key, configOperation: op, value }] },
    ],
    validateOnly: false,
  });
  expect(r.responses[0]!.errorCode).toBe(0);
}

async function topicConfig(topic: string, key: string): Promise<[string | null, number]> {
  const r = await client.send(32, 4, {
    resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: [key] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  const c = r.results[0]!.configs[0]!;
  return [c.value, c.configSource];
}

/** Produce one record of `size` bytes; returns the partition's error code. */
async function produce(topic: string, size: number, acks = 1, c = client): Promise<number> {
  const records = await buildBatch({ records: [{ value: Buffer.alloc(size, 7) }] });
  const req: ProduceRequest = {
    transactionalId: null,
    acks,
    timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
  const res = await c.send(0, 9, req);
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

/** How many records a read_uncommitted consumer sees from the beginning (kcat). */
async function count(topic: string): Promise<number> {
  const out = await kcat([
    "-b",
    broker.bootstrap,
    "-C",
    "-t",
    topic,
    "-o",
    "beginning",
    "-e",
    "-q",
    "-f",
    "x",
  ]);
  return out.length;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("dynamic broker configs applied live", () => {
  it("cluster-default message.max.bytes limits produce to topics without their own limit", async () => {
    await createTopic("dyn-plain");
    await createTopic("dyn-own-limit", [["max.message.bytes", "100000"]]);
    expect(await produce("dyn-plain", 5000)).toBe(0);

    await alterBroker("", "message.max.bytes", OP.SET, "1000");
    expect(await topicConfig("dyn-plain", "max.message.bytes")).toEqual(["1000", SOURCE.DYNAMIC_DEFAULT]);
    expect(await produce("dyn-plain", 5000)).toBe(ERR.MESSAGE_TOO_LARGE);
    expect(await produce("dyn-plain", 100)).toBe(0);
    expect(await produce("dyn-own-limit", 5000)).toBe(0);
    expect(await topicConfig("dyn-own-limit", "max.message.bytes")).toEqual(["100000", SOURCE.TOPIC]);

    await alterBroker("", "message.max.bytes", OP.DELETE, null);
    expect(await produce("dyn-plain", 5000)).toBe(0);
    expect(await topicConfig("dyn-plain", "max.message.bytes")).toEqual(["1048588", SOURCE.DEFAULT]);
    expect(await count("dyn-plain")).toBe(3);
  });

  it("dynamic min.insync.replicas is enforced for acks=-1", async () => {
    await createTopic("dyn-isr");
    await createTopic("dyn-isr-own", [["min.insync.replicas", "1"]]);
    await alterBroker("1", "min.insync.replicas", OP.SET, "2");
    expect(await produce("dyn-isr", 10, -1)).toBe(ERR.NOT_ENOUGH_REPLICAS);
    expect(await produce("dyn-isr", 10, 1)).toBe(0);
    expect(await produce("dyn-isr-own", 10, -1)).toBe(0);
    await alterBroker("1", "min.insync.replicas", OP.DELETE, null);
    expect(await produce("dyn-isr", 10, -1)).toBe(0);
  });

  it("per-node log.retention.ms changes retention of topics without an override", async () => {
    await createTopic("dyn-ret");
    await createTopic("dyn-ret-own", [["retention.ms", "604800000"]]);
    for (const t of ["dyn-ret", "dyn-ret-own"]) {
      await kcat(["-b", broker.bootstrap, "-P", "-t", t, "-p", "0"], "a\nb\nc\n");
    }
    // Retention runs every 200 ms; with the built-in 7 days nothing goes.
    await new Promise((r) => setTimeout(r, 600));
    expect(await count("dyn-ret")).toBe(3);

    await alterBroker("1", "log.retention.ms", OP.SET, "1");
    // Kafka reports the broker-level value with the source of the layer that set it.
    expect(await topicConfig("dyn-ret", "retention.ms")).toEqual(["1", SOURCE.DYNAMIC_BROKER]);
    expect(await topicConfig("dyn-ret-own", "retention.ms")).toEqual(["604800000", SOURCE.TOPIC]);
    await eventually(async () => (await count("dyn-ret")) === 0);
    expect(await count("dyn-ret-own")).toBe(3);
    // Back to a long retention before more data is written below.
    await alterBroker("1", "log.retention.ms", OP.SET, "86400000");
    expect(await topicConfig("dyn-ret", "retention.ms")).toEqual(["86400000", SOURCE.DYNAMIC_BROKER]);
  });

  it("dynamic values are still in effect after a restart (they live in the metadata log)", async () => {
    await alterBroker("", "message.max.bytes", OP.SET, "1000");
    client.close();
    expect(await broker.stop()).toBe(0);
    broker = await startBroker({ dataDir: broker.dataDir, overrides: OVERRIDES });
    client = await RawClient.open(broker.port);
    expect(await topicConfig("dyn-plain", "max.message.bytes")).toEqual(["1000", SOURCE.DYNAMIC_DEFAULT]);
    expect(await topicConfig("dyn-ret", "retention.ms")).toEqual(["86400000", SOURCE.DYNAMIC_BROKER]);
    expect(await produce("dyn-plain", 5000)).toBe(ERR.MESSAGE_TOO_LARGE);
    expect(await produce("dyn-own-limit", 5000)).toBe(0);
    // Data written before the restart with the long retention is still there.
    expect(await count("dyn-ret-own")).toBe(3);
  });
});
