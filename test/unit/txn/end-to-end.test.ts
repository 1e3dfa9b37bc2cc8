/**
 * The coordinator and the partitions' producer state together, through real batch bytes: data
 * batches built like a producer builds them, markers built as control batches and parsed back.
 */
import { describe, expect, it } from "vitest";
import type { MarkerRequest } from "../../../broker/coordinator/txn/markers.js";
import { producerBatchFromBytes } from "../../../broker/producer/batch-info.js";
import { ProducerStateManager } from "../../../broker/producer/state-manager.js";
import type { AbortedTxn } from "../../../broker/producer/txn-index.js";
import { ErrorCode, KafkaError } from "../../../protocol/errors/index.js";
import { buildBatch, buildControlBatch, ControlType } from "../../../protocol/records/index.js";
import { setup, type TxnHarness } from "./harness.js";

class Partition {
  readonly state: ProducerStateManager;
  readonly aborted: AbortedTxn[] = [];
  end = 0n;
  constructor(readonly name: string) {
    this.state = new ProducerStateManager(name);
  }

  async append(bytes: Buffer, origin: "client" | "coordinator"): Promise<number> {
    const b = await producerBatchFromBytes(bytes);
    const placed = { ...b, baseOffset: this.end };
    try {
      const r = this.state.prepareAppend([placed], origin);
      if (r.kind === "duplicate") return ErrorCode.NONE;
      this.aborted.push(...this.state.apply(r.plan));
    } catch (e) {
      if (e instanceof KafkaError) return e.code;
      throw e;
    }
    this.end = placed.baseOffset + BigInt(b.lastOffsetDelta) + 1n;
    this.state.onHighWatermarkUpdated(this.end);
    return ErrorCode.NONE;
  }
}

function wire(h: TxnHarness, partitions: Map<string, Partition>) {
  h.markers.writeMarkers = async (req: MarkerRequest) => {
    h.markers.calls.push(req);
    const out = [];
    for (const tp of req.partitions) {
      const p = partitions.get(`${tp.topic}-${tp.partition}`)!;
      const bytes = await buildControlBatch({
        type: req.result === "commit" ? ControlType.Commit : ControlType.Abort,
        coordinatorEpoch: req.coordinatorEpoch,
        producerId: req.producerId,
        producerEpoch: req.producerEpoch,
        timestamp: 1n,
      });
      out.push({ ...tp, errorCode: await p.append(bytes, "coordinator") });
    }
    return out;
  };
}

const produce = (pid: bigint, epoch: number, seq: number, n = 2) =>
  buildBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`), timestamp: 5n })),
    producerId: pid,
    producerEpoch: epoch,
    baseSequence: seq,
    transactional: true,
  });

describe("coordinator + partitions", () => {
  it("commit moves the LSO; abort indexes the transaction; zombies are fenced on both sides", async () => {
    const h = await setup();
    const parts = new Map([
      ["t-0", new Partition("t-0")],
      ["t-1", new Partition("t-1")],
    ]);
    wire(h, parts);
    const t0 = parts.get("t-0")!;
    const t1 = parts.get("t-1")!;

    const a = await h.coord.initProducerId({ transactionalId: "app", transactionTimeoutMs: 60_000 });
    const pe = { producerId: a.producerId, producerEpoch: a.producerEpoch };
    await h.coord.addPartitionsToTxn({
      transactionalId: "app",
      ...pe,
      partitions: [
        { topic: "t", partition: 0 },
        { topic: "t", partition: 1 },
      ],
    });
    expect(await t0.append(await produce(a.producerId, 0, 0), "client")).toBe(0);
    expect(await t1.append(await produce(a.producerId, 0, 0), "client")).toBe(0);
    expect(t0.state.lastStableOffset(t0.end)).toBe(0n);
    expect(await h.coord.endTxn({ transactionalId: "app", ...pe, committed: true })).toBe(0);
    await h.coord.settled();
    expect(t0.state.lastStableOffset(t0.end)).toBe(3n); // 2 records + commit marker
    expect(t0.aborted).toEqual([]);

    // Second transaction: the producer writes, then a new instance with the same id takes over.
    await h.coord.addPartitionsToTxn({
      transactionalId: "app",
      ...pe,
      partitions: [{ topic: "t", partition: 0 }],
    });
    expect(await t0.append(await produce(a.producerId, 0, 2), "client")).toBe(0);
    const b = await h.coord.initProducerId({ transactionalId: "app", transactionTimeoutMs: 60_000 });
    expect(b.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    await h.coord.settled();
    // The fencing abort landed with the bumped epoch and is in the aborted index.
    expect(t0.aborted).toEqual([
      { producerId: a.producerId, firstOffset: 3n, lastOffset: 5n, lastStableOffset: 6n },
    ]);
    // The zombie's late write is rejected by the partition...
    expect(await t0.append(await produce(a.producerId, 0, 4), "client")).toBe(
      ErrorCode.INVALID_PRODUCER_EPOCH,
    );
    // ...and by the coordinator.
    expect(await h.coord.endTxn({ transactionalId: "app", ...pe, committed: true })).toBe(
      ErrorCode.PRODUCER_FENCED,
    );
    // The new instance retries and continues with a higher epoch from sequence 0.
    const b2 = await h.coord.initProducerId({ transactionalId: "app", transactionTimeoutMs: 60_000 });
    expect(b2).toMatchObject({ errorCode: 0, producerId: a.producerId, producerEpoch: 2 });
    await h.coord.addPartitionsToTxn({
      transactionalId: "app",
      producerId: b2.producerId,
      producerEpoch: b2.producerEpoch,
      partitions: [{ topic: "t", partition: 0 }],
    });
    expect(await t0.append(await produce(b2.producerId, 2, 0), "client")).toBe(0);
    expect(t0.state.lastStableOffset(t0.end)).toBe(6n);
  });
});
