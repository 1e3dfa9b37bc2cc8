/**
 * One partition's transactional/idempotent state on disk and in memory, behind the calls a partition
 * log makes: validate and commit appends (writing aborted transactions to the active segment's
 * .txnindex), answer read_committed questions (LSO, AbortedTransactions), snapshot on segment roll
 * and shutdown, follow segment deletion and truncation. Storage-agnostic: segments are named by their
 * base offsets, and batches are read through a callback.
 */
import fs from "node:fs";
import type { ProducerBatch } from "./batch-info.js";
import { loadProducerState, takeSnapshot } from "./recovery.js";
import { ProducerSnapshotStore } from "./snapshot.js";
import {
  type AppendOrigin,
  type AppendPlan,
  DEFAULT_PRODUCER_STATE_CONFIG,
  type PrepareResult,
  type ProducerStateConfig,
  type ProducerStateManager,
} from "./state-manager.js";
import { type AbortedTxn, collectAbortedTransactions, TransactionIndex } from "./txn-index.js";

export type BatchReader = (fromOffset: bigint) => Iterable<ProducerBatch> | AsyncIterable<ProducerBatch>;

export interface OpenPartitionStateOptions {
  /** The partition directory (`topic-N`). */
  dir: string;
  /** For messages: `topic-N`. */
  partition: string;
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** Base offsets of the segments present. */
  segmentBaseOffsets: readonly bigint[];
  nowMs: number;
  readBatches: BatchReader;
  config?: ProducerStateConfig;
  onCorruptSnapshot?: (offset: bigint, err: Error) => void;
}

/** The aborted transactions a read_committed Fetch response lists. */
export interface FetchAbortedTxn {
  producerId: bigint;
  firstOffset: bigint;
}

/** Base offsets of the .txnindex files in a directory. */
function listTxnIndexes(dir: string): bigint[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: bigint[] = [];
  for (const n of names) {
    const m = /^(\d{20})\.txnindex$/.exec(n);
    if (m) out.push(BigInt(m[1]!));
  }
  return out;
}

function floorIndex(sorted: readonly bigint[], offset: bigint): number {
  let found = 0;
  for (let i = 0; i < sorted.length; i++) if (sorted[i]! <= offset) found = i;
  return found;
}

const sortOffsets = (xs: readonly bigint[]): bigint[] => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export class PartitionProducerState {
  private readonly indexes = new Map<bigint, TransactionIndex>();

  private constructor(
    readonly dir: string,
    readonly partition: string,
    readonly snapshots: ProducerSnapshotStore,
    private manager: ProducerStateManager,
    private readonly config: ProducerStateConfig,
  ) {}

  /**
   * Load from the newest valid snapshot plus the log after it; stray snapshots are removed, and
   * aborted transactions found in the replayed tail are added to their segments' indexes if missing
   * (after an unclean shutdown the index may lag the log).
   */
  static async open(o: OpenPartitionStateOptions): Promise<PartitionProducerState> {
    const store = new ProducerSnapshotStore(o.dir);
    store.removeStray(o.segmentBaseOffsets);
    const config = o.config ?? DEFAULT_PRODUCER_STATE_CONFIG;
    const loaded = await loadProducerState({
      partition: o.partition,
      store,
      logStartOffset: o.logStartOffset,
      logEndOffset: o.logEndOffset,
      nowMs: o.nowMs,
      config,
      readBatches: o.readBatches,
      onCorruptSnapshot: o.onCorruptSnapshot,
    });
    const s = new PartitionProducerState(o.dir, o.partition, store, loaded.manager, config);
    const bases = sortOffsets(o.segmentBaseOffsets);
    for (const t of loaded.aborted) {
      if (bases.length === 0) break;
      const idx = s.index(bases[floorIndex(bases, t.lastOffset)]!);
      const entries = idx.all();
      const last = entries[entries.length - 1];
      if (!last || last.lastOffset < t.lastOffset) idx.append(t);
    }
    return s;
  }

  get producers(): ProducerStateManager {
    return this.manager;
  }

  index(segmentBaseOffset: bigint): TransactionIndex {
    let idx = this.indexes.get(segmentBaseOffset);
    if (!idx) {
      idx = TransactionIndex.forSegment(this.dir, segmentBaseOffset);
      this.indexes.set(segmentBaseOffset, idx);
    }
    return idx;
  }

  /** Validate batches (offsets assigned); throws KafkaError, or returns a duplicate to answer with. */
  prepareAppend(batches: readonly ProducerBatch[], origin: AppendOrigin): PrepareResult {
    return this.manager.prepareAppend(batches, origin);
  }

  /**
   * After the batches are in the active segment: commit the plan and index its aborted
   * transactions. Every append must pass through here (even non-idempotent ones) so the state's end
   * offset follows the log.
   */
  commitAppend(plan: AppendPlan, activeSegmentBaseOffset: bigint): AbortedTxn[] {
    const aborted = this.manager.apply(plan);
    for (const t of aborted) this.index(activeSegmentBaseOffset).append(t);
    return aborted;
  }

  lastStableOffset(highWatermark: bigint): bigint {
    return this.manager.lastStableOffset(highWatermark);
  }

  onHighWatermarkUpdated(highWatermark: bigint): void {
    this.manager.onHighWatermarkUpdated(highWatermark);
  }

  /** The log start moved inside a segment (DeleteRecords); segment deletions call onSegmentsDeleted. */
  onLogStartOffsetIncremented(newLogStartOffset: bigint): void {
    this.manager.onLogStartOffsetIncremented(newLogStartOffset);
  }

  /**
   * Aborted transactions overlapping a read_committed fetch of [fetchOffset, upperBoundOffset) —
   * upperBoundOffset being the offset after the last fetched batch (Kafka: the next batch's offset,
   * or the next segment's base, or the log end).
   */
  abortedTransactions(
    fetchOffset: bigint,
    upperBoundOffset: bigint,
    segmentBaseOffsets: readonly bigint[],
  ): FetchAbortedTxn[] {
    const bases = sortOffsets(segmentBaseOffsets);
    if (bases.length === 0) return [];
    const from = floorIndex(bases, fetchOffset);
    const indexes = bases.slice(from).map((b) => this.index(b));
    return collectAbortedTransactions(indexes, fetchOffset, upperBoundOffset).map((t) => ({
      producerId: t.producerId,
      firstOffset: t.firstOffset,
    }));
  }

  /** A new segment starts at `newBaseOffset`: snapshot the state there (Kafka does this on roll). */
  onSegmentRoll(newBaseOffset: bigint): bigint | null {
    this.manager.advanceEndOffset(newBaseOffset);
    for (const idx of this.indexes.values()) idx.flush();
    return takeSnapshot(this.manager, this.snapshots);
  }

  /**
   * The cleaner rewrote these segments' .txnindex files: forget the cached copies (without
   * touching the files) so the next lookup reads what is on disk now.
   */
  onSegmentsReplaced(baseOffsets: readonly bigint[]): void {
    for (const b of baseOffsets) this.indexes.delete(b);
  }

  /** Segments were deleted (retention, DeleteRecords): drop their indexes and snapshots. */
  onSegmentsDeleted(deletedBaseOffsets: readonly bigint[], newLogStartOffset: bigint): void {
    for (const b of deletedBaseOffsets) {
      this.index(b).delete();
      this.indexes.delete(b);
      this.snapshots.delete(b);
    }
    this.manager.onLogStartOffsetIncremented(newLogStartOffset);
  }

  /**
   * The log was truncated to `offset` (follower divergence): trim indexes, drop snapshots beyond it
   * and rebuild the state from the newest remaining snapshot.
   */
  async truncateTo(
    offset: bigint,
    logStartOffset: bigint,
    remainingSegmentBaseOffsets: readonly bigint[],
    nowMs: number,
    readBatches: BatchReader,
  ): Promise<void> {
    const keep = new Set(remainingSegmentBaseOffsets);
    for (const b of new Set([...this.indexes.keys(), ...listTxnIndexes(this.dir)])) {
      if (!keep.has(b)) {
        this.index(b).delete();
        this.indexes.delete(b);
      }
    }
    for (const b of remainingSegmentBaseOffsets) this.index(b).truncateTo(offset);
    const loaded = await loadProducerState({
      partition: this.partition,
      store: this.snapshots,
      logStartOffset,
      logEndOffset: offset,
      nowMs,
      config: this.config,
      readBatches,
    });
    this.manager = loaded.manager;
  }

  /** Everything is gone (e.g. the replica restarts from `offset`): no indexes, no snapshots. */
  truncateFullyAndStartAt(offset: bigint): void {
    for (const b of listTxnIndexes(this.dir)) this.index(b);
    for (const idx of this.indexes.values()) idx.delete();
    this.indexes.clear();
    for (const o of this.snapshots.list()) this.snapshots.delete(o);
    this.manager.truncateFullyAndStartAt(offset);
  }

  removeExpiredProducers(nowMs: number): bigint[] {
    return this.manager.removeExpiredProducers(nowMs);
  }

  /** Clean shutdown: a snapshot at the log end so the next start replays nothing. */
  close(): bigint | null {
    for (const idx of this.indexes.values()) idx.flush();
    return takeSnapshot(this.manager, this.snapshots);
  }
}
