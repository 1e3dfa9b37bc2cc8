import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat, runTool } from "../../harness/cli-tools.js";

/**
 * kafka-python 2.0.2's KafkaAdminClient (the Debian python3-kafka package) against a fresh
 * broker: create_topics (with configs, validate_only and errors), describe_configs for a topic and
 * the broker with synonyms, alter_configs, create_partitions and delete_topics. After each change
 * kcat -L (librdkafka) must see the same cluster.
 */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ overrides: { "log.segment.bytes": "10485760" } });
});

afterAll(async () => {
  await broker?.stop();
  broker?.cleanup();
});

const PRELUDE = `
import json, sys
from kafka.admin import KafkaAdminClient, NewTopic, NewPartitions, ConfigResource, ConfigResourceType
admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], client_id="py-admin", request_timeout_ms=10000)
def out(x):
    print(json.dumps(x))
def topic_errors(resp):
    return [[t[0], t[1]] for t in resp.topic_errors]
`;

async function python(body: string): Promise<unknown[]> {
  const r = await runTool("/usr/bin/python3", ["-c", `${PRELUDE}\n${body}\nadmin.close()`, broker.bootstrap]);
  if (r.code !== 0) throw new Error(`python exited ${r.code}: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
}

interface KcatTopic {
  topic: string;
  partitions: { partition: number; leader: number; replicas: { id: number }[] }[];
}

async function kcatTopics(): Promise<Map<string, number[]>> {
  const md = JSON.parse(await kcat(["-b", broker.bootstrap, "-L", "-J"])) as { topics: KcatTopic[] };
  return new Map(md.topics.map((t) => [t.topic, t.partitions.map((p) => p.partition).sort((a, b) => a - b)]));
}

describe("kafka-python KafkaAdminClient interop", () => {
  it("create_topics: creates with configs, validate_only creates nothing, errors per topic", async () => {
    const out = await python(`
r = admin.create_topics([NewTopic("py-events", 3, 1, topic_configs={"retention.ms": "7200000", "cleanup.policy": "compact,delete"})])
out(topic_errors(r))
r = admin.create_topics([NewTopic("py-dry", 2, 1)], validate_only=True)
out(topic_errors(r))
from kafka.errors import KafkaError
for t in [NewTopic("py-events", 1, 1), NewTopic("py-rf", 1, 2), NewTopic("py bad", 1, 1), NewTopic("py-cfg", 1, 1, topic_configs={"preallocate": "perhaps"})]:
    try:
        admin.create_topics([t])
        out([t.name, "ok"])
    except KafkaError as e:
        out([t.name, type(e).__name__])
`);
    expect(out).toEqual([
      [["py-events", 0]],
      [["py-dry", 0]],
      ["py-events", "TopicAlreadyExistsError"],
      ["py-rf", "InvalidReplicationFactorError"],
      ["py bad", "InvalidTopicError"],
      ["py-cfg", "InvalidConfigurationError"],
    ]);
    const topics = await kcatTopics();
    expect(topics.get("py-events")).toEqual([0, 1, 2]);
    expect(topics.has("py-dry")).toBe(false);
  });

  it("describe_configs: topic overrides and broker values with sources and synonyms", async () => {
    const out = await python(`
wanted = {"retention.ms", "cleanup.policy", "segment.bytes", "max.message.bytes"}
r = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "py-events")], include_synonyms=True)
res = r[0].resources[0]
out([res[0], res[3], sorted([[e[0], e[1], e[2], e[3], [list(s) for s in e[5]]] for e in res[4] if e[0] in wanted])])
r = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1", {"log.segment.bytes": None, "log.retention.hours": None})], include_synonyms=True)
res = r[0].resources[0]
out([res[0], res[3], sorted([[e[0], e[1], e[2], e[3], [list(s) for s in e[5]]] for e in res[4]])])
`);
    expect(out).toEqual([
      [
        0,
        "py-events",
        [
          [
            "cleanup.policy",
            "compact,delete",
            false,
            1,
            [
              ["cleanup.policy", "compact,delete", 1],
              ["log.cleanup.policy", "delete", 5],
            ],
          ],
          ["max.message.bytes", "1048588", false, 5, [["message.max.bytes", "1048588", 5]]],
          // Backed by log.retention.hours only, so Kafka lists no broker synonym after the override.
          ["retention.ms", "7200000", false, 1, [["retention.ms", "7200000", 1]]],
          [
            "segment.bytes",
            "10485760",
            false,
            4,
            [
              ["log.segment.bytes", "10485760", 4],
              ["log.segment.bytes", "1073741824", 5],
            ],
          ],
        ],
      ],
      [
        0,
        "1",
        [
          ["log.retention.hours", "168", true, 5, [["log.retention.hours", "168", 5]]],
          [
            "log.segment.bytes",
            "10485760",
            false,
            4,
            [
              ["log.segment.bytes", "10485760", 4],
              ["log.segment.bytes", "1073741824", 5],
            ],
          ],
        ],
      ],
    ]);
  });

  it("alter_configs replaces the override set; create_partitions grows the topic", async () => {
    const out = await python(`
r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "py-events", configs={"retention.bytes": "5000000"})])
out([[x[0], x[2], x[3]] for x in r.resources])
r = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "py-events", configs={"segment.bytes": "1"})])
out([[x[0], x[2], x[3]] for x in r.resources])
r = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, "py-events", {"retention.bytes": None, "retention.ms": None, "cleanup.policy": None})])
out(sorted([[e[0], e[1], e[3]] for e in r[0].resources[0][4]]))
r = admin.create_partitions({"py-events": NewPartitions(6)})
out([[t[0], t[1]] for t in r.topic_errors])
`);
    expect(out).toEqual([
      [[0, 2, "py-events"]],
      // segment.bytes below Kafka's minimum of 14: rejected, nothing changes.
      [[40, 2, "py-events"]],
      [
        ["cleanup.policy", "delete", 5],
        ["retention.bytes", "5000000", 1],
        ["retention.ms", "604800000", 5],
      ],
      [["py-events", 0]],
    ]);
    expect((await kcatTopics()).get("py-events")).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("delete_topics removes the topic; an unknown topic is an error", async () => {
    const out = await python(`
r = admin.delete_topics(["py-events"])
out([[t[0], t[1]] for t in r.topic_error_codes])
from kafka.errors import KafkaError
try:
    admin.delete_topics(["py-never"])
    out("ok")
except KafkaError as e:
    out(type(e).__name__)
`);
    expect(out).toEqual([[["py-events", 0]], "UnknownTopicOrPartitionError"]);
    expect((await kcatTopics()).has("py-events")).toBe(false);
  });
});
