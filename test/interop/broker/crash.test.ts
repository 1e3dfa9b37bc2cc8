import { Kafka, logLevel } from "kafkajs";
import { afterAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";

/**
 * Crash test: kill -9 the broker while a producer (acks=1) is sending, restart it on the same
 * data, and check that every acknowledged record is there at the offset it was acknowledged
 * with, and that the whole log reads to its end.
 */
const brokers: BrokerProcess[] = [];

afterAll(async () => {
  for (const b of brokers) await b.kill9();
  brokers[0]?.cleanup();
});

describe("crash during acks=1 production", () => {
  it("keeps every acknowledged record after kill -9 and restart", async () => {
    const first = await startBroker();
    brokers.push(first);
    const topic = "crash";
    const kafka = new Kafka({
      clientId: "crash-test",
      brokers: [first.bootstrap],
      logLevel: logLevel.NOTHING,
      retry: { retries: 0 },
    });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const acked = new Map<number, string>();
    let stop = false;
    let n = 0;
    // Several concurrent senders so appends are in flight when the process dies.
    const sender = async () => {
      while (!stop) {
        const values = Array.from({ length: 20 }, () => `rec-${n++}-${"z".repeat(100)}`);
        try {
          const [res] = await producer.send({ topic, acks: 1, messages: values.map((value) => ({ value })) });
          const base = Number(res!.baseOffset);
          for (const [i, v] of values.entries()) acked.set(base + i, v);
        } catch {
          return; // the broker is gone
        }
      }
    };
    const senders = [sender(), sender(), sender()];
    const deadline = Date.now() + 30_000;
    while (acked.size < 3000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await first.kill9();
    stop = true;
    await Promise.all(senders);
    await producer.disconnect().catch(() => undefined);
    expect(acked.size).toBeGreaterThanOrEqual(3000);

    const second = await startBroker({ dataDir: first.dataDir });
    brokers.push(second);
    const out = await kcat([
      "-b",
      second.bootstrap,
      "-C",
      "-t",
      topic,
      "-o",
      "beginning",
      "-e",
      "-q",
      "-f",
      "%o %s\\n",
    ]);
    const lines = out.split("\n").filter((l) => l !== "");
    const read = new Map(lines.map((l) => [Number(l.split(" ")[0]), l.split(" ")[1]!]));
    // The log reads to its end: offsets are contiguous from 0.
    expect([...read.keys()]).toEqual(Array.from({ length: read.size }, (_, i) => i));
    for (const [offset, value] of acked) expect(read.get(offset)).toBe(value);
    // And it still accepts writes after recovery.
    await kcat(["-b", second.bootstrap, "-P", "-t", topic], "after-restart\n");
    const tail = await kcat([
      "-b",
      second.bootstrap,
      "-C",
      "-t",
      topic,
      "-o",
      "-1",
      "-e",
      "-q",
      "-f",
      "%o %s\\n",
    ]);
    expect(tail.trim()).toBe(`${read.size} after-restart`);
  });
});
