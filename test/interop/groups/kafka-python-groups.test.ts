import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, REPO_ROOT } from "../../harness/broker-process.js";
import { runTool } from "../../harness/cli-tools.js";
import { kafkaFor, produceSpread, startGroupBroker } from "./helpers.js";

/**
 * kafka-python 2.0.2 KafkaConsumer with group_id and auto-commit: the first run consumes what is
 * there and commits; a second run of the same group sees only what was produced in between.
 */
const SCRIPT = join(REPO_ROOT, "test/interop/groups/fixtures/kafka_python_group.py");
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startGroupBroker({ "num.partitions": "2" });
});

afterAll(async () => {
  await broker?.stop();
  broker?.cleanup();
});

interface RunResult {
  values: string[];
  committed: Record<string, number | null>;
  assignment: number[];
}

async function consume(topic: string, group: string, count: number): Promise<RunResult> {
  const r = await runTool(
    "/usr/bin/python3",
    [SCRIPT, broker.bootstrap, topic, group, String(count)],
    "",
    60_000,
  );
  if (r.code !== 0) throw new Error(`kafka-python script failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  const line = r.stdout.split("\n").find((l) => l.startsWith("{"));
  if (!line) throw new Error(`no result from kafka-python:\n${r.stderr}`);
  return JSON.parse(line) as RunResult;
}

describe("kafka-python consumer group", () => {
  it("auto-commits and resumes from the committed offsets", async () => {
    const kafka = kafkaFor(broker.bootstrap);
    const topic = "kp-group-t";
    await produceSpread(kafka, topic, 2, 10, "x");
    const first = await consume(topic, "kp-g", 10);
    expect(first.assignment).toEqual([0, 1]);
    expect(first.values.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `x-${i}`).sort());
    expect(first.committed).toEqual({ "0": 5, "1": 5 });

    await produceSpread(kafka, topic, 2, 4, "y");
    const second = await consume(topic, "kp-g", 4);
    expect(second.values.sort()).toEqual(["y-0", "y-1", "y-2", "y-3"]);
    expect(second.committed).toEqual({ "0": 7, "1": 7 });

    // The broker agrees (read back with another client).
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId: "kp-g", topics: [topic] });
      expect(t!.partitions.map((p) => p.offset).sort()).toEqual(["7", "7"]);
    } finally {
      await admin.disconnect();
    }
  });
});
