import type { Consumer, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, runGregor } from "../../harness/broker-process.js";
import { waitFor } from "../../harness/cli-tools.js";
import { kafkaFor, startGroupBroker } from "./helpers.js";

/**
 * `gregor consumer-groups` against a broker whose group is driven by KafkaJS: list, describe
 * (offsets, members, state), reset-offsets (dry run, execute, every scenario) and delete. What the
 * tool reports is checked against KafkaJS's admin client, and a reset is proven by a consumer that
 * re-reads from the new offsets.
 */
let broker: BrokerProcess;
let kafka: Kafka;
let consumer: Consumer | undefined;
const TOPIC = "cli-t";
const T0 = 1_700_000_000_000; // message i of partition p has timestamp T0 + i * 1000

beforeAll(async () => {
  broker = await startGroupBroker({ "num.partitions": "3" });
  kafka = kafkaFor(broker.bootstrap);
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  for (let p = 0; p < 3; p++) {
    await producer.send({
      topic: TOPIC,
      messages: Array.from({ length: 5 }, (_, i) => ({
        partition: p,
        value: `p${p}-${i}`,
        timestamp: String(T0 + i * 1000),
      })),
    });
  }
  await producer.disconnect();
});

afterAll(async () => {
  await consumer?.disconnect().catch(() => undefined);
  await broker?.stop();
  broker?.cleanup();
});

async function cg(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runGregor(["consumer-groups", "--bootstrap-server", broker.bootstrap, ...args]);
}

/** Data rows of a table (header dropped), split on runs of spaces. */
function rows(stdout: string, header: string): string[][] {
  const lines = stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith(header));
  expect(at, `no '${header}' table in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const body: string[][] = [];
  for (const l of lines.slice(at + 1)) {
    if (l.trim() === "") break;
    body.push(l.trim().split(/\s+/));
  }
  return body;
}

async function committed(group: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [TOPIC] });
    return t!.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset);
  } finally {
    await admin.disconnect();
  }
}

describe("gregor consumer-groups", () => {
  it("lists and describes an active group (offsets, lag, members, state)", async () => {
    const seen: string[] = [];
    consumer = kafka.consumer({ groupId: "cli-g", heartbeatInterval: 300 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.value));
      },
    });
    await waitFor("15 messages", () => seen.length >= 15);
    await waitFor("commits at the log end", async () => (await committed("cli-g")).join() === "5,5,5");

    const list = await cg("--list");
    expect(list.code).toBe(0);
    expect(list.stdout.split("\n")).toContain("cli-g");
    const listState = await cg("--list", "--state", "Stable");
    expect(rows(listState.stdout, "GROUP")).toContainEqual(["cli-g", "Stable"]);
    expect(rows((await cg("--list", "--state", "Empty")).stdout, "GROUP")).not.toContainEqual([
      "cli-g",
      "Stable",
    ]);

    const d = await cg("--describe", "--group", "cli-g");
    expect(d.code).toBe(0);
    const table = rows(d.stdout, "GROUP");
    expect(table.map((r) => r.slice(0, 6))).toEqual([
      ["cli-g", TOPIC, "0", "5", "5", "0"],
      ["cli-g", TOPIC, "1", "5", "5", "0"],
      ["cli-g", TOPIC, "2", "5", "5", "0"],
    ]);
    expect(table.every((r) => r[6] !== "-" && r[7] === "/127.0.0.1" && r[8] === "gregor-groups-test")).toBe(
      true,
    );

    const members = rows(
      (await cg("--describe", "--group", "cli-g", "--members", "--verbose")).stdout,
      "GROUP",
    );
    expect(members).toHaveLength(1);
    // GROUP CONSUMER-ID GROUP-INSTANCE-ID HOST CLIENT-ID #PARTITIONS ASSIGNMENT
    expect(members[0]!.slice(2)).toEqual(["-", "/127.0.0.1", "gregor-groups-test", "3", `${TOPIC}(0,1,2)`]);
    const state = rows((await cg("--describe", "--group", "cli-g", "--state")).stdout, "GROUP");
    expect(state[0]).toEqual(["cli-g", broker.bootstrap, "(1)", "RoundRobinAssigner", "Stable", "1"]); // KafkaJS default
  });

  it("refuses to reset an active group", async () => {
    const r = await cg("--reset-offsets", "--group", "cli-g", "--all-topics", "--to-earliest", "--execute");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Assignments can only be reset if the group 'cli-g' is inactive");
    expect(await committed("cli-g")).toEqual(["5", "5", "5"]);
  });

  it("resets offsets of an inactive group for every scenario", async () => {
    await consumer!.disconnect();
    consumer = undefined;
    const dry = await cg(
      "--reset-offsets",
      "--group",
      "cli-g",
      "--topic",
      TOPIC,
      "--to-earliest",
      "--dry-run",
    );
    expect(dry.code).toBe(0);
    expect(rows(dry.stdout, "GROUP").map((r) => r[3])).toEqual(["0", "0", "0"]);
    expect(await committed("cli-g")).toEqual(["5", "5", "5"]); // dry run changed nothing

    const run = (...a: string[]) => cg("--reset-offsets", "--group", "cli-g", ...a, "--execute");
    expect((await run("--topic", TOPIC, "--to-earliest")).code).toBe(0);
    expect(await committed("cli-g")).toEqual(["0", "0", "0"]);
    expect((await run("--topic", `${TOPIC}:1`, "--shift-by", "3")).code).toBe(0);
    expect(await committed("cli-g")).toEqual(["0", "3", "0"]);
    expect((await run("--all-topics", "--shift-by", "-2")).code).toBe(0);
    expect(await committed("cli-g")).toEqual(["0", "1", "0"]); // clamped at the earliest offset
    expect((await run("--topic", `${TOPIC}:0,2`, "--to-offset", "99")).code).toBe(0);
    expect(await committed("cli-g")).toEqual(["5", "1", "5"]); // clamped at the log end
    // The first record at or after T0+2s is offset 2 in every partition.
    const dt = new Date(T0 + 2000).toISOString(); // YYYY-MM-DDTHH:mm:SS.sssZ
    expect((await run("--topic", TOPIC, "--to-datetime", dt)).code).toBe(0);
    expect(await committed("cli-g")).toEqual(["2", "2", "2"]);
    expect((await run("--topic", TOPIC, "--to-latest")).code).toBe(0);
    expect(await committed("cli-g")).toEqual(["5", "5", "5"]);

    // A consumer of the group starts exactly where the reset put it.
    expect((await run("--topic", `${TOPIC}:2`, "--to-offset", "3")).code).toBe(0);
    const seen: string[] = [];
    consumer = kafka.consumer({ groupId: "cli-g", heartbeatInterval: 300 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.value));
      },
    });
    await waitFor("the two re-read messages", () => seen.length >= 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.sort()).toEqual(["p2-3", "p2-4"]);
    await consumer.disconnect();
    consumer = undefined;
  });

  it("deletes an empty group and reports failures with Kafka's error names", async () => {
    await waitFor("the group to be empty", async () => {
      const { groups } = await (async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          return await admin.describeGroups(["cli-g"]);
        } finally {
          await admin.disconnect();
        }
      })();
      return groups[0]!.state === "Empty";
    });
    const delOffsets = await cg("--delete-offsets", "--group", "cli-g", "--topic", `${TOPIC}:0`);
    expect(delOffsets.code).toBe(0);
    expect(rows(delOffsets.stdout, "TOPIC")).toEqual([[TOPIC, "0", "Successful"]]);
    expect(await committed("cli-g")).toEqual(["-1", "5", "5"]);

    const ok = await cg("--delete", "--group", "cli-g");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Deletion of requested consumer groups ('cli-g') was successful.");
    const again = await cg("--delete", "--group", "cli-g");
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("* Group 'cli-g' could not be deleted due to: GROUP_ID_NOT_FOUND");
    const gone = await cg("--describe", "--group", "cli-g");
    expect(gone.stderr).toContain("Consumer group 'cli-g' does not exist.");
  });

  it("answers bad usage and unreachable brokers with clear messages", async () => {
    const noAction = await cg("--group", "x");
    expect(noAction.code).toBe(2);
    expect(noAction.stderr).toContain("exactly one action");
    const noScenario = await cg("--reset-offsets", "--group", "x", "--all-topics");
    expect(noScenario.code).toBe(2);
    const badDate = await cg("--reset-offsets", "--group", "x", "--all-topics", "--to-datetime", "yesterday");
    expect(badDate.code).toBe(2);
    expect(badDate.stderr).toContain("Error parsing date 'yesterday'");
    const unknownTopic = await cg("--reset-offsets", "--group", "x", "--topic", "nope", "--to-latest");
    expect(unknownTopic.code).toBe(1);
    expect(unknownTopic.stderr).toContain("Topic 'nope' does not exist");
    const down = await runGregor(["consumer-groups", "--bootstrap-server", "127.0.0.1:1", "--list"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("cannot connect to 127.0.0.1:1");
  });
});
