/**
 * Producer state across restarts: load the newest valid snapshot not above the log end, then replay
 * only the batches after it (Kafka's approach, so a restart does not rescan the whole log); and take
 * snapshots (on segment roll and clean shutdown) at the state's end offset.
 */
import type { ProducerBatch } from "./batch-info.js";
import type { CorruptSnapshotError, ProducerSnapshotStore } from "./snapshot.js";
import {
  DEFAULT_PRODUCER_STATE_CONFIG,
  type ProducerStateConfig,
  ProducerStateManager,
} from "./state-manager.js";
import type { AbortedTxn } from "./txn-index.js";

export interface LoadProducerStateOptions {
  partition: string;
  store: ProducerSnapshotStore;
  logStartOffset: bigint;
  logEndOffset: bigint;
  nowMs: number;
  config?: ProducerStateConfig;
  /** Batches of the log from `fromOffset` (a batch may start before it) to the log end, in order. */
  readBatches(fromOffset: bigint): Iterable<ProducerBatch> | AsyncIterable<ProducerBatch>;
  onCorruptSnapshot?: (offset: bigint, err: CorruptSnapshotError) => void;
}

export interface LoadedProducerState {
  manager: ProducerStateManager;
  /** Offset of the snapshot used, or null if the state was rebuilt from the log start. */
  snapshotOffset: bigint | null;
  /** Number of batches replayed after the snapshot. */
  replayedBatches: number;
  /** Aborted transactions met while replaying (for rebuilding .txnindex files of recovered segments). */
  aborted: AbortedTxn[];
}

export async function loadProducerState(o: LoadProducerStateOptions): Promise<LoadedProducerState> {
  const manager = new ProducerStateManager(o.partition, o.config ?? DEFAULT_PRODUCER_STATE_CONFIG);
  // Snapshots past the log end describe data that was truncated away.
  o.store.deleteAbove(o.logEndOffset);
  const snap = o.store.latestValid(o.logEndOffset, o.logStartOffset, o.onCorruptSnapshot);
  const from = snap ? snap.offset : o.logStartOffset;
  if (snap) manager.loadSnapshot(snap.entries, snap.offset, o.nowMs);
  else manager.truncateFullyAndStartAt(o.logStartOffset);
  const aborted: AbortedTxn[] = [];
  let replayed = 0;
  for await (const b of o.readBatches(from)) {
    // A batch straddling the snapshot offset is already in the snapshot.
    if (b.baseOffset < from || b.baseOffset >= o.logEndOffset) continue;
    aborted.push(...manager.rebuild([b]));
    replayed++;
  }
  manager.onLogStartOffsetIncremented(o.logStartOffset);
  return { manager, snapshotOffset: snap?.offset ?? null, replayedBatches: replayed, aborted };
}

/**
 * Write a snapshot at the state's end offset unless one already exists there or the state has not
 * moved past the newest snapshot. Returns the snapshot's offset, or null if none was written.
 */
export function takeSnapshot(manager: ProducerStateManager, store: ProducerSnapshotStore): bigint | null {
  const offset = manager.endOffset();
  const existing = store.list();
  const newest = existing[existing.length - 1];
  if (newest !== undefined && newest >= offset) return null;
  store.write(offset, manager.snapshotEntries());
  return offset;
}
