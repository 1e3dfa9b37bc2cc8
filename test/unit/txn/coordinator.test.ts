import { describe, expect, it } from "vitest";
import { partitionFor as offsetsPartitionFor } from "../../../broker/coordinator/group/partitioner.js";
import { errorForVersion } from "../../../broker/coordinator/txn/errors.js";
import { txnPartitionFor } from "../../../broker/coordinator/txn/partitioner.js";
import { TxnState } from "../../../broker/coordinator/txn/state.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { flush, NUM_PARTITIONS, setup, type TxnHarness } from "./harness.js";

const TID = "orders-txn";
const tp = (topic: string, partition: number) => ({ topic, partition });

async function begin(h: TxnHarness, id = TID, timeoutMs = 60_000) {
  const init = await h.coord.initProducerId({ transactionalId: id, transactionTimeoutMs: timeoutMs });
  expect(init.errorCode).toBe(ErrorCode.NONE);
  const add = await h.coord.addPartitionsToTxn({
    transactionalId: id,
    producerId: init.producerId,
    producerEpoch: init.producerEpoch,
    partitions: [tp("a", 0), tp("a", 1), tp("b", 0)],
  });
  expect(add.errorCode).toBe(ErrorCode.NONE);
  return init;
}

describe("partitionFor", () => {
  it("uses Java String.hashCode over transaction.state.log.num.partitions", () => {
    expect(txnPartitionFor("hello", 50)).toBe(99162322 % 50);
    // "polygenelubricants".hashCode() is Integer.MIN_VALUE; Kafka's Utils.abs maps it to 0.
    expect(txnPartitionFor("polygenelubricants", 50)).toBe(0);
    expect(txnPartitionFor("", 50)).toBe(0);
  });

  it("defaults to 50 partitions", async () => {
    const h = await setup({ "transaction.state.log.num.partitions": 50 }, { load: false });
    expect(h.coord.config["transaction.state.log.num.partitions"]).toBe(50);
    expect(h.coord.partitionFor("hello")).toBe(22);
  });
});

describe("InitProducerId", () => {
  it("gives idempotent producers a fresh id at epoch 0 each time, on any broker", async () => {
    const h = await setup({}, { load: false });
    const a = await h.coord.initProducerId({ transactionalId: null, transactionTimeoutMs: 1 });
    const b = await h.coord.initProducerId({ transactionalId: null, transactionTimeoutMs: 1 });
    expect(a).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 0 });
    expect(b.producerId).toBe(1001n);
  });

  it("bumps the epoch on every re-init and fences the old epoch", async () => {
    const h = await setup();
    const first = await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 60_000 });
    const second = await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 60_000 });
    expect(first).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 0 });
    expect(second).toEqual({ errorCode: 0, producerId: 1000n, producerEpoch: 1 });
    const zombie = await h.coord.addPartitionsToTxn({
      transactionalId: TID,
      producerId: 1000n,
      producerEpoch: 0,
      partitions: [tp("a", 0)],
    });
    expect(zombie.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(errorForVersion("AddPartitionsToTxn", 1, zombie.errorCode)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect(errorForVersion("AddPartitionsToTxn", 2, zombie.errorCode)).toBe(ErrorCode.PRODUCER_FENCED);
    expect(errorForVersion("InitProducerId", 3, ErrorCode.PRODUCER_FENCED)).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    expect(errorForVersion("EndTxn", 1, ErrorCode.PRODUCER_FENCED)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const p = h.coord.partitionFor(TID);
    expect(h.log.history(p, TID).map((v) => [v!.state, v!.producerEpoch])).toEqual([
      [TxnState.Empty, 0],
      [TxnState.Empty, 1],
    ]);
  });

  it("validates the request", async () => {
    const h = await setup({ "transaction.max.timeout.ms": 1000 });
    const r = (x: Partial<Parameters<typeof h.coord.initProducerId>[0]>) =>
      h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 500, ...x });
    expect((await r({ transactionTimeoutMs: 1001 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await r({ transactionTimeoutMs: 0 })).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect((await r({ transactionalId: "" })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await r({ producerId: 5n })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it("lets a producer recover with its id and epoch (KIP-360), retrying a bump idempotently", async () => {
    const h = await setup();
    const a = await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 60_000 });
    const b = await h.coord.initProducerId({
      transactionalId: TID,
      transactionTimeoutMs: 60_000,
      producerId: a.producerId,
      producerEpoch: a.producerEpoch,
    });
    expect(b.producerEpoch).toBe(1);
    // The response was lost; the same request again gets the same epoch, not another bump.
    const retry = await h.coord.initProducerId({
      transactionalId: TID,
      transactionTimeoutMs: 60_000,
      producerId: a.producerId,
      producerEpoch: a.producerEpoch,
    });
    expect(retry).toEqual({ errorCode: 0, producerId: a.producerId, producerEpoch: 1 });
    const wrongId = await h.coord.initProducerId({
      transactionalId: TID,
      transactionTimeoutMs: 60_000,
      producerId: 77n,
      producerEpoch: 0,
    });
    expect(wrongId.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it("rotates to a new producer id when the epoch is exhausted", async () => {
    const h = await setup();
    await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 60_000 });
    (h.coord.inspect(TID) as { producerEpoch: number }).producerEpoch = 32766;
    const r = await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 60_000 });
    expect(r).toEqual({ errorCode: 0, producerId: 1001n, producerEpoch: 0 });
    expect(h.coord.inspect(TID)!.lastProducerId).toBe(1000n);
  });

  it("answers NOT_COORDINATOR for partitions it does not own and LOAD_IN_PROGRESS while loading", async () => {
    const h = await setup({}, { load: false });
    const r = await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 1000 });
    expect(r.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    let release!: () => void;
    const gate = new Promise<void>((res) => {
      release = res;
    });
    async function* slow() {
      await gate;
      yield* [];
    }
    const loading = h.coord.onPartitionLoad(h.coord.partitionFor(TID), 0, slow());
    expect(
      (await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 1000 })).errorCode,
    ).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    release();
    await loading;
    expect(
      (await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 1000 })).errorCode,
    ).toBe(0);
  });
});

describe("commit and abort", () => {
  it("init -> add partitions -> commit -> markers -> CompleteCommit", async () => {
    const h = await setup();
    const init = await begin(h);
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.Ongoing);
    const end = await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true });
    expect(end).toBe(ErrorCode.NONE);
    await h.coord.settled();
    expect(h.markers.calls).toHaveLength(1);
    expect(h.markers.calls[0]).toMatchObject({
      transactionalId: TID,
      producerId: init.producerId,
      producerEpoch: 0,
      coordinatorEpoch: 0,
      result: "commit",
    });
    expect(h.markers.calls[0]!.partitions).toEqual([tp("a", 0), tp("a", 1), tp("b", 0)]);
    const md = h.coord.inspect(TID)!;
    expect(md.state).toBe(TxnState.CompleteCommit);
    expect(md.partitions).toEqual([]);
    const states = h.log.history(h.coord.partitionFor(TID), TID).map((v) => v!.state);
    expect(states).toEqual([
      TxnState.Empty,
      TxnState.Ongoing,
      TxnState.PrepareCommit,
      TxnState.CompleteCommit,
    ]);
    // A retried EndTxn(commit) after completion is fine; abort is not.
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true })).toBe(ErrorCode.NONE);
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: false })).toBe(
      ErrorCode.INVALID_TXN_STATE,
    );
  });

  it("abort writes abort markers and CompleteAbort; the next transaction starts fresh", async () => {
    const h = await setup();
    const init = await begin(h);
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: false })).toBe(
      ErrorCode.NONE,
    );
    await h.coord.settled();
    expect(h.markers.calls[0]!.result).toBe("abort");
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.CompleteAbort);
    h.time.advance(5);
    const add = await h.coord.addPartitionsToTxn({
      transactionalId: TID,
      ...pe(init),
      partitions: [tp("c", 3)],
    });
    expect(add.errorCode).toBe(0);
    expect(h.coord.inspect(TID)!.partitions).toEqual([tp("c", 3)]);
    expect(h.coord.inspect(TID)!.txnStartTimestamp).toBe(h.time.now());
  });

  it("EndTxn on an Empty transaction is INVALID_TXN_STATE; unknown ids are INVALID_PRODUCER_ID_MAPPING", async () => {
    const h = await setup();
    const init = await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 60_000 });
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true })).toBe(
      ErrorCode.INVALID_TXN_STATE,
    );
    expect(await h.coord.endTxn({ transactionalId: "other", ...pe(init), committed: true })).toBe(
      ErrorCode.INVALID_PRODUCER_ID_MAPPING,
    );
    const wrongPid = await h.coord.addPartitionsToTxn({
      transactionalId: TID,
      producerId: 5n,
      producerEpoch: 0,
      partitions: [],
    });
    expect(wrongPid.errorCode).toBe(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
  });

  it("AddOffsetsToTxn adds the group's __consumer_offsets partition", async () => {
    const h = await setup({ "offsets.topic.num.partitions": 50 });
    const init = await begin(h);
    const r = await h.coord.addOffsetsToTxn({ transactionalId: TID, ...pe(init), groupId: "my-group" });
    expect(r.errorCode).toBe(0);
    expect(h.coord.inspect(TID)!.partitions).toContainEqual(
      tp("__consumer_offsets", offsetsPartitionFor("my-group", 50)),
    );
  });

  it("VerifyOnly reports which partitions are in the transaction", async () => {
    const h = await setup();
    const init = await begin(h);
    const v = h.coord.verifyPartitionsInTxn({
      transactionalId: TID,
      ...pe(init),
      partitions: [tp("a", 0), tp("z", 9)],
    });
    expect(v.errorCode).toBe(0);
    expect(v.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE]);
    const stale = h.coord.verifyPartitionsInTxn({
      transactionalId: TID,
      producerId: init.producerId,
      producerEpoch: 9,
      partitions: [tp("a", 0)],
    });
    expect(stale.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it("retries markers only for partitions that failed, after the backoff", async () => {
    const h = await setup({ "transaction.marker.retry.backoff.ms": 100 });
    const init = await begin(h);
    h.markers.answer = (req, attempt) =>
      req.partitions.map((p) => ({
        ...p,
        errorCode: attempt === 1 && p.topic === "b" ? ErrorCode.NOT_LEADER_OR_FOLLOWER : ErrorCode.NONE,
      }));
    await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true });
    await flush();
    expect(h.markers.calls).toHaveLength(1);
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.PrepareCommit);
    h.time.advance(99);
    await flush();
    expect(h.markers.calls).toHaveLength(1);
    h.time.advance(1);
    await flush();
    expect(h.markers.calls).toHaveLength(2);
    expect(h.markers.calls[1]!.partitions).toEqual([tp("b", 0)]);
    await h.coord.settled();
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.CompleteCommit);
  });

  it("a failed state write maps the error and leaves the transaction unchanged", async () => {
    const h = await setup();
    const init = await begin(h);
    h.log.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true })).toBe(
      ErrorCode.COORDINATOR_NOT_AVAILABLE,
    );
    h.log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true })).toBe(
      ErrorCode.NOT_COORDINATOR,
    );
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.Ongoing);
    expect(h.coord.inspect(TID)!.pendingState).toBeNull();
    h.log.failWith = null;
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true })).toBe(ErrorCode.NONE);
  });
});

describe("concurrency and fencing", () => {
  it("rejects operations with CONCURRENT_TRANSACTIONS while a commit is in flight", async () => {
    const h = await setup();
    const init = await begin(h);
    h.markers.hold();
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true })).toBe(0);
    await flush();
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.PrepareCommit);
    const add = await h.coord.addPartitionsToTxn({
      transactionalId: TID,
      ...pe(init),
      partitions: [tp("x", 0)],
    });
    expect(add.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(
      (await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 1000 })).errorCode,
    ).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true })).toBe(
      ErrorCode.CONCURRENT_TRANSACTIONS,
    );
    // Kafka answers CONCURRENT_TRANSACTIONS here too: the Complete transition is already pending.
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: false })).toBe(
      ErrorCode.CONCURRENT_TRANSACTIONS,
    );
    h.markers.release();
    await h.coord.settled();
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.CompleteCommit);
  });

  it("rejects a second request while a state write is pending", async () => {
    const h = await setup();
    const init = await begin(h);
    h.log.hold();
    const end = h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true });
    const add = await h.coord.addPartitionsToTxn({
      transactionalId: TID,
      ...pe(init),
      partitions: [tp("x", 0)],
    });
    expect(add.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    h.log.release();
    expect(await end).toBe(0);
  });

  it("re-init during an ongoing transaction fences the producer and aborts it", async () => {
    const h = await setup();
    const old = await begin(h);
    const r = await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 60_000 });
    expect(r.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    await h.coord.settled();
    expect(h.markers.calls[0]).toMatchObject({ result: "abort", producerEpoch: 1 });
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.CompleteAbort);
    // The zombie cannot commit.
    expect(await h.coord.endTxn({ transactionalId: TID, ...pe(old), committed: true })).toBe(
      ErrorCode.PRODUCER_FENCED,
    );
    // The client's retry succeeds with the next epoch.
    const again = await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 60_000 });
    expect(again).toEqual({ errorCode: 0, producerId: old.producerId, producerEpoch: 2 });
  });

  it("aborts a transaction that outlives its timeout (transaction.max.timeout.ms bound), fencing its epoch", async () => {
    const h = await setup({ "transaction.abort.timed.out.transaction.cleanup.interval.ms": 1000 });
    const init = await begin(h, TID, 5_000);
    h.time.advance(5_000);
    await flush();
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.Ongoing); // start + timeout == now: not yet
    h.time.advance(1_000);
    await h.coord.settled();
    expect(h.markers.calls).toHaveLength(1);
    expect(h.markers.calls[0]).toMatchObject({ result: "abort", producerEpoch: init.producerEpoch + 1 });
    expect(h.coord.inspect(TID)!.state).toBe(TxnState.CompleteAbort);
    const late = await h.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true });
    expect(late).toBe(ErrorCode.PRODUCER_FENCED);
    expect(errorForVersion("EndTxn", 1, late)).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  });

  it("expires idle transactional ids with a tombstone", async () => {
    const h = await setup({
      "transactional.id.expiration.ms": 10_000,
      "transaction.remove.expired.transaction.cleanup.interval.ms": 5_000,
    });
    await h.coord.initProducerId({ transactionalId: TID, transactionTimeoutMs: 1000 });
    h.time.advance(5_000);
    await h.coord.settled();
    expect(h.coord.inspect(TID)).toBeDefined();
    h.time.advance(5_000);
    await h.coord.settled();
    expect(h.coord.inspect(TID)).toBeUndefined();
    expect(h.log.history(h.coord.partitionFor(TID), TID).at(-1)).toBeNull();
    expect(h.coord.describeTransaction(TID).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
  });
});

describe("recovery", () => {
  it("a new coordinator completes a PrepareCommit left by the previous one", async () => {
    const a = await setup();
    const init = await begin(a);
    a.markers.answer = (req) =>
      req.partitions.map((p) => ({ ...p, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    expect(await a.coord.endTxn({ transactionalId: TID, ...pe(init), committed: true })).toBe(0);
    await flush();
    const p = a.coord.partitionFor(TID);
    // Leadership moves: A unloads, B loads the same records at a higher coordinator epoch.
    a.coord.onPartitionUnload(p);
    a.time.advance(1_000);
    await a.coord.settled();
    const callsBefore = a.markers.calls.length;
    a.time.advance(1_000);
    await flush();
    expect(a.markers.calls.length).toBe(callsBefore); // A stopped retrying

    const b = await setup({}, { log: a.log, time: a.time, ids: a.ids, epoch: 7 });
    await b.coord.settled();
    expect(b.markers.calls).toHaveLength(1);
    expect(b.markers.calls[0]).toMatchObject({
      result: "commit",
      coordinatorEpoch: 7,
      producerId: init.producerId,
    });
    expect(b.markers.calls[0]!.partitions).toEqual([tp("a", 0), tp("a", 1), tp("b", 0)]);
    expect(b.coord.inspect(TID)!.state).toBe(TxnState.CompleteCommit);
    expect(
      a.log
        .history(p, TID)
        .map((v) => v!.state)
        .at(-1),
    ).toBe(TxnState.CompleteCommit);
  });

  it("reloaded ongoing transactions keep their start time and still time out", async () => {
    const a = await setup();
    await begin(a, TID, 10_000);
    const b = await setup(
      { "transaction.abort.timed.out.transaction.cleanup.interval.ms": 1_000 },
      { log: a.log, time: a.time, ids: a.ids, epoch: 1 },
    );
    expect(b.coord.inspect(TID)!.state).toBe(TxnState.Ongoing);
    expect(b.coord.inspect(TID)!.partitions).toHaveLength(3);
    b.time.advance(11_000);
    await b.coord.settled();
    expect(b.coord.inspect(TID)!.state).toBe(TxnState.CompleteAbort);
    expect(b.markers.calls[0]).toMatchObject({ result: "abort", coordinatorEpoch: 1 });
  });

  it("describe and list report loaded transactions", async () => {
    const h = await setup();
    await begin(h);
    await h.coord.initProducerId({ transactionalId: "idle", transactionTimeoutMs: 1000 });
    const d = h.coord.describeTransaction(TID);
    expect(d).toMatchObject({
      errorCode: 0,
      state: "Ongoing",
      producerId: 1000n,
      transactionTimeoutMs: 60_000,
    });
    expect(d.partitions).toHaveLength(3);
    const l = h.coord.listTransactions({ states: ["Ongoing", "Bogus"] });
    expect(l.transactions.map((t) => t.transactionalId)).toEqual([TID]);
    expect(l.unknownStateFilters).toEqual(["Bogus"]);
    expect(h.coord.listTransactions({}).transactions).toHaveLength(2);
    expect(NUM_PARTITIONS).toBe(4);
  });
});

function pe(r: { producerId: bigint; producerEpoch: number }) {
  return { producerId: r.producerId, producerEpoch: r.producerEpoch };
}
