import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ZERO_UUID } from "../../../protocol/generated/runtime.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";
import { RawClient } from "../broker/raw-client.js";

/**
 * Admin APIs at the protocol level, for what KafkaJS 2.2 and kafka-python 2.0 cannot send:
 * CreateTopics v7 (topic ids, returned configs, replica assignments), DeleteTopics by id,
 * IncrementalAlterConfigs on topics and brokers, DescribeConfigs v4 types and docs, DescribeCluster,
 * DescribeLogDirs, DeleteRecords, OffsetForLeaderEpoch and DescribeTopicPartitions paging.
 * Requests go through the raw test client; data is written and read with kcat (librdkafka).
 */
const SOURCE = { TOPIC: 1, DYNAMIC_BROKER: 2, DYNAMIC_DEFAULT: 3, STATIC: 4, DEFAULT: 5 };
const TOPIC = 2;
const BROKER = 4;
const OP = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 };

let broker: BrokerProcess;
let client: RawClient;

beforeAll(async () => {
  broker = await startBroker();
  client = await RawClient.open(broker.port);
});

afterAll(async () => {
  client?.close();
  await broker?.stop();
  broker?.cleanup();
});

function createTopic(
  name: string,
  numPartitions: number,
  opts: {
    configs?: [string, string][];
    assignments?: number[][];
    replicationFactor?: number;
    validateOnly?: boolean;
  } = {},
) {
  return client.send(19, 7, {
    topics: [
      {
        name,
        numPartitions,
        replicationFactor: opts.replicationFactor ?? -1,
        assignments: (opts.assignments ?? []).map((brokerIds, partitionIndex) => ({
          partitionIndex,
          brokerIds,
        })),
        configs: (opts.configs ?? []).map(([n, value]) => ({ name: n, value })),
      },
    ],
    timeoutMs: 10_000,
    validateOnly: opts.validateOnly ?? false,
  });
}

async function produce(topic: string, partition: number, lines: string[]): Promise<void> {
  await kcat(["-b", broker.bootstrap, "-P", "-t", topic, "-p", String(partition)], `${lines.join("\n")}\n`);
}

async function describeTopic(name: string, keys: string[] | null, synonyms = true) {
  const r = await client.send(32, 4, {
    resources: [{ resourceType: TOPIC, resourceName: name, configurationKeys: keys }],
    includeSynonyms: synonyms,
    includeDocumentation: false,
  });
  return r.results[0]!;
}

function incremental(
  resourceType: number,
  resourceName: string,
  configs: [string, number, string | null][],
  validateOnly = false,
) {
  return client.send(44, 1, {
    resources: [
      {
        resourceType,
        resourceName,
        configs: configs.map(([name, configOperation, value]) => ({ name, configOperation, value })),
      },
    ],
    validateOnly,
  });
}

describe("admin APIs at the protocol level", () => {
  it("CreateTopics v7 returns the topic id, counts and configs; Metadata agrees", async () => {
    const r = await createTopic("proto-a", -1, { configs: [["retention.ms", "1000"]] });
    const t = r.topics[0]!;
    expect([t.name, t.errorCode, t.errorMessage, t.numPartitions, t.replicationFactor]).toEqual([
      "proto-a",
      0,
      null,
      1,
      1,
    ]);
    expect(t.topicId).not.toBe(ZERO_UUID);
    expect(t.configs!.find((c) => c.name === "retention.ms")).toEqual({
      name: "retention.ms",
      value: "1000",
      readOnly: false,
      configSource: SOURCE.TOPIC,
      isSensitive: false,
    });
    expect(t.configs!.find((c) => c.name === "cleanup.policy")).toEqual({
      name: "cleanup.policy",
      value: "delete",
      readOnly: false,
      configSource: SOURCE.DEFAULT,
      isSensitive: false,
    });
    const md = await client.send(3, 12, {
      topics: [{ topicId: ZERO_UUID, name: "proto-a" }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(md.topics[0]!.topicId).toBe(t.topicId);
  });

  it("CreateTopics honours replica assignments and rejects bad ones", async () => {
    const ok = await createTopic("proto-assigned", -1, { assignments: [[1], [1], [1], [1]] });
    expect([ok.topics[0]!.errorCode, ok.topics[0]!.numPartitions]).toEqual([0, 4]);
    const bad = await createTopic("proto-bad-assign", -1, { assignments: [[1], [2]] });
    expect(bad.topics[0]!.errorCode).toBe(39); // INVALID_REPLICA_ASSIGNMENT
    const both = await createTopic("proto-both", 2, { assignments: [[1]] });
    expect(both.topics[0]!.errorCode).toBe(42); // INVALID_REQUEST
    const dry = await createTopic("proto-dry", 3, { validateOnly: true });
    expect([dry.topics[0]!.errorCode, dry.topics[0]!.topicId, dry.topics[0]!.numPartitions]).toEqual([
      0,
      ZERO_UUID,
      3,
    ]);
    const dup = await client.send(19, 7, {
      topics: ["proto-dup", "proto-dup"].map((name) => ({
        name,
        numPartitions: 1,
        replicationFactor: 1,
        assignments: [],
        configs: [],
      })),
      timeoutMs: 1000,
      validateOnly: false,
    });
    expect(dup.topics.map((x) => [x.name, x.errorCode])).toEqual([["proto-dup", 42]]);
    const names = (await describeTopic("proto-dry", null)).errorCode;
    expect(names).toBe(3); // never created
  });

  it("IncrementalAlterConfigs SET/APPEND/SUBTRACT/DELETE on a topic", async () => {
    let r = await incremental(TOPIC, "proto-a", [
      ["cleanup.policy", OP.APPEND, "compact"],
      ["max.message.bytes", OP.SET, "2000"],
    ]);
    expect(r.responses[0]!.errorCode).toBe(0);
    let d = await describeTopic("proto-a", ["cleanup.policy", "max.message.bytes", "retention.ms"], false);
    expect(d.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([
      ["cleanup.policy", "delete,compact", SOURCE.TOPIC],
      ["max.message.bytes", "2000", SOURCE.TOPIC],
      ["retention.ms", "1000", SOURCE.TOPIC],
    ]);
    r = await incremental(TOPIC, "proto-a", [
      ["cleanup.policy", OP.SUBTRACT, "delete"],
      ["retention.ms", OP.DELETE, null],
    ]);
    expect(r.responses[0]!.errorCode).toBe(0);
    d = await describeTopic("proto-a", ["cleanup.policy", "max.message.bytes", "retention.ms"], false);
    expect(d.configs.map((c) => [c.name, c.value, c.configSource])).toEqual([
      ["cleanup.policy", "compact", SOURCE.TOPIC],
      ["max.message.bytes", "2000", SOURCE.TOPIC],
      ["retention.ms", "604800000", SOURCE.DEFAULT],
    ]);
    // APPEND on a non-list config, bad values, unknown topics: errors, and nothing changes.
    r = await incremental(TOPIC, "proto-a", [["retention.ms", OP.APPEND, "5"]]);
    expect(r.responses[0]!.errorCode).toBe(40);
    r = await incremental(TOPIC, "proto-a", [["cleanup.policy", OP.SET, "shred"]]);
    expect(r.responses[0]!.errorCode).toBe(40);
    r = await incremental(TOPIC, "proto-missing", [["retention.ms", OP.SET, "5"]]);
    expect(r.responses[0]!.errorCode).toBe(3);
    r = await incremental(TOPIC, "proto-a", [["retention.ms", OP.SET, "5"]], true);
    expect(r.responses[0]!.errorCode).toBe(0);
    d = await describeTopic("proto-a", ["retention.ms"], false);
    expect(d.configs.map((c) => [c.value, c.configSource])).toEqual([["604800000", SOURCE.DEFAULT]]);
  });

  it("dynamic broker configs: cluster default, then per broker, shown with their synonym chain", async () => {
    let r = await incremental(BROKER, "", [["log.retention.ms", OP.SET, "86400000"]]);
    expect(r.responses[0]!.errorCode).toBe(0);
    let d = await describeTopic("proto-a", ["retention.ms"]);
    expect(d.configs.map((c) => [c.value, c.configSource, c.synonyms])).toEqual([
      [
        "86400000",
        SOURCE.DYNAMIC_DEFAULT,
        [
          { name: "log.retention.ms", value: "86400000", source: SOURCE.DYNAMIC_DEFAULT },
          { name: "log.retention.hours", value: "168", source: SOURCE.DEFAULT },
        ],
      ],
    ]);
    r = await incremental(BROKER, "1", [["log.retention.ms", OP.SET, "43200000"]]);
    expect(r.responses[0]!.errorCode).toBe(0);
    d = await describeTopic("proto-a", ["retention.ms"]);
    expect(d.configs[0]!.value).toBe("43200000");
    expect(d.configs[0]!.synonyms.map((s) => [s.name, s.value, s.source])).toEqual([
      ["log.retention.ms", "43200000", SOURCE.DYNAMIC_BROKER],
      ["log.retention.ms", "86400000", SOURCE.DYNAMIC_DEFAULT],
      ["log.retention.hours", "168", SOURCE.DEFAULT],
    ]);
    const def = await client.send(32, 4, {
      resources: [{ resourceType: BROKER, resourceName: "", configurationKeys: null }],
      includeSynonyms: true,
      includeDocumentation: false,
    });
    expect(
      def.results[0]!.configs.map((c) => [c.name, c.value, c.readOnly, c.configSource, c.synonyms]),
    ).toEqual([
      [
        "log.retention.ms",
        "86400000",
        false,
        SOURCE.DYNAMIC_DEFAULT,
        [{ name: "log.retention.ms", value: "86400000", source: SOURCE.DYNAMIC_DEFAULT }],
      ],
    ]);
    // Read-only keys, other brokers and bad values are refused.
    expect(
      (await incremental(BROKER, "1", [["log.retention.hours", OP.SET, "1"]])).responses[0]!.errorCode,
    ).toBe(42);
    expect(
      (await incremental(BROKER, "7", [["log.retention.ms", OP.SET, "1"]])).responses[0]!.errorCode,
    ).toBe(42);
    expect(
      (await incremental(BROKER, "", [["message.max.bytes", OP.SET, "big"]])).responses[0]!.errorCode,
    ).toBe(40);
    // Deleting the per-broker value falls back to the cluster default.
    r = await incremental(BROKER, "1", [["log.retention.ms", OP.DELETE, null]]);
    expect(r.responses[0]!.errorCode).toBe(0);
    d = await describeTopic("proto-a", ["retention.ms"], false);
    expect([d.configs[0]!.value, d.configs[0]!.configSource]).toEqual(["86400000", SOURCE.DYNAMIC_DEFAULT]);
    // Legacy AlterConfigs on the default resource replaces the whole set (here: removes it).
    const alt = await client.send(33, 2, {
      resources: [{ resourceType: BROKER, resourceName: "", configs: [] }],
      validateOnly: false,
    });
    expect(alt.responses[0]!.errorCode).toBe(0);
    d = await describeTopic("proto-a", ["retention.ms"], false);
    expect([d.configs[0]!.value, d.configs[0]!.configSource]).toEqual(["604800000", SOURCE.DEFAULT]);
  });

  it("DescribeConfigs v4 gives config types and documentation on request", async () => {
    const r = await client.send(32, 4, {
      resources: [
        {
          resourceType: TOPIC,
          resourceName: "proto-a",
          configurationKeys: ["cleanup.policy", "retention.ms"],
        },
      ],
      includeSynonyms: false,
      includeDocumentation: true,
    });
    const c = r.results[0]!.configs;
    expect(c.map((x) => [x.name, x.configType, x.synonyms])).toEqual([
      ["cleanup.policy", 7, []],
      ["retention.ms", 5, []],
    ]);
    for (const x of c) expect(x.documentation).toMatch(/\w+ \w+/);
    const unknown = await client.send(32, 4, {
      resources: [
        { resourceType: TOPIC, resourceName: "proto-nope", configurationKeys: null },
        { resourceType: BROKER, resourceName: "x", configurationKeys: null },
      ],
      includeSynonyms: false,
      includeDocumentation: false,
    });
    expect(unknown.results.map((x) => [x.resourceName, x.errorCode, x.configs.length])).toEqual([
      ["proto-nope", 3, 0],
      ["x", 42, 0],
    ]);
  });

  it("DescribeCluster v1 lists this broker; the controller endpoint type is refused", async () => {
    const r = await client.send(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(r).toEqual({
      throttleTimeMs: 0,
      errorCode: 0,
      errorMessage: null,
      endpointType: 1,
      clusterId: broker.clusterId,
      controllerId: 1,
      brokers: [{ brokerId: 1, host: "127.0.0.1", port: broker.port, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    });
    const c = await client.send(60, 1, { includeClusterAuthorizedOperations: false, endpointType: 2 });
    expect(c.errorCode).toBe(114); // MISMATCHED_ENDPOINT_TYPE
  });

  it("DescribeLogDirs reports each partition with its size on disk", async () => {
    await createTopic("proto-dirs", 2);
    await produce("proto-dirs", 1, ["one", "two", "three"]);
    const r = await client.send(35, 4, { topics: [{ topic: "proto-dirs", partitions: [0, 1] }] });
    expect(r.errorCode).toBe(0);
    expect(r.results).toHaveLength(1);
    const dir = r.results[0]!;
    expect(dir.logDir).toBe(resolve(broker.dataDir));
    expect(dir.totalBytes).toBeGreaterThan(0n);
    expect(dir.usableBytes).toBeGreaterThan(0n);
    const onDisk = (p: number): bigint => {
      const d = join(broker.dataDir, `proto-dirs-${p}`);
      return readdirSync(d)
        .filter((f) => f.endsWith(".log"))
        .reduce((n, f) => n + BigInt(statSync(join(d, f)).size), 0n);
    };
    expect(onDisk(1)).toBeGreaterThan(0n);
    expect(dir.topics).toEqual([
      {
        name: "proto-dirs",
        partitions: [
          { partitionIndex: 0, partitionSize: 0n, offsetLag: 0n, isFutureKey: false },
          { partitionIndex: 1, partitionSize: onDisk(1), offsetLag: 0n, isFutureKey: false },
        ],
      },
    ]);
  });

  it("DeleteRecords: -1 is the high watermark; past it is OFFSET_OUT_OF_RANGE; compact topics refuse", async () => {
    await createTopic("proto-del", 1);
    await produce("proto-del", 0, ["a", "b", "c", "d", "e"]);
    const del = (offset: bigint, topic = "proto-del") =>
      client.send(21, 2, {
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset }] }],
        timeoutMs: 1000,
      });
    expect((await del(6n)).topics[0]!.partitions[0]).toEqual({
      partitionIndex: 0,
      lowWatermark: -1n,
      errorCode: 1,
    });
    expect((await del(2n)).topics[0]!.partitions[0]).toEqual({
      partitionIndex: 0,
      lowWatermark: 2n,
      errorCode: 0,
    });
    // Moving backwards keeps the low watermark where it is.
    expect((await del(1n)).topics[0]!.partitions[0]).toEqual({
      partitionIndex: 0,
      lowWatermark: 2n,
      errorCode: 0,
    });
    const rest = await kcat(["-b", broker.bootstrap, "-C", "-t", "proto-del", "-o", "beginning", "-e", "-q"]);
    expect(rest.trim().split("\n")).toEqual(["c", "d", "e"]);
    expect((await del(-1n)).topics[0]!.partitions[0]).toEqual({
      partitionIndex: 0,
      lowWatermark: 5n,
      errorCode: 0,
    });
    expect((await del(0n, "proto-nope")).topics[0]!.partitions[0]!.errorCode).toBe(3);
    await createTopic("proto-compact", 1, { configs: [["cleanup.policy", "compact"]] });
    expect((await del(0n, "proto-compact")).topics[0]!.partitions[0]!.errorCode).toBe(44); // POLICY_VIOLATION
  });

  it("OffsetForLeaderEpoch answers the end offset of an epoch and fences stale epochs", async () => {
    await createTopic("proto-epoch", 1);
    await produce("proto-epoch", 0, ["x", "y", "z"]);
    const ask = (currentLeaderEpoch: number, leaderEpoch: number, partition = 0) =>
      client.send(23, 4, {
        replicaId: -1,
        topics: [{ topic: "proto-epoch", partitions: [{ partition, currentLeaderEpoch, leaderEpoch }] }],
      });
    expect((await ask(0, 0)).topics[0]!.partitions[0]).toEqual({
      errorCode: 0,
      partition: 0,
      leaderEpoch: 0,
      endOffset: 3n,
    });
    expect((await ask(-1, 0)).topics[0]!.partitions[0]!.endOffset).toBe(3n);
    expect((await ask(1, 0)).topics[0]!.partitions[0]!.errorCode).toBe(75); // UNKNOWN_LEADER_EPOCH
    expect((await ask(0, 0, 9)).topics[0]!.partitions[0]!.errorCode).toBe(3);
  });

  it("DeleteTopics v6 deletes by topic id; unknown ids get UNKNOWN_TOPIC_ID", async () => {
    const created = await createTopic("proto-byid", 1);
    const id = created.topics[0]!.topicId;
    const r = await client.send(20, 6, {
      topics: [{ name: null, topicId: id }],
      topicNames: [],
      timeoutMs: 1000,
    });
    expect(r.responses).toEqual([{ name: "proto-byid", topicId: id, errorCode: 0, errorMessage: null }]);
    const again = await client.send(20, 6, {
      topics: [{ name: null, topicId: id }],
      topicNames: [],
      timeoutMs: 1000,
    });
    expect(again.responses[0]!.errorCode).toBe(100);
    const byName = await client.send(20, 6, {
      topics: [{ name: "proto-assigned", topicId: ZERO_UUID }],
      topicNames: [],
      timeoutMs: 1000,
    });
    expect(byName.responses[0]!.errorCode).toBe(0);
    const md = JSON.parse(await kcat(["-b", broker.bootstrap, "-L", "-J"])) as {
      topics: { topic: string }[];
    };
    const names = md.topics.map((t) => t.topic);
    expect(names).not.toContain("proto-byid");
    expect(names).not.toContain("proto-assigned");
  });

  it("DescribeTopicPartitions pages by response_partition_limit with a cursor", async () => {
    await createTopic("page-a", 3);
    await createTopic("page-b", 2);
    const ask = (cursor: { topicName: string; partitionIndex: number } | null) =>
      client.send(75, 0, {
        topics: [{ name: "page-b" }, { name: "page-a" }, { name: "page-zz-missing" }],
        responsePartitionLimit: 2,
        cursor,
      });
    const view = (r: Awaited<ReturnType<typeof ask>>) => [
      r.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
      r.nextCursor,
    ];
    let r = await ask(null);
    expect(view(r)).toEqual([[["page-a", 0, [0, 1]]], { topicName: "page-a", partitionIndex: 2 }]);
    r = await ask(r.nextCursor);
    expect(view(r)).toEqual([
      [
        ["page-a", 0, [2]],
        ["page-b", 0, [0]],
      ],
      { topicName: "page-b", partitionIndex: 1 },
    ]);
    r = await ask(r.nextCursor);
    expect(view(r)).toEqual([
      [
        ["page-b", 0, [1]],
        ["page-zz-missing", 3, []],
      ],
      null,
    ]);
    const p = r.topics[0]!.partitions[0]!;
    expect([p.leaderId, p.leaderEpoch, p.replicaNodes, p.isrNodes]).toEqual([1, 0, [1], [1]]);
  });
});
