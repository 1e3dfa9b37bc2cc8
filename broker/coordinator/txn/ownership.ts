/**
 * Which __transaction_state partitions this coordinator serves, at which coordinator epoch, and
 * the transactions loaded from each. Loading replays a partition's records (last value per
 * transactional id wins; tombstones delete); a reload or unload during a load abandons it.
 */
import { ErrorCode } from "../../../protocol/errors/index.js";
import { decodeTxnRecord } from "./records.js";
import { metadataFromTransit, type TxnMetadata, TxnState, type TxnTransit } from "./state.js";
import type { TxnLogRecord } from "./types.js";

export interface OwnedPartition {
  coordinatorEpoch: number;
  txns: Map<string, TxnMetadata>;
}

export type Located = { errorCode: number } | { errorCode: 0; partition: number; owned: OwnedPartition };

export interface LoadResult {
  owned: OwnedPartition;
  /** Records that failed to decode (skipped). */
  corrupt: number;
}

export class TxnPartitionTable {
  private readonly owned = new Map<number, OwnedPartition>();
  private readonly loading = new Map<number, number>();
  private loadSeq = 0;

  constructor(private readonly partitionFor: (transactionalId: string) => number) {}

  locate(transactionalId: string): Located {
    const partition = this.partitionFor(transactionalId);
    if (this.loading.has(partition)) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS };
    const owned = this.owned.get(partition);
    if (!owned) return { errorCode: ErrorCode.NOT_COORDINATOR };
    return { errorCode: 0, partition, owned };
  }

  get(partition: number): OwnedPartition | undefined {
    return this.owned.get(partition);
  }

  entries(): [number, OwnedPartition][] {
    return [...this.owned];
  }

  isLoading(): boolean {
    return this.loading.size > 0;
  }

  /** Every partition owned or loading. */
  partitions(): number[] {
    return [...new Set([...this.owned.keys(), ...this.loading.keys()])];
  }

  /** Replay `records` into a fresh partition state; null if superseded by an unload or reload. */
  async load(
    partition: number,
    coordinatorEpoch: number,
    records: Iterable<TxnLogRecord> | AsyncIterable<TxnLogRecord>,
  ): Promise<LoadResult | null> {
    this.unload(partition);
    const attempt = ++this.loadSeq;
    this.loading.set(partition, attempt);
    const latest = new Map<string, TxnTransit | null>();
    let corrupt = 0;
    try {
      for await (const rec of records) {
        if (this.loading.get(partition) !== attempt) return null;
        if (!rec.key) continue;
        try {
          const d = decodeTxnRecord(rec.key, rec.value);
          latest.set(d.transactionalId, d.value);
        } catch {
          corrupt++;
        }
      }
    } catch (err) {
      if (this.loading.get(partition) === attempt) this.loading.delete(partition);
      throw err;
    }
    if (this.loading.get(partition) !== attempt) return null;
    const txns = new Map<string, TxnMetadata>();
    for (const [id, v] of latest) {
      // Stray records of ids that hash elsewhere are ignored, as are expired ids.
      if (v === null || v.state === TxnState.Dead || this.partitionFor(id) !== partition) continue;
      txns.set(id, metadataFromTransit(id, v));
    }
    this.loading.delete(partition);
    const owned: OwnedPartition = { coordinatorEpoch, txns };
    this.owned.set(partition, owned);
    return { owned, corrupt };
  }

  unload(partition: number): void {
    this.loading.delete(partition);
    this.owned.delete(partition);
  }
}
