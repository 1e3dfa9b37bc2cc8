import { decodeBatch } from "../../protocol/records/batch.js";
import { ControlType, readControlRecord } from "../../protocol/records/control.js";
import { isControl, isTransactional } from "../../protocol/records/header.js";
import type { AbortedTxn } from "../producer/txn-index.js";
import type { BatchInfo, LogSegment } from "./segment.js";

/**
 * What the cleaner needs to know about transactions in the range it cleans (Kafka's
 * CleanedTransactionMetadata, computed up front instead of while filtering):
 * - the outcome of every transactional data batch: aborted (its records are discarded), committed
 *   (compacted like any record) or undecided (no marker yet as far as the cleaner can tell; the
 *   cleaner stops before the first one, as Kafka stops at the first unstable offset);
 * - for every commit/abort marker, whether it may be discarded: no data batch of its transaction
 *   was met before it in this pass (Kafka's rule). Discarding still waits for delete.retention.ms
 *   after the cleaning that first found it discardable (the cleaner stamps a delete horizon);
 * - the type of each marker (the cleaner keeps index entries only for retained abort markers).
 *
 * A transaction's outcome comes from its marker when that lies inside the cleaned range, else from
 * the aborted-transaction index (markers later in the log), else it is committed when the caller
 * knows no transaction is open below the cleaned range's end (`settled`), undecided otherwise.
 */
export type TxnOutcome = "aborted" | "committed" | "undecided";

export interface MarkerInfo {
  type: ControlType | null;
  discardable: boolean;
}

export interface TxnPlan {
  /** Outcome of a data batch (non-transactional batches are "committed"). */
  outcomeOf(b: BatchInfo): TxnOutcome;
  /** Marker facts for a control batch. */
  markerOf(b: BatchInfo): MarkerInfo;
  aborted: number;
  undecided: number;
  /** Offset of the first undecided batch: Kafka's cleaner never passes an open transaction. */
  firstUndecided: bigint | null;
}

const KEEP_MARKER: MarkerInfo = { type: null, discardable: false };

/** Scan `segs` (headers, plus the one record of each control batch) and classify. */
export async function planTransactions(
  segs: readonly LogSegment[],
  abortedIndex: readonly AbortedTxn[],
  settled: boolean,
): Promise<TxnPlan> {
  const outcomes = new Map<bigint, TxnOutcome>();
  const markers = new Map<bigint, MarkerInfo>();
  /** Data batches of each producer's current transaction (since its last marker). */
  const open = new Map<bigint, bigint[]>();
  for (const seg of segs) {
    for (const b of seg.batchesFrom(0)) {
      if (!isControl(b.attributes)) {
        if (!isTransactional(b.attributes) || b.producerId < 0n) continue;
        const cur = open.get(b.producerId) ?? [];
        open.set(b.producerId, cur);
        cur.push(b.baseOffset);
        outcomes.set(b.baseOffset, "undecided");
        continue;
      }
      if (b.recordCount === 0) {
        // An empty control batch was emptied by an earlier cleaning: nothing left to retain.
        markers.set(b.baseOffset, { type: null, discardable: true });
        continue;
      }
      const { records } = await decodeBatch(seg.readBytes(b.position, b.size));
      const type = records[0] ? readControlRecord(records[0]).type : null;
      if (type !== ControlType.Abort && type !== ControlType.Commit) {
        markers.set(b.baseOffset, { type, discardable: false });
        continue;
      }
      const txn = open.get(b.producerId) ?? [];
      for (const o of txn) outcomes.set(o, type === ControlType.Abort ? "aborted" : "committed");
      open.delete(b.producerId);
      markers.set(b.baseOffset, { type, discardable: txn.length === 0 });
    }
  }
  // Transactions whose marker lies beyond the cleaned range (or is not written yet).
  const byProducer = new Map<bigint, AbortedTxn[]>();
  for (const t of abortedIndex) {
    if (!byProducer.has(t.producerId)) byProducer.set(t.producerId, []);
    byProducer.get(t.producerId)!.push(t);
  }
  for (const [pid, offsets] of open) {
    const entries = byProducer.get(pid) ?? [];
    for (const o of offsets) {
      const aborted = entries.some((t) => t.firstOffset <= o && t.lastOffset > o);
      outcomes.set(o, aborted ? "aborted" : settled ? "committed" : "undecided");
    }
  }
  let aborted = 0;
  let undecided = 0;
  let firstUndecided: bigint | null = null;
  for (const [off, o] of outcomes) {
    if (o === "aborted") aborted++;
    else if (o === "undecided") {
      undecided++;
      if (firstUndecided === null || off < firstUndecided) firstUndecided = off;
    }
  }
  return {
    outcomeOf: (b) => outcomes.get(b.baseOffset) ?? "committed",
    markerOf: (b) => markers.get(b.baseOffset) ?? KEEP_MARKER,
    aborted,
    undecided,
    firstUndecided,
  };
}
