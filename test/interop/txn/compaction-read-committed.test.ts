import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerProcess } from "../../harness/broker-process.js";
import { kafkaFor, kcatRead, startTxnBroker } from "./helpers.js";

/**
 * Transaction-aware compaction through a real broker: a compacted topic holding plain records,
 * an aborted transaction and a committed one is cleaned by the background cleaner (tiny segments,
 * dirty ratio 0.01, no lags, cleaner every 200 ms). Afterwards kcat under read_committed sees
 * exactly the latest committed value per key, and a read_uncommitted read no longer contains the
 * aborted records (the cleaner dropped them) or the overwritten ones.
 */
const TOPIC = "compact-txn";

let broker: BrokerProcess;
let kafka: Kafka;

beforeAll(async () => {
  broker = await startTxnBroker({ "log.cleaner.backoff.ms": "200" });
  kafka = kafkaFor(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        {
          topic: TOPIC,
          numPartitions: 1,
          configEntries: [
            { name: "cleanup.policy", value: "compact" },
            { name: "segment.bytes", value: "200" },
            { name: "min.cleanable.dirty.ratio", value: "0.01" },
            { name: "delete.retention.ms", value: "0" },
            { name: "min.compaction.lag.ms", value: "0" },
          ],
        },
      ],
    });
  } finally {
    await admin.disconnect();
  }
});

afterAll(async () => {
  await broker?.stop();
  broker?.cleanup();
});

async function plain(messages: [string, string][]): Promise<void> {
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  try {
    // One send per record: separate batches, so the tiny segments roll between them.
    for (const [key, value] of messages) await p.send({ topic: TOPIC, acks: -1, messages: [{ key, value }] });
  } finally {
    await p.disconnect();
  }
}

async function transaction(messages: [string, string][], outcome: "commit" | "abort"): Promise<void> {
  const p = kafka.producer({
    transactionalId: `compact-${outcome}`,
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await p.connect();
  try {
    const txn = await p.transaction();
    for (const [key, value] of messages) await txn.send({ topic: TOPIC, messages: [{ key, value }] });
    if (outcome === "commit") await txn.commit();
    else await txn.abort();
  } finally {
    await p.disconnect();
  }
}

const values = (lines: string[]): string[] => lines.map((l) => l.split(":").slice(2).join(":")).sort();

describe("compaction of a topic with transactions", () => {
  it("read_committed sees the latest committed values; aborted and overwritten records are gone", async () => {
    await plain([
      ["k1", "old1"],
      ["k2", "old2"],
    ]);
    await transaction(
      [
        ["k1", "aborted1"],
        ["k3", "aborted3"],
      ],
      "abort",
    );
    await transaction(
      [
        ["k1", "new1"],
        ["k2", "new2"],
      ],
      "commit",
    );
    // Distinct keys after the transactions push them out of the active (never cleaned) segment.
    await plain([
      ["k4", "v4"],
      ["f0", "f0"],
      ["f1", "f1"],
      ["f2", "f2"],
    ]);
    const expected = ["f0", "f1", "f2", "new1", "new2", "v4"];
    // The cleaner runs every 200 ms, so it may already have cleaned part of the log by now; what
    // is read at the end is fixed either way.
    expect(values(await kcatRead(broker.bootstrap, TOPIC, "read_committed"))).toEqual(
      expect.arrayContaining(expected),
    );

    const deadline = Date.now() + 20_000;
    let uncommitted = values(await kcatRead(broker.bootstrap, TOPIC, "read_uncommitted"));
    while (uncommitted.some((v) => v.startsWith("aborted") || v.startsWith("old"))) {
      if (Date.now() > deadline) throw new Error(`cleaner did not run; still read: ${uncommitted.join(",")}`);
      await new Promise((r) => setTimeout(r, 200));
      uncommitted = values(await kcatRead(broker.bootstrap, TOPIC, "read_uncommitted"));
    }
    expect(uncommitted).toEqual(expected);
    expect(values(await kcatRead(broker.bootstrap, TOPIC, "read_committed"))).toEqual(expected);
  });
});
