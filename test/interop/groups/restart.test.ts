import type { Consumer } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import type { BrokerProcess } from "../../harness/broker-process.js";
import { waitFor } from "../../harness/cli-tools.js";
import { kafkaFor, produceSpread, startGroupBroker } from "./helpers.js";

/**
 * Committed offsets and groups survive broker restarts (clean SIGTERM and a SIGKILL crash): the
 * coordinator reloads __consumer_offsets on start and a KafkaJS consumer that stays connected
 * through the restart resumes from its committed offsets.
 */
let broker: BrokerProcess | undefined;
/** The first process owns the temp data dir; restarts reuse it. */
let owner: BrokerProcess | undefined;
const consumers: Consumer[] = [];

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  await broker?.stop();
  owner?.cleanup();
});

async function committed(bootstrap: string, groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = kafkaFor(bootstrap).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries(t!.partitions.map((p) => [p.partition, p.offset]));
  } finally {
    await admin.disconnect();
  }
}

/** Restart on the same data dir and the same port (clients reconnect to the address they know). */
async function restart(old: BrokerProcess, how: "stop" | "kill9"): Promise<BrokerProcess> {
  if (how === "stop") await old.stop();
  else await old.kill9();
  const listener = `PLAINTEXT://127.0.0.1:${old.port}`;
  return startGroupBroker({ "num.partitions": "3", listeners: listener }, old.dataDir);
}

describe("group state across broker restarts", () => {
  it("keeps committed offsets and resumes the consumer from them", async () => {
    const first = await startGroupBroker({ "num.partitions": "3" });
    broker = first;
    owner = first;
    const kafka = kafkaFor(first.bootstrap);
    const topic = "restart-t";
    await produceSpread(kafka, topic, 3, 30, "a");

    const values: string[] = [];
    const c = kafka.consumer({ groupId: "restart-g", heartbeatInterval: 300, sessionTimeout: 10_000 });
    consumers.push(c);
    await c.connect();
    await c.subscribe({ topic, fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        values.push(String(message.value));
      },
    });
    await waitFor("the first 30 messages", () => values.length >= 30);
    await waitFor(
      "commits of the first 30",
      async () => Object.values(await committed(first.bootstrap, "restart-g", topic)).join() === "10,10,10",
    );

    // Clean restart while the consumer stays connected (it reconnects on its own).
    broker = await restart(first, "stop");
    // The reloaded coordinator answers with the offsets committed before the restart.
    expect(await committed(broker.bootstrap, "restart-g", topic)).toEqual({ 0: "10", 1: "10", 2: "10" });
    await produceSpread(kafkaFor(broker.bootstrap), topic, 3, 30, "b");
    await waitFor("the 30 messages produced after the restart", () =>
      ["b-0", "b-29"].every((v) => values.includes(v)),
    );
    await waitFor(
      "commits of the second 30",
      async () => Object.values(await committed(broker!.bootstrap, "restart-g", topic)).join() === "20,20,20",
    );
    await c.disconnect();
    consumers.pop();

    // Crash (SIGKILL): commits written before the crash are still there.
    broker = await restart(broker, "kill9");
    expect(await committed(broker.bootstrap, "restart-g", topic)).toEqual({ 0: "20", 1: "20", 2: "20" });

    // A new member of the group starts from the committed offsets: only new messages arrive.
    await produceSpread(kafkaFor(broker.bootstrap), topic, 3, 6, "c");
    const after: string[] = [];
    const c2 = kafkaFor(broker.bootstrap).consumer({ groupId: "restart-g", heartbeatInterval: 300 });
    consumers.push(c2);
    await c2.connect();
    await c2.subscribe({ topic, fromBeginning: true });
    await c2.run({
      eachMessage: async ({ message }) => {
        after.push(String(message.value));
      },
    });
    await waitFor("the 6 newest messages", () => after.length >= 6);
    await new Promise((r) => setTimeout(r, 500));
    expect(after.sort()).toEqual(["c-0", "c-1", "c-2", "c-3", "c-4", "c-5"]);
    // Nothing before the committed offsets was delivered twice across the restarts.
    expect(new Set(values).size).toBe(values.length);
  });
});
