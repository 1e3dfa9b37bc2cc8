import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { LocalController } from "../../../broker/metadata/controller.js";
import { MetadataImage } from "../../../broker/metadata/image.js";
import { LocalMetadataLog } from "../../../broker/metadata/local-log.js";
import {
  decodeMetadataRecord,
  encodeMetadataRecord,
  type MetadataRecord,
} from "../../../broker/metadata/records.js";
import { METADATA_TOPIC_UUID, randomUuid } from "../../../broker/metadata/uuid.js";
import { defaultLogConfig } from "../../../broker/storage/config.js";
import { PartitionLog } from "../../../broker/storage/partition-log.js";
import { ErrorCode, KafkaError } from "../../../protocol/errors/index.js";

const dirs: string[] = [];
const logs: PartitionLog[] = [];
afterEach(async () => {
  for (const l of logs.splice(0)) await l.close().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function openPartition(dir?: string): PartitionLog {
  const d = dir ?? mkdtempSync(join(tmpdir(), "gregor-mdlog-"));
  if (!dir) dirs.push(d);
  const init = {
    dir: join(d, "__cluster_metadata-0"),
    topic: "__cluster_metadata",
    partition: 0,
    topicId: METADATA_TOPIC_UUID,
    config: { ...defaultLogConfig(), retentionMs: -1 },
  };
  const l = dir ? PartitionLog.load(init) : PartitionLog.create(init);
  logs.push(l);
  return l;
}

const silent = pino({ level: "silent" });

async function controllerOn(p: PartitionLog) {
  const { log, records } = await LocalMetadataLog.open(p);
  const image = MetadataImage.EMPTY.apply(
    records.map((r) => r.record),
    records.at(-1)?.offset ?? -1n,
  );
  return new LocalController(log, image, { nodeId: 1, logDefaults: defaultLogConfig, log: silent });
}

describe("metadata records", () => {
  it("frame records as Kafka's metadata log does", () => {
    const topicId = randomUuid();
    const rec: MetadataRecord = { type: "TopicRecord", data: { name: "orders", topicId } };
    const buf = encodeMetadataRecord(rec);
    // frame version 1, type 2 (TopicRecord), version 0, then the flexible body
    expect([...buf.subarray(0, 3)]).toEqual([1, 2, 0]);
    expect(decodeMetadataRecord(buf)).toEqual({ ...rec, version: 0 });
    expect(() => decodeMetadataRecord(Buffer.from([2, 2, 0]))).toThrow(/frame version/);
  });
});

describe("local controller and metadata log", () => {
  it("creates topics, changes configs, deletes topics, and replays to the same image", async () => {
    const p = openPartition();
    const c = await controllerOn(p);
    const seen: string[] = [];
    c.onChange((ch) => {
      seen.push(ch.records.map((r) => r.type).join(","));
    });
    const t = await c.createTopic({
      name: "orders",
      numPartitions: 3,
      replicationFactor: 1,
      configs: new Map([["retention.ms", "1000"]]),
    });
    expect([...t.partitions.keys()]).toEqual([0, 1, 2]);
    expect(t.partitions.get(2)).toMatchObject({ leader: 1, replicas: [1], isr: [1], leaderEpoch: 0 });
    expect(t.configs.get("retention.ms")).toBe("1000");
    await c.createTopic({ name: "gone", numPartitions: 1, replicationFactor: 1 });
    await c.alterTopicConfigs(
      "orders",
      new Map([
        ["cleanup.policy", "compact"],
        ["retention.ms", null],
      ]),
    );
    await c.createPartitions("orders", 5);
    await c.deleteTopic(c.image.topic("gone")!.id);
    expect(seen[0]).toBe("TopicRecord,ConfigRecord,PartitionRecord,PartitionRecord,PartitionRecord");
    const image = c.image;
    expect([...image.topicsByName.keys()]).toEqual(["orders"]);
    expect(Object.fromEntries(image.topic("orders")!.configs)).toEqual({ "cleanup.policy": "compact" });
    expect(image.topic("orders")!.partitions.size).toBe(5);
    await p.close();

    const replayed = await controllerOn(openPartition(join(p.dir, "..")));
    expect(replayed.image.topic("orders")).toEqual(image.topic("orders"));
    expect(replayed.image.topic("gone")).toBeUndefined();
    expect(replayed.image.offset).toBe(image.offset);
  });

  it("rejects bad specs with Kafka's error codes and commits nothing", async () => {
    const p = openPartition();
    const c = await controllerOn(p);
    const code = async (f: () => Promise<unknown>) => {
      try {
        await f();
        return 0;
      } catch (e) {
        return (e as KafkaError).code;
      }
    };
    expect(await code(() => c.createTopic({ name: "a/b", numPartitions: 1, replicationFactor: 1 }))).toBe(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    );
    expect(await code(() => c.createTopic({ name: "x", numPartitions: 0, replicationFactor: 1 }))).toBe(
      ErrorCode.INVALID_PARTITIONS,
    );
    expect(await code(() => c.createTopic({ name: "x", numPartitions: 1, replicationFactor: 3 }))).toBe(
      ErrorCode.INVALID_REPLICATION_FACTOR,
    );
    expect(
      await code(() =>
        c.createTopic({
          name: "x",
          numPartitions: 1,
          replicationFactor: 1,
          configs: new Map([["bogus", "1"]]),
        }),
      ),
    ).toBe(ErrorCode.INVALID_CONFIG);
    expect(
      await code(() =>
        c.createTopic({
          name: "x",
          numPartitions: 1,
          replicationFactor: 1,
          configs: new Map([["retention.ms", "abc"]]),
        }),
      ),
    ).toBe(ErrorCode.INVALID_CONFIG);
    expect(p.logEndOffset).toBe(0n);
    await c.createTopic({ name: "a.b", numPartitions: 1, replicationFactor: 1 });
    expect(await code(() => c.createTopic({ name: "a.b", numPartitions: 1, replicationFactor: 1 }))).toBe(
      ErrorCode.TOPIC_ALREADY_EXISTS,
    );
    expect(await code(() => c.createTopic({ name: "a_b", numPartitions: 1, replicationFactor: 1 }))).toBe(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
    );
    expect(await code(() => c.createPartitions("a.b", 1))).toBe(ErrorCode.INVALID_PARTITIONS);
    expect(await code(() => c.deleteTopic(randomUuid()))).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
    expect(KafkaError).toBeDefined();
  });

  it("creates a topic once when two creations race", async () => {
    const c = await controllerOn(openPartition());
    const results = await Promise.allSettled([
      c.createTopic({ name: "race", numPartitions: 1, replicationFactor: 1 }),
      c.createTopic({ name: "race", numPartitions: 1, replicationFactor: 1 }),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect(c.image.topicsByName.size).toBe(1);
  });
});
