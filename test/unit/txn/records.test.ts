import { describe, expect, it } from "vitest";
import { decodeTxnRecord, txnLogKey, txnLogValue } from "../../../broker/coordinator/txn/records.js";
import {
  completeTransition,
  IllegalTxnTransitionError,
  newTxnMetadata,
  prepareAbortOrCommit,
  prepareAddPartitions,
  prepareComplete,
  prepareIncrementProducerEpoch,
  TxnState,
  type TxnTransit,
} from "../../../broker/coordinator/txn/state.js";

const ongoing: TxnTransit = {
  producerId: 4242n,
  lastProducerId: -1n,
  producerEpoch: 3,
  lastProducerEpoch: -1,
  txnTimeoutMs: 60_000,
  state: TxnState.Ongoing,
  partitions: [
    { topic: "a", partition: 0 },
    { topic: "b", partition: 2 },
    { topic: "a", partition: 5 },
  ],
  txnStartTimestamp: 1_700_000_000_000,
  txnLastUpdateTimestamp: 1_700_000_000_500,
};

describe("__transaction_state records", () => {
  it("key is [int16 version 0][string transactionalId]", () => {
    const k = txnLogKey("tx");
    expect([...k]).toEqual([0, 0, 0, 2, 0x74, 0x78]);
  });

  it("value v0 has Kafka's field order and groups partitions by topic", () => {
    const v = txnLogValue(ongoing);
    expect(v.readInt16BE(0)).toBe(0); // value version
    expect(v.readBigInt64BE(2)).toBe(4242n); // producer id
    expect(v.readInt16BE(10)).toBe(3); // epoch
    expect(v.readInt32BE(12)).toBe(60_000); // timeout
    expect(v.readInt8(16)).toBe(TxnState.Ongoing); // status
    expect(v.readInt32BE(17)).toBe(2); // two topics
    const back = decodeTxnRecord(txnLogKey("tx"), v);
    expect(back.transactionalId).toBe("tx");
    expect(back.value!.partitions).toEqual([
      { topic: "a", partition: 0 },
      { topic: "a", partition: 5 },
      { topic: "b", partition: 2 },
    ]);
    expect(back.value).toMatchObject({
      producerId: 4242n,
      producerEpoch: 3,
      txnTimeoutMs: 60_000,
      state: TxnState.Ongoing,
      txnStartTimestamp: 1_700_000_000_000,
      txnLastUpdateTimestamp: 1_700_000_000_500,
    });
  });

  it("Empty is written with null partitions; tombstones decode to null", () => {
    const empty = { ...ongoing, state: TxnState.Empty, partitions: [], txnStartTimestamp: -1 };
    const v = txnLogValue(empty);
    expect(v.readInt32BE(17)).toBe(-1);
    expect(decodeTxnRecord(txnLogKey("tx"), v).value!.partitions).toEqual([]);
    expect(decodeTxnRecord(txnLogKey("tx"), null).value).toBeNull();
    expect(() => txnLogValue({ ...ongoing, state: TxnState.Empty })).toThrow(/Empty/);
  });

  it("rejects unknown key versions and garbage", () => {
    const k = txnLogKey("tx");
    k.writeInt16BE(1, 0);
    expect(() => decodeTxnRecord(k, null)).toThrow(/key version/);
    expect(() => decodeTxnRecord(txnLogKey("tx"), Buffer.from([0, 0, 1]))).toThrow();
  });
});

describe("transaction state machine", () => {
  it("allows only Kafka's transitions", () => {
    const md = newTxnMetadata("t", 1n, 1000, 0);
    expect(() => prepareAbortOrCommit(md, TxnState.PrepareCommit, 1)).toThrow(IllegalTxnTransitionError);
    const t1 = prepareIncrementProducerEpoch(md, 1000, null, 1)!;
    expect(t1.producerEpoch).toBe(0);
    // A second prepare while one is pending is a bug, not a race to lose silently.
    expect(() => prepareAddPartitions(md, [], 1)).toThrow(/pending/);
    completeTransition(md, t1);
    completeTransition(md, prepareAddPartitions(md, [{ topic: "x", partition: 0 }], 2));
    // Ongoing cannot complete without a Prepare* step first.
    expect(() => prepareComplete(md, 3)).toThrow(IllegalTxnTransitionError);
  });

  it("CompleteCommit only follows PrepareCommit", () => {
    const md = newTxnMetadata("t", 1n, 1000, 0);
    completeTransition(md, prepareIncrementProducerEpoch(md, 1000, null, 1)!);
    completeTransition(md, prepareAddPartitions(md, [{ topic: "x", partition: 0 }], 2));
    completeTransition(md, prepareAbortOrCommit(md, TxnState.PrepareCommit, 3));
    const done = prepareComplete(md, 4);
    expect(done.state).toBe(TxnState.CompleteCommit);
    expect(done.partitions).toEqual([]);
    completeTransition(md, done);
    expect(md.state).toBe(TxnState.CompleteCommit);
    expect(md.txnStartTimestamp).toBe(2);
  });
});
