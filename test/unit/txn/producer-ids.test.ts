import { describe, expect, it } from "vitest";
import {
  allocateProducerIdBlock,
  BlockProducerIdAllocator,
  type ProducerIdBlock,
  ProducerIdLedger,
} from "../../../broker/coordinator/txn/producer-ids.js";
import { KafkaError } from "../../../protocol/errors/index.js";

/** A controller in miniature: grants blocks from a durable nextProducerId. */
function controller(blockSize: number) {
  let next = 0n;
  const grants: ProducerIdBlock[] = [];
  return {
    grants,
    fetch: async (): Promise<ProducerIdBlock> => {
      const { block, record } = allocateProducerIdBlock(next, 1, 5n, blockSize);
      next = record.nextProducerId;
      grants.push(block);
      return block;
    },
  };
}

describe("producer id blocks", () => {
  it("the controller grants consecutive blocks recorded as ProducerIdsRecord", () => {
    const a = allocateProducerIdBlock(0n, 3, 10n);
    expect(a.block).toEqual({ assignedBrokerId: 3, firstProducerId: 0n, size: 1000 });
    expect(a.record).toEqual({ brokerId: 3, brokerEpoch: 10n, nextProducerId: 1000n });
    const b = allocateProducerIdBlock(a.record.nextProducerId, 4, 11n);
    expect(b.block.firstProducerId).toBe(1000n);
    expect(() => allocateProducerIdBlock(9223372036854775000n, 1, 1n)).toThrow(KafkaError);
  });

  it("the broker hands out unique ids across blocks and prefetches at 90%", async () => {
    const c = controller(10);
    const alloc = new BlockProducerIdAllocator(c.fetch);
    const ids: bigint[] = [];
    for (let i = 0; i < 9; i++) ids.push(await alloc.generateProducerId());
    await Promise.resolve();
    // The 9th id of 10 crossed 90%: the next block was requested before it was needed.
    expect(c.grants.length).toBe(2);
    // Concurrent callers across the block boundary still get distinct ids.
    ids.push(...(await Promise.all(Array.from({ length: 25 }, () => alloc.generateProducerId()))));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.slice(0, 12)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]);
  });

  it("a failed block fetch surfaces the error and a later call retries", async () => {
    let fail = true;
    const alloc = new BlockProducerIdAllocator(async () => {
      if (fail) throw new KafkaError(15, "controller unavailable");
      return { assignedBrokerId: 1, firstProducerId: 500n, size: 5 };
    });
    await expect(alloc.generateProducerId()).rejects.toThrow(/controller unavailable/);
    fail = false;
    expect(await alloc.generateProducerId()).toBe(500n);
  });

  it("the ledger advances only on replayed records and rejects going backwards", () => {
    const ledger = new ProducerIdLedger();
    const g1 = ledger.grant(1, 1n);
    expect(g1.block.firstProducerId).toBe(0n);
    // Not yet committed: a second proposal would overlap, which is why grants wait for replay.
    expect(ledger.grant(2, 1n).block.firstProducerId).toBe(0n);
    ledger.replay(g1.record);
    expect(ledger.grant(2, 1n).block.firstProducerId).toBe(1000n);
    expect(() => ledger.replay(g1.record)).toThrow(/not above/);
  });
});
