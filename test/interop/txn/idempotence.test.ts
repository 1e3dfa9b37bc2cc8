import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerConnection } from "../../../protocol/client/kafka-client.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { runTool } from "../../harness/cli-tools.js";
import { kafkaFor, kcatRead, rawConnection, startTxnBroker, TXN_TEST_OVERRIDES } from "./helpers.js";

/**
 * Idempotent producers against a real broker process: a retried batch (the same bytes sent again,
 * as a producer retrying after a lost response does) is answered with the original offset and is
 * not written twice — also after a clean restart (producer snapshot) and after kill -9 (state
 * rebuilt from the log); gaps get OUT_OF_ORDER_SEQUENCE_NUMBER and old epochs
 * INVALID_PRODUCER_EPOCH. librdkafka (kcat, enable.idempotence=true) produces without errors.
 */
const TOPIC = "idem";
let broker: BrokerProcess;
let conn: BrokerConnection;
let producerId = -1n;

beforeAll(async () => {
  broker = await startTxnBroker();
  const admin = kafkaFor(broker.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  await admin.disconnect();
  conn = await rawConnection(broker);
});

afterAll(async () => {
  conn?.close();
  await broker?.stop();
  broker?.cleanup();
});

function batch(seq: number, count: number, epoch = 0, pid = producerId): Promise<Buffer> {
  return buildBatch({
    records: Array.from({ length: count }, (_, i) => ({ value: Buffer.from(`v${seq + i}`) })),
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
  });
}

async function produce(
  c: BrokerConnection,
  records: Buffer,
): Promise<{ errorCode: number; baseOffset: bigint }> {
  const r = await c.sendAt(0, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5000,
    topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
  });
  const p = r.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

async function restart(how: "clean" | "kill9"): Promise<void> {
  conn.close();
  if (how === "clean") await broker.stop();
  else await broker.kill9();
  broker = await startBroker({ dataDir: broker.dataDir, overrides: TXN_TEST_OVERRIDES });
  conn = await rawConnection(broker);
}

describe("idempotent produce", () => {
  it("InitProducerId without a transactional id gives a fresh id at epoch 0", async () => {
    const a = await conn.sendAt(22, 4, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    const b = await conn.sendAt(22, 4, {
      transactionalId: null,
      transactionTimeoutMs: 60000,
      producerId: -1n,
      producerEpoch: -1,
    });
    expect(a.errorCode).toBe(ErrorCode.NONE);
    expect(a.producerEpoch).toBe(0);
    expect(b.producerId).not.toBe(a.producerId);
    producerId = a.producerId;
  });

  it("a resent batch gets its original offset and is stored once", async () => {
    const first = await batch(0, 3);
    expect(await produce(conn, first)).toEqual({ errorCode: 0, baseOffset: 0n });
    expect(await produce(conn, first)).toEqual({ errorCode: 0, baseOffset: 0n });
    const second = await batch(3, 2);
    expect(await produce(conn, second)).toEqual({ errorCode: 0, baseOffset: 3n });
    // An older retried batch (within the last five) is still recognised.
    expect(await produce(conn, first)).toEqual({ errorCode: 0, baseOffset: 0n });
    expect(await produce(conn, second)).toEqual({ errorCode: 0, baseOffset: 3n });
    const values = (await kcatRead(broker.bootstrap, TOPIC, "read_uncommitted")).map((l) => l.split(":")[2]);
    expect(values).toEqual(["v0", "v1", "v2", "v3", "v4"]);
  });

  it("a gap in sequence numbers is OUT_OF_ORDER_SEQUENCE_NUMBER and writes nothing", async () => {
    const r = await produce(conn, await batch(9, 1));
    expect(r.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    expect(await kcatRead(broker.bootstrap, TOPIC, "read_uncommitted")).toHaveLength(5);
  });

  it("a newer epoch restarts at sequence 0; the older epoch is then INVALID_PRODUCER_EPOCH", async () => {
    expect((await produce(conn, await batch(0, 1, 1))).errorCode).toBe(ErrorCode.NONE);
    expect((await produce(conn, await batch(5, 1, 0))).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await produce(conn, await batch(7, 1, 1))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect((await produce(conn, await batch(1, 1, 1))).errorCode).toBe(ErrorCode.NONE);
  });

  it("duplicates are still detected after a clean restart (producer snapshot)", async () => {
    await restart("clean");
    expect(await produce(conn, await batch(1, 1, 1))).toEqual({ errorCode: 0, baseOffset: 6n });
    expect((await produce(conn, await batch(3, 1, 1))).errorCode).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
  });

  it("duplicates are still detected after kill -9 (state rebuilt from the log)", async () => {
    const next = await batch(2, 4, 1);
    expect(await produce(conn, next)).toEqual({ errorCode: 0, baseOffset: 7n });
    await restart("kill9");
    expect(await produce(conn, next)).toEqual({ errorCode: 0, baseOffset: 7n });
    expect(await produce(conn, await batch(6, 1, 1))).toEqual({ errorCode: 0, baseOffset: 11n });
    const values = (await kcatRead(broker.bootstrap, TOPIC, "read_uncommitted")).map((l) => l.split(":")[2]);
    expect(values).toEqual(["v0", "v1", "v2", "v3", "v4", "v0", "v1", "v2", "v3", "v4", "v5", "v6"]);
  });

  it("librdkafka (kcat -X enable.idempotence=true) produces without errors", async () => {
    const lines = Array.from({ length: 300 }, (_, i) => `k${i}`).join("\n");
    const r = await runTool(
      "kcat",
      ["-P", "-b", broker.bootstrap, "-t", "idem-kcat", "-X", "enable.idempotence=true", "-X", "linger.ms=5"],
      `${lines}\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/error|fatal/i);
    const got = (await kcatRead(broker.bootstrap, "idem-kcat", "read_uncommitted")).map(
      (l) => l.split(":")[2],
    );
    expect(got).toHaveLength(300);
    expect(new Set(got).size).toBe(300);
  });

  it("KafkaJS idempotent producer (InitProducerId through the Metadata controller id) produces once", async () => {
    const kafka = kafkaFor(broker.bootstrap);
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    try {
      for (let i = 0; i < 5; i++) {
        await p.send({
          topic: "idem-kafkajs",
          messages: Array.from({ length: 20 }, (_, j) => ({ value: `m${i * 20 + j}` })),
        });
      }
    } finally {
      await p.disconnect();
    }
    const got = (await kcatRead(broker.bootstrap, "idem-kafkajs", "read_uncommitted")).map(
      (l) => l.split(":")[2],
    );
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => `m${i}`));
    const producers = await conn.sendAt(61, 0, { topics: [{ name: "idem-kafkajs", partitionIndexes: [0] }] });
    const active = producers.topics[0]!.partitions[0]!.activeProducers;
    expect(active).toHaveLength(1);
    expect(active[0]!.lastSequence).toBe(99);
  });
});
