import type { Consumer, Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from "vitest";
import type { BrokerProcess } from "../../harness/broker-process.js";
import { waitFor } from "../../harness/cli-tools.js";
import { kafkaFor, produceSpread, startGroupBroker } from "./helpers.js";

/**
 * Three KafkaJS consumers share one group over a six-partition topic. One of them leaves cleanly
 * (commit + LeaveGroup); the other two take over its partitions and nothing committed before
 * the leave is consumed again.
 */
let broker: BrokerProcess;
let kafka: Kafka;
const consumers: Consumer[] = [];

beforeAll(async () => {
  broker = await startGroupBroker({ "num.partitions": "6" });
  kafka = kafkaFor(broker.bootstrap);
});

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  await broker?.stop();
  broker?.cleanup();
});

interface Seen {
  consumer: number;
  partition: number;
  offset: string;
  value: string;
}

describe("KafkaJS consumer group", () => {
  it("shares six partitions among three members and rebalances when one leaves", async () => {
    onTestFailed(() => {
      // The broker's warnings and errors, to tell a coordinator fault from a slow machine.
      const lines = broker.output().split("\n");
      console.error(
        lines
          .filter((l) => /"level":(40|50|60)/.test(l))
          .slice(-40)
          .join("\n"),
      );
    });
    const topic = "kjs-shared";
    await produceSpread(kafka, topic, 6, 60, "a");
    const seen: Seen[] = [];
    const assigned = new Map<number, number[]>();
    for (let i = 0; i < 3; i++) {
      // A short fetch wait lets members notice a rebalance quickly (KafkaJS heartbeats between fetches).
      const c = kafka.consumer({
        groupId: "kjs-g",
        heartbeatInterval: 300,
        sessionTimeout: 20_000,
        maxWaitTimeInMs: 500,
      });
      consumers.push(c);
      c.on(c.events.GROUP_JOIN, (e) => {
        assigned.set(i, (e.payload.memberAssignment[topic] ?? []).slice().sort());
      });
      await c.connect();
      await c.subscribe({ topic, fromBeginning: true });
      await c.run({
        eachMessage: async ({ partition, message }) => {
          seen.push({ consumer: i, partition, offset: message.offset, value: String(message.value) });
        },
      });
    }
    // Every member ends up with two partitions and the first 60 messages are consumed once.
    await waitFor(
      "three members with two partitions each",
      () => assigned.size === 3 && [...assigned.values()].every((a) => a.length === 2),
    );
    await waitFor("60 messages", () => new Set(seen.map((s) => s.value)).size === 60);
    const union = [...assigned.values()].flat().sort();
    expect(union).toEqual([0, 1, 2, 3, 4, 5]);

    // Member 0 leaves cleanly: KafkaJS commits what it processed, then sends LeaveGroup.
    const leaverPartitions = assigned.get(0)!;
    await consumers[0]!.disconnect();
    assigned.delete(0);
    await waitFor(
      "the two remaining members to own all six partitions",
      () => [...assigned.values()].flat().sort().join() === "0,1,2,3,4,5",
    );
    const before = seen.length;
    await produceSpread(kafka, topic, 6, 60, "b");
    await waitFor("the second 60 messages", () => seen.filter((s) => s.value.startsWith("b-")).length >= 60);
    // Give a duplicate delivery a moment to show up before judging.
    await new Promise((r) => setTimeout(r, 500));

    const keys = seen.map((s) => `${s.partition}:${s.offset}`);
    expect(new Set(keys).size).toBe(keys.length); // nothing consumed twice
    const late = seen.slice(before);
    expect(late.every((s) => s.consumer !== 0)).toBe(true);
    for (const p of leaverPartitions) expect(late.some((s) => s.partition === p)).toBe(true);

    // The committed offsets the coordinator holds match the log end of every partition.
    await waitFor("commits to reach the log end", async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [offsets] = await admin.fetchOffsets({ groupId: "kjs-g", topics: [topic] });
        return offsets!.partitions.every((p) => p.offset === "20");
      } finally {
        await admin.disconnect();
      }
    });
  });

  it("describes and lists the group through the admin client", async () => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups } = await admin.describeGroups(["kjs-g", "no-such-group"]);
      const g = groups.find((x) => x.groupId === "kjs-g")!;
      expect(g.state).toBe("Stable");
      expect(g.protocolType).toBe("consumer");
      expect(g.members).toHaveLength(2);
      expect(g.members.every((m) => m.clientHost === "/127.0.0.1")).toBe(true);
      expect(groups.find((x) => x.groupId === "no-such-group")!.state).toBe("Dead");
      const listed = await admin.listGroups();
      expect(listed.groups.map((x) => x.groupId)).toContain("kjs-g");
    } finally {
      await admin.disconnect();
    }
  });

  it("deletes an empty group and its offsets", async () => {
    for (const c of consumers.splice(0)) await c.disconnect().catch(() => undefined);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await waitFor("the group to become empty", async () => {
        const { groups } = await admin.describeGroups(["kjs-g"]);
        return groups[0]!.state === "Empty";
      });
      await admin.deleteGroups(["kjs-g"]);
      const { groups } = await admin.describeGroups(["kjs-g"]);
      expect(groups[0]!.state).toBe("Dead");
      const [offsets] = await admin.fetchOffsets({ groupId: "kjs-g", topics: ["kjs-shared"] });
      expect(offsets!.partitions.every((p) => p.offset === "-1")).toBe(true);
    } finally {
      await admin.disconnect();
    }
  });
});
