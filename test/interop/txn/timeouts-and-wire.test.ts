import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerConnection } from "../../../protocol/client/kafka-client.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import type { BrokerProcess } from "../../harness/broker-process.js";
import { waitFor } from "../../harness/cli-tools.js";
import { kafkaFor, kcatRead, rawConnection, startTxnBroker, valuesOf } from "./helpers.js";

/**
 * Transaction timeouts (transaction.max.timeout.ms, aborting transactions that outlive their
 * timeout) and the transaction APIs at the wire level: AddPartitionsToTxn in its v0-3 and v4+
 * batched/VerifyOnly forms, PRODUCER_FENCED downgraded for old versions, produce-side partition
 * verification (KIP-890) for Produce and TxnOffsetCommit, ListTransactions filters and
 * WriteTxnMarkers.
 */
let broker: BrokerProcess;
let kafka: Kafka;
let conn: BrokerConnection;

beforeAll(async () => {
  broker = await startTxnBroker({
    "transaction.max.timeout.ms": "5000",
    "transaction.abort.timed.out.transaction.cleanup.interval.ms": "200",
  });
  kafka = kafkaFor(broker.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: "to-t", numPartitions: 1 },
      { topic: "wire-t", numPartitions: 2 },
    ],
  });
  await admin.disconnect();
  conn = await rawConnection(broker);
});

afterAll(async () => {
  conn?.close();
  await broker?.stop();
  broker?.cleanup();
});

async function initTxn(id: string, timeoutMs = 3000, version = 4) {
  for (;;) {
    const r = await conn.sendAt(22, version, {
      transactionalId: id,
      transactionTimeoutMs: timeoutMs,
      producerId: -1n,
      producerEpoch: -1,
    });
    // The coordinator may still be loading its partitions right after creating the topic.
    if (
      r.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS ||
      r.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS
    ) {
      await new Promise((res) => setTimeout(res, 100));
      continue;
    }
    return r;
  }
}

async function describeTxn(id: string) {
  const r = await conn.sendAt(65, 0, { transactionalIds: [id] });
  return r.transactionStates[0]!;
}

describe("transaction timeouts", () => {
  it("a timeout above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT", async () => {
    expect((await initTxn("too-long", 6000)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  });

  it("a transaction that outlives its timeout is aborted and its producer fenced", async () => {
    const p = kafka.producer({
      transactionalId: "slow-tx",
      transactionTimeout: 1000,
      maxInFlightRequests: 1,
    });
    await p.connect();
    try {
      const t = await p.transaction();
      await t.send({ topic: "to-t", messages: [{ value: "never" }] });
      expect((await describeTxn("slow-tx")).transactionState).toBe("Ongoing");
      await waitFor("the timed-out transaction to be aborted", async () => {
        return (await describeTxn("slow-tx")).transactionState === "CompleteAbort";
      });
      await expect(t.commit()).rejects.toThrow();
      expect(await kcatRead(broker.bootstrap, "to-t", "read_committed")).toEqual([]);
      expect(valuesOf(await kcatRead(broker.bootstrap, "to-t", "read_uncommitted"))).toEqual(["never"]);
    } finally {
      await p.disconnect().catch(() => undefined);
    }
  });
});

describe("transaction APIs on the wire", () => {
  it("AddPartitionsToTxn v3 and v4 (batched, VerifyOnly), with per-version fencing errors", async () => {
    const init = await initTxn("wire-tx");
    expect(init.errorCode).toBe(ErrorCode.NONE);
    const { producerId, producerEpoch } = init;
    const v3 = (topics: { name: string; partitions: number[] }[], epoch = producerEpoch, version = 3) =>
      conn.sendAt(24, version, {
        transactions: [],
        v3AndBelowTransactionalId: "wire-tx",
        v3AndBelowProducerId: producerId,
        v3AndBelowProducerEpoch: epoch,
        v3AndBelowTopics: topics,
      });
    const codes = (r: Awaited<ReturnType<typeof v3>>) =>
      r.resultsByTopicV3AndBelow.flatMap((t) =>
        t.resultsByPartition.map((p) => `${t.name}-${p.partitionIndex}:${p.partitionErrorCode}`),
      );

    expect(
      codes(
        await v3([
          { name: "wire-t", partitions: [0] },
          { name: "nope", partitions: [0] },
        ]),
      ),
    ).toEqual([
      `wire-t-0:${ErrorCode.OPERATION_NOT_ATTEMPTED}`,
      `nope-0:${ErrorCode.UNKNOWN_TOPIC_OR_PARTITION}`,
    ]);
    expect(codes(await v3([{ name: "wire-t", partitions: [0] }]))).toEqual([`wire-t-0:${ErrorCode.NONE}`]);
    expect(codes(await v3([{ name: "wire-t", partitions: [1] }], producerEpoch + 1))).toEqual([
      `wire-t-1:${ErrorCode.PRODUCER_FENCED}`,
    ]);
    expect(codes(await v3([{ name: "wire-t", partitions: [1] }], producerEpoch + 1, 1))).toEqual([
      `wire-t-1:${ErrorCode.INVALID_PRODUCER_EPOCH}`,
    ]);

    const v4 = await conn.sendAt(24, 4, {
      transactions: [
        {
          transactionalId: "wire-tx",
          producerId,
          producerEpoch,
          verifyOnly: true,
          topics: [{ name: "wire-t", partitions: [0, 1] }],
        },
      ],
      v3AndBelowTransactionalId: "",
      v3AndBelowProducerId: 0n,
      v3AndBelowProducerEpoch: 0,
      v3AndBelowTopics: [],
    });
    expect(v4.errorCode).toBe(ErrorCode.NONE);
    const verified = v4.resultsByTransaction[0]!.topicResults[0]!.resultsByPartition;
    expect(verified.map((p) => p.partitionErrorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE]);

    const described = await describeTxn("wire-tx");
    expect(described.transactionState).toBe("Ongoing");
    expect(described.topics).toEqual([{ topic: "wire-t", partitions: [0] }]);
    const list = await conn.sendAt(66, 1, {
      stateFilters: ["Ongoing"],
      producerIdFilters: [],
      durationFilter: -1n,
    });
    expect(list.transactionStates.map((t) => t.transactionalId)).toContain("wire-tx");
    const bogus = await conn.sendAt(66, 0, {
      stateFilters: ["Bogus"],
      producerIdFilters: [],
      durationFilter: -1n,
    });
    expect(bogus.unknownStateFilters).toEqual(["Bogus"]);
    // KIP-890 verification: a transaction's first batch on a partition it never added is refused.
    const produceTxn = async (partition: number) => {
      const records = await buildBatch({
        records: [{ value: Buffer.from(`p${partition}`) }],
        producerId,
        producerEpoch,
        baseSequence: 0,
        transactional: true,
      });
      const r = await conn.sendAt(0, 9, {
        transactionalId: "wire-tx",
        acks: -1,
        timeoutMs: 5000,
        topicData: [{ name: "wire-t", partitionData: [{ index: partition, records }] }],
      });
      return r.responses[0]!.partitionResponses[0]!.errorCode;
    };
    expect(await produceTxn(1)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(await produceTxn(0)).toBe(ErrorCode.NONE);
    // TxnOffsetCommit needs the group's partition in the transaction (AddOffsetsToTxn) first.
    const fc = await conn.sendAt(10, 3, { key: "wire-g", keyType: 0, coordinatorKeys: [] });
    expect(fc.errorCode).toBe(ErrorCode.NONE);
    const txnCommit = async () => {
      for (;;) {
        const r = await conn.sendAt(28, 3, {
          transactionalId: "wire-tx",
          groupId: "wire-g",
          producerId,
          producerEpoch,
          generationId: -1,
          memberId: "",
          groupInstanceId: null,
          topics: [
            {
              name: "wire-t",
              partitions: [
                { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: "" },
              ],
            },
          ],
        });
        const code = r.topics[0]!.partitions[0]!.errorCode;
        if (code !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return code;
        await new Promise((res) => setTimeout(res, 100));
      }
    };
    expect(await txnCommit()).toBe(ErrorCode.INVALID_TXN_STATE);
    const added = await conn.sendAt(25, 3, {
      transactionalId: "wire-tx",
      producerId,
      producerEpoch,
      groupId: "wire-g",
    });
    expect(added.errorCode).toBe(ErrorCode.NONE);
    expect(await txnCommit()).toBe(ErrorCode.NONE);
    const end = await conn.sendAt(26, 3, {
      transactionalId: "wire-tx",
      producerId,
      producerEpoch,
      committed: false,
    });
    expect(end.errorCode).toBe(ErrorCode.NONE);
  });

  it("WriteTxnMarkers closes a producer's transaction on a partition", async () => {
    const init = await conn.sendAt(22, 4, {
      transactionalId: null,
      transactionTimeoutMs: 1000,
      producerId: -1n,
      producerEpoch: -1,
    });
    const records = await buildBatch({
      records: [{ value: Buffer.from("w1") }],
      producerId: init.producerId,
      producerEpoch: 0,
      baseSequence: 0,
      transactional: true,
    });
    const produced = await conn.sendAt(0, 9, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 5000,
      topicData: [{ name: "wire-t", partitionData: [{ index: 1, records }] }],
    });
    expect(produced.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(await kcatRead(broker.bootstrap, "wire-t", "read_committed")).toEqual([]);
    const r = await conn.sendAt(27, 1, {
      markers: [
        {
          producerId: init.producerId,
          producerEpoch: 0,
          transactionResult: true,
          topics: [{ name: "wire-t", partitionIndexes: [1] }],
          coordinatorEpoch: 0,
        },
      ],
    });
    expect(r.markers[0]!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(valuesOf(await kcatRead(broker.bootstrap, "wire-t", "read_committed"))).toEqual(["w1"]);
    const stale = await conn.sendAt(27, 1, {
      markers: [
        {
          producerId: init.producerId,
          producerEpoch: 0,
          transactionResult: false,
          topics: [{ name: "wire-t", partitionIndexes: [1] }],
          coordinatorEpoch: -5,
        },
      ],
    });
    expect(stale.markers[0]!.topics[0]!.partitions[0]!.errorCode).toBe(
      ErrorCode.TRANSACTION_COORDINATOR_FENCED,
    );
  });
});
