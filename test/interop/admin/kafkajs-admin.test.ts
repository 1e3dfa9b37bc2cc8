import { type Admin, ConfigResourceTypes, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";

/**
 * KafkaJS's admin client against a fresh broker process: topic creation (with configs,
 * validate-only and every per-topic error), partitions, configs (topic and broker, with synonyms
 * and sources), legacy alterConfigs, record deletion, topic deletion and cluster description.
 * The broker runs with two static settings so sources and synonym chains have something to show.
 */
const SOURCE = { TOPIC: 1, DYNAMIC_BROKER: 2, DYNAMIC_DEFAULT: 3, STATIC: 4, DEFAULT: 5 };

let broker: BrokerProcess;
let admin: Admin;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startBroker({ overrides: { "num.partitions": "2", "log.retention.ms": "3600000" } });
  kafka = new Kafka({ clientId: "admin-interop", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await admin?.disconnect();
  await broker?.stop();
  broker?.cleanup();
});

interface Entry {
  configName: string;
  configValue: string | null;
  readOnly: boolean;
  configSource: number;
  configSynonyms: { configName: string; configValue: string | null; configSource: number }[];
}

async function describe1(type: ConfigResourceTypes, name: string, configNames: string[]): Promise<Entry[]> {
  const r = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type, name, configNames }] });
  expect(r.resources[0]!.errorCode).toBe(0);
  const entries = r.resources[0]!.configEntries as unknown as Entry[];
  return entries
    .map((e) => ({
      configName: e.configName,
      configValue: e.configValue,
      readOnly: e.readOnly,
      configSource: e.configSource,
      configSynonyms: e.configSynonyms,
    }))
    .sort((a, b) => a.configName.localeCompare(b.configName));
}

interface AdminError {
  errors?: { type: string }[];
  type?: string;
  cause?: AdminError;
  partitions?: { error: { type: string } }[];
}

/**
 * The Kafka error types a failed admin call reports. KafkaJS wraps per-topic errors in an
 * aggregate, per-partition errors in a list, and retried or bailed-out errors in a wrapper whose
 * cause is the broker's error.
 */
async function errorTypes(p: Promise<unknown>): Promise<string[]> {
  try {
    await p;
  } catch (e) {
    for (let err: AdminError | undefined = e as AdminError; err; err = err.cause) {
      if (err.errors) return err.errors.map((x) => x.type);
      if (err.partitions) return err.partitions.map((x) => x.error.type);
      if (err.type) return [err.type];
    }
    return [String(e)];
  }
  return ["no error"];
}

async function partitionIds(topic: string): Promise<number[]> {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0]!.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
}

describe("KafkaJS admin interop", () => {
  it("creates topics with explicit and default partition counts and configs", async () => {
    const created = await admin.createTopics({
      topics: [
        {
          topic: "orders",
          numPartitions: 3,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "retention.ms", value: "60000" },
          ],
        },
        { topic: "defaults" },
      ],
    });
    expect(created).toBe(true);
    const md = await admin.fetchTopicMetadata({ topics: ["orders", "defaults"] });
    const byName = new Map(md.topics.map((t) => [t.name, t]));
    expect(
      byName
        .get("orders")!
        .partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr])
        .sort(),
    ).toEqual([
      [0, 1, [1], [1]],
      [1, 1, [1], [1]],
      [2, 1, [1], [1]],
    ]);
    // num.partitions=2 on the broker: the default for a topic created with -1.
    expect(await partitionIds("defaults")).toEqual([0, 1]);
    expect((await admin.listTopics()).sort()).toEqual(["defaults", "orders"]);
  });

  it("describes topic configs with values, sources and synonym chains", async () => {
    const names = ["cleanup.policy", "retention.ms", "segment.bytes", "segment.ms"];
    expect(await describe1(ConfigResourceTypes.TOPIC, "orders", names)).toEqual([
      {
        configName: "cleanup.policy",
        configValue: "compact",
        readOnly: false,
        configSource: SOURCE.TOPIC,
        configSynonyms: [
          { configName: "cleanup.policy", configValue: "compact", configSource: SOURCE.TOPIC },
          { configName: "log.cleanup.policy", configValue: "delete", configSource: SOURCE.DEFAULT },
        ],
      },
      {
        configName: "retention.ms",
        configValue: "60000",
        readOnly: false,
        configSource: SOURCE.TOPIC,
        configSynonyms: [
          { configName: "retention.ms", configValue: "60000", configSource: SOURCE.TOPIC },
          { configName: "log.retention.ms", configValue: "3600000", configSource: SOURCE.STATIC },
          { configName: "log.retention.hours", configValue: "168", configSource: SOURCE.DEFAULT },
        ],
      },
      {
        configName: "segment.bytes",
        configValue: "1073741824",
        readOnly: false,
        configSource: SOURCE.DEFAULT,
        configSynonyms: [
          { configName: "log.segment.bytes", configValue: "1073741824", configSource: SOURCE.DEFAULT },
        ],
      },
      // Backed only by log.roll.hours: Kafka shows no chain for it (the ms synonym is unset).
      {
        configName: "segment.ms",
        configValue: "604800000",
        readOnly: false,
        configSource: SOURCE.DEFAULT,
        configSynonyms: [],
      },
    ]);
    const defaults = await describe1(ConfigResourceTypes.TOPIC, "defaults", ["retention.ms"]);
    expect(defaults).toEqual([
      {
        configName: "retention.ms",
        configValue: "3600000",
        readOnly: false,
        configSource: SOURCE.STATIC,
        configSynonyms: [
          { configName: "log.retention.ms", configValue: "3600000", configSource: SOURCE.STATIC },
          { configName: "log.retention.hours", configValue: "168", configSource: SOURCE.DEFAULT },
        ],
      },
    ]);
  });

  it("describes broker configs with read-only flags and synonyms", async () => {
    const names = ["log.retention.ms", "log.retention.hours", "num.partitions", "message.max.bytes"];
    expect(await describe1(ConfigResourceTypes.BROKER, "1", names)).toEqual([
      {
        configName: "log.retention.hours",
        configValue: "168",
        readOnly: true,
        configSource: SOURCE.DEFAULT,
        configSynonyms: [
          { configName: "log.retention.hours", configValue: "168", configSource: SOURCE.DEFAULT },
        ],
      },
      {
        configName: "log.retention.ms",
        configValue: "3600000",
        readOnly: false,
        configSource: SOURCE.STATIC,
        configSynonyms: [
          { configName: "log.retention.ms", configValue: "3600000", configSource: SOURCE.STATIC },
          { configName: "log.retention.hours", configValue: "168", configSource: SOURCE.DEFAULT },
        ],
      },
      {
        configName: "message.max.bytes",
        configValue: "1048588",
        readOnly: false,
        configSource: SOURCE.DEFAULT,
        configSynonyms: [
          { configName: "message.max.bytes", configValue: "1048588", configSource: SOURCE.DEFAULT },
        ],
      },
      {
        configName: "num.partitions",
        configValue: "2",
        readOnly: true,
        configSource: SOURCE.STATIC,
        configSynonyms: [
          { configName: "num.partitions", configValue: "2", configSource: SOURCE.STATIC },
          { configName: "num.partitions", configValue: "1", configSource: SOURCE.DEFAULT },
        ],
      },
    ]);
  });

  it("answers every per-topic creation error with Kafka's code and creates nothing", async () => {
    expect(await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 1 }] })).toBe(false);
    expect(await errorTypes(admin.createTopics({ topics: [{ topic: "bad name!" }] }))).toEqual([
      "INVALID_TOPIC_EXCEPTION",
    ]);
    expect(
      await errorTypes(
        admin.createTopics({ topics: [{ topic: "rf3", numPartitions: 1, replicationFactor: 3 }] }),
      ),
    ).toEqual(["INVALID_REPLICATION_FACTOR"]);
    expect(await errorTypes(admin.createTopics({ topics: [{ topic: "p0", numPartitions: 0 }] }))).toEqual([
      "INVALID_PARTITIONS",
    ]);
    expect(
      await errorTypes(
        admin.createTopics({
          topics: [{ topic: "cfg", configEntries: [{ name: "retention.ms", value: "soon" }] }],
        }),
      ),
    ).toEqual(["INVALID_CONFIG"]);
    expect(
      await errorTypes(
        admin.createTopics({
          topics: [{ topic: "cfg", configEntries: [{ name: "no.such.config", value: "1" }] }],
        }),
      ),
    ).toEqual(["INVALID_CONFIG"]);
    expect((await admin.listTopics()).sort()).toEqual(["defaults", "orders"]);
  });

  it("validateOnly checks a topic without creating it", async () => {
    expect(
      await admin.createTopics({
        validateOnly: true,
        waitForLeaders: false,
        topics: [{ topic: "dry-run", numPartitions: 4 }],
      }),
    ).toBe(true);
    expect(
      await errorTypes(
        admin.createTopics({
          validateOnly: true,
          waitForLeaders: false,
          topics: [{ topic: "dry-run", numPartitions: 1, replicationFactor: 2 }],
        }),
      ),
    ).toEqual(["INVALID_REPLICATION_FACTOR"]);
    expect(await admin.listTopics()).not.toContain("dry-run");
  });

  it("adds partitions, never removes them, and validateOnly changes nothing", async () => {
    await admin.createPartitions({ topicPartitions: [{ topic: "orders", count: 5 }] });
    expect(await partitionIds("orders")).toEqual([0, 1, 2, 3, 4]);
    expect(
      await errorTypes(admin.createPartitions({ topicPartitions: [{ topic: "orders", count: 4 }] })),
    ).toEqual(["INVALID_PARTITIONS"]);
    await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic: "orders", count: 8 }] });
    expect(await partitionIds("orders")).toEqual([0, 1, 2, 3, 4]);
    // The new partitions take writes.
    const producer = kafka.producer();
    await producer.connect();
    const [r] = await producer.send({ topic: "orders", messages: [{ key: "k", value: "v", partition: 4 }] });
    await producer.disconnect();
    expect([r!.partition, r!.errorCode, r!.baseOffset]).toEqual([4, 0, "0"]);
  });

  it("alterConfigs replaces the topic's whole override set", async () => {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: "orders",
          configEntries: [{ name: "retention.bytes", value: "1048576" }],
        },
      ],
    });
    const after = await describe1(ConfigResourceTypes.TOPIC, "orders", [
      "cleanup.policy",
      "retention.bytes",
      "retention.ms",
    ]);
    expect(after.map((e) => [e.configName, e.configValue, e.configSource])).toEqual([
      ["cleanup.policy", "delete", SOURCE.DEFAULT],
      ["retention.bytes", "1048576", SOURCE.TOPIC],
      ["retention.ms", "3600000", SOURCE.STATIC],
    ]);
    // validateOnly and invalid values leave everything as it was.
    await admin.alterConfigs({
      validateOnly: true,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: "orders", configEntries: [] }],
    });
    expect(
      await errorTypes(
        admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: "orders",
              configEntries: [{ name: "min.cleanable.dirty.ratio", value: "2" }],
            },
          ],
        }),
      ),
    ).toEqual(["INVALID_CONFIG"]);
    const still = await describe1(ConfigResourceTypes.TOPIC, "orders", ["retention.bytes"]);
    expect(still.map((e) => [e.configValue, e.configSource])).toEqual([["1048576", SOURCE.TOPIC]]);
  });

  it("deleteTopicRecords moves the low watermark; -1 means the high watermark", async () => {
    await admin.createTopics({ topics: [{ topic: "records", numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "records",
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}`, partition: 0 })),
    });
    await producer.disconnect();
    // KafkaJS finds partition leaders in the admin's metadata cache, so load the new topic first.
    await admin.fetchTopicMetadata({ topics: ["records"] });
    await admin.deleteTopicRecords({ topic: "records", partitions: [{ partition: 0, offset: "4" }] });
    expect(await admin.fetchTopicOffsets("records")).toEqual([
      { partition: 0, offset: "10", high: "10", low: "4" },
    ]);
    expect(
      await errorTypes(
        admin.deleteTopicRecords({ topic: "records", partitions: [{ partition: 0, offset: "11" }] }),
      ),
    ).toEqual(["OFFSET_OUT_OF_RANGE"]);
    await admin.deleteTopicRecords({ topic: "records", partitions: [{ partition: 0, offset: "-1" }] });
    expect(await admin.fetchTopicOffsets("records")).toEqual([
      { partition: 0, offset: "10", high: "10", low: "10" },
    ]);
  });

  it("describeCluster names this broker as the only broker and the controller", async () => {
    const c = await admin.describeCluster();
    expect(c).toEqual({
      brokers: [{ nodeId: 1, host: "127.0.0.1", port: broker.port }],
      controller: 1,
      clusterId: broker.clusterId,
    });
  });

  it("deletes topics, and unknown topics get UNKNOWN_TOPIC_OR_PARTITION", async () => {
    await admin.deleteTopics({ topics: ["defaults"] });
    expect((await admin.listTopics()).sort()).toEqual(["orders", "records"]);
    const noRetry = kafka.admin({ retry: { retries: 0 } });
    await noRetry.connect();
    const deleteUnknown = errorTypes(noRetry.deleteTopics({ topics: ["never-existed"] }));
    await deleteUnknown.finally(() => noRetry.disconnect());
    expect(await deleteUnknown).toEqual(["UNKNOWN_TOPIC_OR_PARTITION"]);
    // The name is free again, and the new topic starts empty.
    await admin.createTopics({ topics: [{ topic: "defaults", numPartitions: 1 }] });
    expect(await admin.fetchTopicOffsets("defaults")).toEqual([
      { partition: 0, offset: "0", high: "0", low: "0" },
    ]);
  });
});
