import type { Admin, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerConnection } from "../../../protocol/client/kafka-client.js";
import type { BrokerProcess } from "../../harness/broker-process.js";
import { kafkaFor, rawConnection, startTxnBroker } from "./helpers.js";

/**
 * ListOffsets is bounded by the isolation level's last fetchable offset, as in Kafka's
 * Partition.fetchOffsetForTimestamp: the last stable offset for read_committed, the high
 * watermark for read_uncommitted. A timestamp (or max-timestamp) hit at or past the bound is
 * answered as "no offset" (-1/-1); latest (-1) answers the bound itself; earliest is not bounded.
 *
 * Layout (KafkaJS producers): offset 0 plain (ts BASE), 1-2 an OPEN transaction (BASE+10,
 * BASE+11), 3 plain (BASE+20). LSO = 1, high watermark = 4.
 */
const TOPIC = "lo-isolation";
const BASE = 1_700_000_000_000;
let broker: BrokerProcess;
let admin: Admin;
let plain: Producer;
let txn: Producer;
let conn: BrokerConnection;

beforeAll(async () => {
  broker = await startTxnBroker();
  const kafka = kafkaFor(broker.bootstrap, "lo-isolation");
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
  plain = kafka.producer();
  await plain.connect();
  txn = kafka.producer({ transactionalId: "lo-isolation-tx", idempotent: true, maxInFlightRequests: 1 });
  await txn.connect();
  const msg = (v: string, ts: number) => ({ value: v, timestamp: String(ts) });
  await plain.send({ topic: TOPIC, acks: -1, messages: [msg("c0", BASE)] });
  const t = await txn.transaction();
  await t.send({ topic: TOPIC, acks: -1, messages: [msg("open1", BASE + 10), msg("open2", BASE + 11)] });
  await plain.send({ topic: TOPIC, acks: -1, messages: [msg("c3", BASE + 20)] });
  // The transaction is deliberately left open.
  conn = await rawConnection(broker);
}, 60_000);

afterAll(async () => {
  conn?.close();
  await plain?.disconnect();
  await txn?.disconnect();
  await admin?.disconnect();
  await broker?.stop();
  broker?.cleanup();
});

async function listOffset(isolationLevel: 0 | 1, timestamp: bigint): Promise<[bigint, bigint, number]> {
  const r = await conn.sendAt(2, 7, {
    replicaId: -1,
    isolationLevel,
    timeoutMs: 0,
    topics: [
      {
        name: TOPIC,
        partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }],
      },
    ],
  });
  const p = r.topics[0]!.partitions[0]!;
  return [p.offset, p.timestamp, p.errorCode];
}

describe("ListOffsets bounded by the isolation level (open transaction)", () => {
  it("KafkaJS admin (read_committed): a timestamp past the LSO finds no offset, so it falls back to latest = LSO", async () => {
    const [atEnd] = await admin.fetchTopicOffsetsByTimestamp(TOPIC, BASE + 20);
    expect(atEnd).toEqual({ partition: 0, offset: "1" });
    const [first] = await admin.fetchTopicOffsetsByTimestamp(TOPIC, BASE);
    expect(first).toEqual({ partition: 0, offset: "0" });
  });

  it("read_committed: hits at/after the LSO are -1/-1; latest is the LSO; earliest unbounded", async () => {
    expect(await listOffset(1, BigInt(BASE + 10))).toEqual([-1n, -1n, 0]);
    expect(await listOffset(1, BigInt(BASE + 20))).toEqual([-1n, -1n, 0]);
    expect(await listOffset(1, -3n)).toEqual([-1n, -1n, 0]); // max timestamp is at offset 3
    expect(await listOffset(1, BigInt(BASE))).toEqual([0n, BigInt(BASE), 0]);
    expect(await listOffset(1, -1n)).toEqual([1n, -1n, 0]);
    expect(await listOffset(1, -2n)).toEqual([0n, -1n, 0]);
  });

  it("read_uncommitted: bounded by the high watermark only, so the open transaction's records are found", async () => {
    expect(await listOffset(0, BigInt(BASE + 10))).toEqual([1n, BigInt(BASE + 10), 0]);
    expect(await listOffset(0, -3n)).toEqual([3n, BigInt(BASE + 20), 0]);
    expect(await listOffset(0, -1n)).toEqual([4n, -1n, 0]);
  });
});
