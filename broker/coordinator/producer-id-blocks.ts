/**
 * Producer id blocks made durable in the metadata log: the controller side of AllocateProducerIds
 * for a single node. A block is granted by committing a ProducerIdsRecord (nextProducerId = first
 * id after the block); every ProducerIdsRecord replayed from the log moves the ledger forward, so
 * after a restart (or a controller change) no id is handed out twice.
 */
import type { MetadataChange } from "../metadata/controller.js";
import type { MetadataRecord } from "../metadata/records.js";
import { BlockProducerIdAllocator, type ProducerIdBlock, ProducerIdLedger } from "./txn/index.js";

/** Metadata record type of ProducerIdsRecord (records/metadata). */
export const PRODUCER_IDS_RECORD_TYPE = 15;

export interface ProducerIdsController {
  commit(records: MetadataRecord[]): Promise<void>;
  onChange(l: (change: MetadataChange) => Promise<void> | void): void;
}

function nextProducerIdsOf(records: readonly MetadataRecord[]): bigint[] {
  const out: bigint[] = [];
  for (const r of records) {
    if (r.type === "Other" && r.apiKey === PRODUCER_IDS_RECORD_TYPE)
      out.push((r.data as { nextProducerId: bigint }).nextProducerId);
  }
  return out;
}

export class ProducerIdBlocks {
  private readonly ledger = new ProducerIdLedger();
  /** What the transaction coordinator draws ids from. */
  readonly allocator = new BlockProducerIdAllocator(() => this.grant());

  constructor(
    private readonly nodeId: number,
    private readonly controller: ProducerIdsController,
    /** The metadata log's records at start. */
    initial: readonly MetadataRecord[],
  ) {
    this.replay(initial);
    controller.onChange((c) => this.replay(c.records));
  }

  /** The first id no block has covered yet. */
  nextProducerId(): bigint {
    return this.ledger.nextProducerId();
  }

  private replay(records: readonly MetadataRecord[]): void {
    for (const next of nextProducerIdsOf(records))
      if (next > this.ledger.nextProducerId()) this.ledger.replay({ nextProducerId: next });
  }

  /** The block is ours once its record is committed (the allocator never asks twice at once). */
  private async grant(): Promise<ProducerIdBlock> {
    const { block, record } = this.ledger.grant(this.nodeId, 0n);
    await this.controller.commit([
      { type: "Other", apiKey: PRODUCER_IDS_RECORD_TYPE, version: 0, data: record },
    ]);
    this.replay([{ type: "Other", apiKey: PRODUCER_IDS_RECORD_TYPE, version: 0, data: record }]);
    return block;
  }
}
