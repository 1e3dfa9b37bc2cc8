import { describe, expect, it } from "vitest";
import { ProducerStateManager } from "../../../broker/producer/state-manager.js";
import { data, marker, txn } from "./helpers.js";

describe("last stable offset", () => {
  it("is held back by the earliest open transaction and by unreplicated markers", () => {
    const m = new ProducerStateManager("t-0");
    m.appendOrThrow([data(9n, 0, 0, 0n, 2)], "client"); // 0-1 idempotent only
    m.appendOrThrow([txn(1n, 0, 0, 2n, 2)], "client"); // A: 2-3
    m.appendOrThrow([txn(2n, 0, 0, 4n, 1)], "client"); // B: 4
    m.appendOrThrow([txn(1n, 0, 2, 5n, 1)], "client"); // A: 5
    expect(m.firstUnstableOffset()).toBe(2n);
    expect(m.lastStableOffset(6n)).toBe(2n);
    expect(m.lastStableOffset(1n)).toBe(1n); // never above the high watermark

    // A commits at 6: LSO moves to B's first offset once the marker is replicated.
    const abortedA = m.appendOrThrow([marker(1n, 0, 6n, "commit")], "coordinator");
    expect(abortedA).toEqual([]);
    expect(m.lastStableOffset(6n)).toBe(2n); // marker at 6 not below HW 6 yet
    m.onHighWatermarkUpdated(7n);
    expect(m.lastStableOffset(7n)).toBe(4n);

    // B aborts at 7: an index entry with the LSO after it (no other open txn -> 8).
    const abortedB = m.appendOrThrow([marker(2n, 0, 7n, "abort")], "coordinator");
    expect(abortedB).toEqual([{ producerId: 2n, firstOffset: 4n, lastOffset: 7n, lastStableOffset: 8n }]);
    m.onHighWatermarkUpdated(8n);
    expect(m.firstUnstableOffset()).toBeNull();
    expect(m.lastStableOffset(8n)).toBe(8n);
  });

  it("an aborted transaction's index LSO is the next other open transaction", () => {
    const m = new ProducerStateManager("t-0");
    m.appendOrThrow([txn(1n, 0, 0, 0n)], "client");
    m.appendOrThrow([txn(2n, 0, 0, 1n)], "client");
    m.appendOrThrow([txn(1n, 0, 1, 2n)], "client");
    const aborted = m.appendOrThrow([marker(1n, 0, 3n, "abort")], "coordinator");
    expect(aborted).toEqual([{ producerId: 1n, firstOffset: 0n, lastOffset: 3n, lastStableOffset: 1n }]);
    expect(m.ongoingTransactions()).toEqual([{ producerId: 2n, firstOffset: 1n }]);
  });

  it("a marker without data on the partition leaves no trace", () => {
    const m = new ProducerStateManager("t-0");
    expect(m.appendOrThrow([marker(1n, 0, 0n, "abort")], "coordinator")).toEqual([]);
    expect(m.firstUnstableOffset()).toBeNull();
    expect(m.lastEntry(1n)!.coordinatorEpoch).toBe(0);
  });

  it("a marker with a bumped epoch (fencing abort) resets sequences for the next epoch", () => {
    const m = new ProducerStateManager("t-0");
    m.appendOrThrow([txn(1n, 0, 0, 0n, 3)], "client");
    m.appendOrThrow([marker(1n, 1, 3n, "abort")], "coordinator");
    expect(m.lastEntry(1n)!.producerEpoch).toBe(1);
    expect(m.lastEntry(1n)!.batches).toEqual([]);
    // The zombie at epoch 0 is rejected; the re-initialised producer (epoch 2) starts at 0.
    expect(() => m.prepareAppend([txn(1n, 0, 3, 4n)], "client")).toThrow(/older/);
    expect(m.prepareAppend([txn(1n, 2, 0, 4n)], "client").kind).toBe("ok");
  });
});
