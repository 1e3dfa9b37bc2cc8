/**
 * Producer id allocation. Brokers hand out ids from blocks the controller grants (AllocateProducerIds);
 * the controller records each grant as a ProducerIdsRecord (nextProducerId = first id of the next
 * block) in the metadata log, so ids are never reused across restarts or failovers.
 */
import { ErrorCode, KafkaError } from "../../../protocol/errors/index.js";

/** What the transaction coordinator needs: a fresh, never-used producer id. */
export interface ProducerIdAllocator {
  generateProducerId(): Promise<bigint>;
}

export interface ProducerIdBlock {
  /** Broker the block was granted to. */
  assignedBrokerId: number;
  firstProducerId: bigint;
  size: number;
}

/** Kafka's block size. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const INT64_MAX = 9223372036854775807n;

/**
 * Broker side: ids from the current block; the next block is requested when 90% of the current
 * one is used (as Kafka does), so allocation rarely waits. `fetchBlock` is the AllocateProducerIds
 * round trip to the controller; concurrent callers share one in-flight fetch.
 */
export class BlockProducerIdAllocator implements ProducerIdAllocator {
  private current: ProducerIdBlock | null = null;
  private nextId = 0n;
  /** The one requested block not yet in use (prefetched or being fetched). */
  private nextBlock: Promise<ProducerIdBlock> | null = null;

  constructor(private readonly fetchBlock: () => Promise<ProducerIdBlock>) {}

  async generateProducerId(): Promise<bigint> {
    for (;;) {
      const b = this.current;
      if (b && this.nextId < b.firstProducerId + BigInt(b.size)) {
        const id = this.nextId++;
        if (Number(this.nextId - b.firstProducerId) >= b.size * 0.9) this.requestNext().catch(() => {});
        return id;
      }
      const p = this.requestNext();
      const next = await p;
      // Of all callers waiting for this block, the first to resume installs it; the rest loop.
      if (this.nextBlock === p) {
        this.nextBlock = null;
        if (next.size <= 0) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "empty producer id block");
        this.current = next;
        this.nextId = next.firstProducerId;
      }
    }
  }

  private requestNext(): Promise<ProducerIdBlock> {
    if (!this.nextBlock) {
      const p = this.fetchBlock();
      this.nextBlock = p;
      // A failed request is forgotten so the next caller asks again (and sees the error).
      p.catch(() => {
        if (this.nextBlock === p) this.nextBlock = null;
      });
    }
    return this.nextBlock;
  }
}

/**
 * Controller side: the block for a broker given the current nextProducerId (0 before any grant),
 * and the ProducerIdsRecord that makes it durable.
 */
export function allocateProducerIdBlock(
  nextProducerId: bigint,
  brokerId: number,
  brokerEpoch: bigint,
  blockSize = PRODUCER_ID_BLOCK_SIZE,
): { block: ProducerIdBlock; record: { brokerId: number; brokerEpoch: bigint; nextProducerId: bigint } } {
  if (nextProducerId > INT64_MAX - BigInt(blockSize))
    throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, "producer ids are exhausted");
  const block: ProducerIdBlock = {
    assignedBrokerId: brokerId,
    firstProducerId: nextProducerId,
    size: blockSize,
  };
  return { block, record: { brokerId, brokerEpoch, nextProducerId: nextProducerId + BigInt(blockSize) } };
}

/**
 * Controller-side ledger of granted ids: `grant` proposes the next block and its record; the
 * block is only taken once the record is committed to the metadata log and replayed here, so a
 * controller failover never hands the same ids out twice.
 */
export class ProducerIdLedger {
  private next = 0n;

  nextProducerId(): bigint {
    return this.next;
  }

  grant(
    brokerId: number,
    brokerEpoch: bigint,
  ): { block: ProducerIdBlock; record: { brokerId: number; brokerEpoch: bigint; nextProducerId: bigint } } {
    return allocateProducerIdBlock(this.next, brokerId, brokerEpoch);
  }

  /** Apply a ProducerIdsRecord from the metadata log; ids only ever move forward. */
  replay(record: { nextProducerId: bigint }): void {
    if (record.nextProducerId <= this.next)
      throw new Error(`ProducerIdsRecord nextProducerId ${record.nextProducerId} is not above ${this.next}`);
    this.next = record.nextProducerId;
  }
}
