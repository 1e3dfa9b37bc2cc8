import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { producerBatchFromBytes } from "../../../broker/producer/batch-info.js";
import { decrementSequence, incrementSequence, inSequence } from "../../../broker/producer/entry.js";
import { ProducerStateManager } from "../../../broker/producer/state-manager.js";
import { ErrorCode, KafkaError } from "../../../protocol/errors/index.js";
import { buildBatch, buildControlBatch, ControlType } from "../../../protocol/records/index.js";
import { data, marker, txn } from "./helpers.js";

const PID = 1000n;

function codeOf(fn: () => unknown): number | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof KafkaError) return e.code;
    throw e;
  }
}

function appendOk(m: ProducerStateManager, ...batches: Parameters<typeof data>[]) {
  const r = m.prepareAppend(
    batches.map((b) => data(...b)),
    "client",
  );
  if (r.kind !== "ok") throw new Error("unexpected duplicate");
  return m.apply(r.plan);
}

describe("sequence arithmetic", () => {
  it("wraps at Int32 max to 0 and back", () => {
    expect(incrementSequence(2147483647, 1)).toBe(0);
    expect(incrementSequence(2147483640, 10)).toBe(2);
    expect(decrementSequence(2, 10)).toBe(2147483640);
    expect(inSequence(2147483647, 0)).toBe(true);
    expect(inSequence(5, 7)).toBe(false);
  });

  it("increment and decrement are inverse (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2147483647 }), fc.integer({ min: 0, max: 100000 }), (s, d) => {
        const up = incrementSequence(s, d);
        expect(up).toBeGreaterThanOrEqual(0);
        expect(decrementSequence(up, d)).toBe(s);
      }),
      { numRuns: 200 },
    );
  });
});

describe("idempotent append validation", () => {
  it("accepts in-order batches and tracks the last sequence", () => {
    const m = new ProducerStateManager("t-0");
    appendOk(m, [PID, 0, 0, 0n, 3]);
    appendOk(m, [PID, 0, 3, 3n, 2]);
    const e = m.lastEntry(PID)!;
    expect(e.batches.at(-1)!.lastSeq).toBe(4);
    expect(e.batches.at(-1)!.lastOffset).toBe(4n);
    expect(m.endOffset()).toBe(5n);
  });

  it("answers a duplicate of any of the last five batches with its original offsets", () => {
    const m = new ProducerStateManager("t-0");
    for (let i = 0; i < 6; i++) appendOk(m, [PID, 0, i * 2, BigInt(10 + i * 2), 2, { ts: 100 + i }]);
    // Batches 1..5 are retained (seq 2..11); batch 0 (seq 0-1) has been evicted.
    for (let i = 1; i < 6; i++) {
      const r = m.prepareAppend([data(PID, 0, i * 2, 999n, 2)], "client");
      expect(r.kind).toBe("duplicate");
      if (r.kind === "duplicate") {
        expect(r.duplicate.firstOffset).toBe(BigInt(10 + i * 2));
        expect(r.duplicate.lastOffset).toBe(BigInt(11 + i * 2));
        expect(r.duplicate.timestamp).toBe(100 + i);
      }
    }
    // The evicted one is neither a duplicate nor in sequence.
    expect(codeOf(() => m.prepareAppend([data(PID, 0, 0, 999n, 2)], "client"))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    // Same first sequence but a different range is not a duplicate.
    expect(codeOf(() => m.prepareAppend([data(PID, 0, 4, 999n, 3)], "client"))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
  });

  it("rejects a gap with OUT_OF_ORDER_SEQUENCE_NUMBER and leaves state unchanged", () => {
    const m = new ProducerStateManager("t-0");
    appendOk(m, [PID, 0, 0, 0n, 1]);
    expect(codeOf(() => m.prepareAppend([data(PID, 0, 2, 1n)], "client"))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    expect(m.lastEntry(PID)!.batches.at(-1)!.lastSeq).toBe(0);
    appendOk(m, [PID, 0, 1, 1n, 1]);
  });

  it("a prepared but not applied plan changes nothing", () => {
    const m = new ProducerStateManager("t-0");
    appendOk(m, [PID, 0, 0, 0n, 1]);
    const r = m.prepareAppend([data(PID, 0, 1, 1n)], "client");
    expect(r.kind).toBe("ok");
    expect(m.lastEntry(PID)!.batches.length).toBe(1);
    // The log append "failed"; the retry with the same sequence is still accepted.
    appendOk(m, [PID, 0, 1, 1n, 1]);
  });

  it("a new epoch must start at sequence 0", () => {
    const m = new ProducerStateManager("t-0");
    appendOk(m, [PID, 0, 0, 0n, 5]);
    expect(codeOf(() => m.prepareAppend([data(PID, 1, 5, 5n)], "client"))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
    appendOk(m, [PID, 1, 0, 5n, 1]);
    expect(m.lastEntry(PID)!.producerEpoch).toBe(1);
    expect(m.lastEntry(PID)!.batches.length).toBe(1);
  });

  it("an older epoch gets INVALID_PRODUCER_EPOCH", () => {
    const m = new ProducerStateManager("t-0");
    appendOk(m, [PID, 3, 0, 0n, 1]);
    expect(codeOf(() => m.prepareAppend([data(PID, 2, 1, 1n)], "client"))).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    // Replication does not second-guess the leader.
    expect(m.prepareAppend([data(PID, 2, 1, 1n)], "replication").kind).toBe("ok");
  });

  it("an unknown producer may start at any sequence (KIP-360)", () => {
    const m = new ProducerStateManager("t-0");
    appendOk(m, [PID, 4, 77, 0n, 1]);
    expect(codeOf(() => m.prepareAppend([data(PID, 4, 79, 1n)], "client"))).toBe(
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    );
  });

  it("wraps the sequence at Int32 max", () => {
    const m = new ProducerStateManager("t-0");
    appendOk(m, [PID, 0, 2147483646, 0n, 2]);
    expect(m.lastEntry(PID)!.batches.at(-1)!.lastSeq).toBe(2147483647);
    appendOk(m, [PID, 0, 0, 2n, 3]);
    expect(m.lastEntry(PID)!.batches.at(-1)!.lastSeq).toBe(2);
    // A batch spanning the wrap: seq 3 .. (wrapped) is fine as long as it starts in sequence.
    const r = m.prepareAppend([data(PID, 0, 3, 5n, 1)], "client");
    expect(r.kind).toBe("ok");
    // A duplicate spanning the wrap is recognised.
    const m2 = new ProducerStateManager("t-1");
    appendOk(m2, [PID, 0, 2147483646, 0n, 4]);
    expect(m2.lastEntry(PID)!.batches.at(-1)!.lastSeq).toBe(1);
    const d = m2.prepareAppend([data(PID, 0, 2147483646, 9n, 4)], "client");
    expect(d.kind).toBe("duplicate");
  });

  it("an idempotent batch without a sequence is INVALID_RECORD", () => {
    const m = new ProducerStateManager("t-0");
    expect(codeOf(() => m.prepareAppend([data(PID, 0, -1, 0n)], "client"))).toBe(ErrorCode.INVALID_RECORD);
  });

  it("non-idempotent batches (producer id -1) carry no state", () => {
    const m = new ProducerStateManager("t-0");
    appendOk(m, [-1n, -1, -1, 0n, 10]);
    expect(m.activeProducers().size).toBe(0);
    expect(m.endOffset()).toBe(10n);
  });

  it("a non-transactional batch inside an open transaction is INVALID_TXN_STATE", () => {
    const m = new ProducerStateManager("t-0");
    m.appendOrThrow([txn(PID, 0, 0, 0n)], "client");
    expect(codeOf(() => m.prepareAppend([data(PID, 0, 1, 1n)], "client"))).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it("a marker from an older coordinator epoch is TRANSACTION_COORDINATOR_FENCED", () => {
    const m = new ProducerStateManager("t-0");
    m.appendOrThrow([txn(PID, 0, 0, 0n)], "client");
    m.appendOrThrow([marker(PID, 0, 1n, "commit", 5)], "coordinator");
    m.appendOrThrow([txn(PID, 0, 1, 2n)], "client");
    expect(codeOf(() => m.prepareAppend([marker(PID, 0, 3n, "abort", 4)], "coordinator"))).toBe(
      ErrorCode.TRANSACTION_COORDINATOR_FENCED,
    );
  });

  it("removes producers idle for producer.id.expiration.ms, never ones with an open transaction", () => {
    const m = new ProducerStateManager("t-0", { producerIdExpirationMs: 1000 });
    m.appendOrThrow([data(1n, 0, 0, 0n, 1, { ts: 100 })], "client");
    m.appendOrThrow(
      [data(2n, 0, 0, 1n, 1, { ts: 900 }), { ...txn(3n, 0, 0, 2n), maxTimestamp: 100 }],
      "client",
    );
    expect(m.removeExpiredProducers(1099)).toEqual([]);
    expect(m.removeExpiredProducers(1100)).toEqual([1n]);
    expect([...m.activeProducers().keys()].sort()).toEqual([2n, 3n]);
  });
});

describe("batch info from bytes", () => {
  it("reads producer fields from a data batch and the marker from a control batch", async () => {
    const b = await buildBatch({
      records: [
        { key: null, value: Buffer.from("a"), timestamp: 5n },
        { key: null, value: Buffer.from("b"), timestamp: 7n },
      ],
      baseOffset: 40n,
      producerId: 9n,
      producerEpoch: 2,
      baseSequence: 11,
      transactional: true,
    });
    const info = await producerBatchFromBytes(b);
    expect(info).toMatchObject({
      producerId: 9n,
      producerEpoch: 2,
      baseSequence: 11,
      baseOffset: 40n,
      lastOffsetDelta: 1,
    });
    expect(info.transactional).toBe(true);
    expect(info.marker).toBeNull();
    const c = await buildControlBatch({
      type: ControlType.Abort,
      coordinatorEpoch: 3,
      producerId: 9n,
      producerEpoch: 2,
      baseOffset: 42n,
      timestamp: 9n,
    });
    const ci = await producerBatchFromBytes(c);
    expect(ci.marker).toEqual({ type: "abort", coordinatorEpoch: 3 });
    expect(ci.control).toBe(true);
  });
});
