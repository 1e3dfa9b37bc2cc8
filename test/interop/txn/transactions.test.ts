import type { Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerConnection } from "../../../protocol/client/kafka-client.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { type BrokerProcess, runGregor } from "../../harness/broker-process.js";
import { runTool, waitFor } from "../../harness/cli-tools.js";
import { kafkaFor, kcatRead, rawConnection, startTxnBroker, valuesOf } from "./helpers.js";

/**
 * Transactions with real clients: KafkaJS transactional producers commit and abort; kcat reads
 * them under read_committed (only committed records, aborted ones filtered through the
 * AbortedTransactions list) and read_uncommitted (everything, in offset order), kafka-python
 * (which has no read_committed in 2.0.2) under read_uncommitted. An
 * open transaction holds the last stable offset back (Fetch and ListOffsets); a second producer
 * with the same transactional id fences the first.
 */
const TOPIC = "txn-t";
let broker: BrokerProcess;
let kafka: Kafka;
const producers: Producer[] = [];

beforeAll(async () => {
  broker = await startTxnBroker();
  kafka = kafkaFor(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: TOPIC, numPartitions: 2 },
      { topic: "txn-open", numPartitions: 1 },
      { topic: "txn-zombie", numPartitions: 1 },
    ],
  });
  await admin.disconnect();
});

afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await broker?.stop();
  broker?.cleanup();
});

async function txProducer(transactionalId: string): Promise<Producer> {
  const p = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 });
  producers.push(p);
  await p.connect();
  return p;
}

async function latestOffset(conn: BrokerConnection, topic: string, isolationLevel: number): Promise<bigint> {
  const r = await conn.sendAt(2, 5, {
    replicaId: -1,
    isolationLevel,
    timeoutMs: 5000,
    topics: [
      {
        name: topic,
        partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
      },
    ],
  });
  const p = r.topics[0]!.partitions[0]!;
  expect(p.errorCode).toBe(ErrorCode.NONE);
  return p.offset;
}

describe("transactions", () => {
  it("KafkaJS commit and abort: read_committed sees only committed records, read_uncommitted all", async () => {
    const p = await txProducer("tx-commit-abort");
    const send = async (values: string[], commit: boolean) => {
      const t = await p.transaction();
      await t.send({ topic: TOPIC, messages: values.map((v, i) => ({ value: v, partition: i % 2 })) });
      if (commit) await t.commit();
      else await t.abort();
    };
    await send(["c1", "c2", "c3"], true);
    await send(["a1", "a2"], false);
    await send(["c4", "c5"], true);
    await send(["a3"], false);
    await send(["c6"], true);

    const committed = valuesOf(await kcatRead(broker.bootstrap, TOPIC, "read_committed"));
    expect(committed).toEqual(["c1", "c3", "c4", "c6", "c2", "c5"]);
    const all = valuesOf(await kcatRead(broker.bootstrap, TOPIC, "read_uncommitted"));
    expect(all).toEqual(["c1", "c3", "a1", "c4", "a3", "c6", "c2", "a2", "c5"]);
  });

  it("kafka-python (read_uncommitted only) sees every data record", async () => {
    // kafka-python 2.0.2 (the Debian package here) has no isolation_level setting (it always reads
    // uncommitted) and hands control records (transaction markers) to the application like data:
    // a client bug fixed in later kafka-python releases. The markers are recognised by their
    // control key (version 0, type 0 = abort / 1 = commit) and checked separately.
    const script = `
import sys
from kafka import KafkaConsumer, TopicPartition
c = KafkaConsumer(bootstrap_servers=sys.argv[1], enable_auto_commit=False,
                  auto_offset_reset='earliest', consumer_timeout_ms=3000)
tps = [TopicPartition('${TOPIC}', p) for p in (0, 1)]
c.assign(tps)
c.seek_to_beginning()
for m in c:
    print('%d:%d:%s:%s' % (m.partition, m.offset, (m.key or b'').hex(), m.value.hex()))
`;
    const r = await runTool("/usr/bin/python3", ["-c", script, broker.bootstrap], "", 45_000);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split(":"));
    const isMarker = (row: string[]) => /^0000000[01]$/.test(row[2]!) && row[3]!.length === 12;
    const data = rows
      .filter((row) => !isMarker(row))
      .map((row) => `${row[0]}:${row[1]}:${Buffer.from(row[3]!, "hex").toString()}`);
    expect(valuesOf(data)).toEqual(["c1", "c3", "a1", "c4", "a3", "c6", "c2", "a2", "c5"]);
    // One marker per transaction and partition it wrote to: 5 on partition 0, 3 on partition 1;
    // the aborts are the second transaction's two and the fourth's one.
    const markers = rows.filter(isMarker);
    expect(markers).toHaveLength(8);
    expect(markers.filter((m) => m[2] === "00000000")).toHaveLength(3);
  });

  it("KafkaJS consumers: read_committed (the default) skips aborted records, readUncommitted sees all", async () => {
    const consume = async (
      groupId: string,
      readUncommitted: boolean,
      expected: number,
    ): Promise<string[]> => {
      const c = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 200 });
      const got: string[] = [];
      await c.connect();
      try {
        await c.subscribe({ topic: TOPIC, fromBeginning: true });
        await c.run({
          eachMessage: async ({ partition, message }) => {
            got.push(`${partition}:${message.offset}:${message.value?.toString()}`);
          },
        });
        await waitFor(`${expected} messages for ${groupId}`, () => got.length >= expected, 30_000);
        // Nothing more arrives (an aborted record would show up here).
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        await c.disconnect();
      }
      return valuesOf(got);
    };
    expect(await consume("rc-group", false, 6)).toEqual(["c1", "c3", "c4", "c6", "c2", "c5"]);
    expect(await consume("ru-group", true, 9)).toEqual([
      "c1",
      "c3",
      "a1",
      "c4",
      "a3",
      "c6",
      "c2",
      "a2",
      "c5",
    ]);
  });

  it("an open transaction holds the last stable offset back until it commits", async () => {
    const conn = await rawConnection(broker);
    try {
      const plain = kafka.producer();
      producers.push(plain);
      await plain.connect();
      await plain.send({ topic: "txn-open", messages: [{ value: "before" }] });
      const p = await txProducer("tx-open");
      const t = await p.transaction();
      await t.send({ topic: "txn-open", messages: [{ value: "open-1" }, { value: "open-2" }] });
      await plain.send({ topic: "txn-open", messages: [{ value: "after" }] });

      expect(await latestOffset(conn, "txn-open", 0)).toBe(4n);
      expect(await latestOffset(conn, "txn-open", 1)).toBe(1n);
      expect(valuesOf(await kcatRead(broker.bootstrap, "txn-open", "read_committed"))).toEqual(["before"]);
      expect(valuesOf(await kcatRead(broker.bootstrap, "txn-open", "read_uncommitted"))).toEqual([
        "before",
        "open-1",
        "open-2",
        "after",
      ]);
      await t.commit();
      // The marker is written right after EndTxn is answered.
      await waitFor(
        "LSO to move past the marker",
        async () => (await latestOffset(conn, "txn-open", 1)) === 5n,
      );
      expect(valuesOf(await kcatRead(broker.bootstrap, "txn-open", "read_committed"))).toEqual([
        "before",
        "open-1",
        "open-2",
        "after",
      ]);
    } finally {
      conn.close();
    }
  });

  it("zombie fencing: a second producer with the same transactional id fences the first", async () => {
    const old = await txProducer("tx-zombie");
    const t1 = await old.transaction();
    await t1.send({ topic: "txn-zombie", messages: [{ value: "zombie-1" }] });

    // The new instance bumps the epoch; its InitProducerId aborts the zombie's open transaction.
    const fresh = await txProducer("tx-zombie");
    const t2 = await fresh.transaction();
    await t2.send({ topic: "txn-zombie", messages: [{ value: "fresh-1" }] });
    await t2.commit();

    const zombieSend = t1
      .send({ topic: "txn-zombie", messages: [{ value: "zombie-2" }] })
      .then(() => t1.commit());
    await expect(zombieSend).rejects.toThrow(/fenced|epoch|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/i);

    const committed = valuesOf(await kcatRead(broker.bootstrap, "txn-zombie", "read_committed"));
    expect(committed).toEqual(["fresh-1"]);
    const all = valuesOf(await kcatRead(broker.bootstrap, "txn-zombie", "read_uncommitted"));
    expect(all).not.toContain("zombie-2");
  });

  it("gregor transactions list / describe / describe-producers", async () => {
    const usage = await runGregor(["transactions", "--bootstrap-server", broker.bootstrap, "frobnicate"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/unknown command 'frobnicate'/);
    const noId = await runGregor(["transactions", "--bootstrap-server", broker.bootstrap, "describe"]);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toMatch(/--transactional-id/);
    const list = await runGregor(["transactions", "--bootstrap-server", broker.bootstrap, "list"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/tx-commit-abort\s+\d+\s+\d+\s+CompleteCommit/);
    expect(list.stdout).toMatch(/tx-zombie/);

    const d = await runGregor([
      "transactions",
      "--bootstrap-server",
      broker.bootstrap,
      "describe",
      "--transactional-id",
      "tx-commit-abort",
    ]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/CompleteCommit/);

    const missing = await runGregor([
      "transactions",
      "--bootstrap-server",
      broker.bootstrap,
      "describe",
      "--transactional-id",
      "no-such-id",
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/TRANSACTIONAL_ID_NOT_FOUND/);

    const prod = await runGregor([
      "transactions",
      "--bootstrap-server",
      broker.bootstrap,
      "describe-producers",
      "--topic",
      "txn-zombie",
      "--partition",
      "0",
    ]);
    expect(prod.code, prod.stderr).toBe(0);
    expect(prod.stdout.trim().split("\n").length).toBeGreaterThanOrEqual(2);
  });
});
