/**
 * Producer state of one partition: per-producer epochs and recent sequence ranges (idempotence),
 * open transactions (first unstable offset / last stable offset) and completed transactions whose
 * markers are not yet below the high watermark.
 *
 * Appends are two-phase so a failed log write leaves no trace: `prepareAppend` validates batches
 * (with offsets already assigned) and returns a plan or a duplicate; after the log append succeeds
 * `apply(plan)` commits it and returns the aborted transactions to write to the segment's .txnindex.
 */
import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import type { ProducerBatch } from "./batch-info.js";
import {
  addBatch,
  cloneEntry,
  emptyEntry,
  findDuplicate,
  firstOffsetOf,
  incrementSequence,
  inSequence,
  lastBatch,
  lastDataOffsetOf,
  lastSeqOf,
  maybeUpdateEpoch,
  NO_PRODUCER_EPOCH,
  NO_SEQUENCE,
  type ProducerStateEntry,
} from "./entry.js";
import type { SnapshotEntry } from "./snapshot.js";
import type { AbortedTxn } from "./txn-index.js";

/**
 * Who is appending: a client produce (full validation, duplicates detected), the transaction
 * coordinator writing markers, or replication / recovery from the log (no validation: the leader
 * already accepted these batches).
 */
export type AppendOrigin = "client" | "coordinator" | "replication";

export interface ProducerStateConfig {
  /** producer.id.expiration.ms (Kafka default: one day). */
  producerIdExpirationMs: number;
}

export const DEFAULT_PRODUCER_STATE_CONFIG: ProducerStateConfig = { producerIdExpirationMs: 86_400_000 };

export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** Offset of the marker. */
  lastOffset: bigint;
  aborted: boolean;
}

interface TxnMetadata {
  producerId: bigint;
  firstOffset: bigint;
  /** Marker offset once completed. */
  lastOffset: bigint | null;
}

/** A retried batch that is already in the log: answer with where it went. */
export interface DuplicateBatch {
  producerId: bigint;
  firstOffset: bigint;
  lastOffset: bigint;
  /** The original batch's max timestamp (ms). */
  timestamp: number;
}

export interface AppendPlan {
  readonly entries: ReadonlyMap<bigint, ProducerStateEntry>;
  readonly startedTxns: readonly TxnMetadata[];
  readonly completedTxns: readonly CompletedTxn[];
  /** Offset after the last batch of the append (new map end offset). */
  readonly endOffset: bigint;
}

export type PrepareResult =
  | { kind: "ok"; plan: AppendPlan }
  | { kind: "duplicate"; duplicate: DuplicateBatch };

function fail(code: number, message: string): never {
  throw new KafkaError(code, message);
}

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerStateEntry>();
  /** Open transactions keyed by first offset. */
  private readonly ongoing = new Map<bigint, TxnMetadata>();
  /** Completed transactions whose marker is at or above the high watermark. */
  private readonly unreplicated = new Map<bigint, TxnMetadata>();
  private mapEndOffset = 0n;

  constructor(
    readonly partition: string,
    private readonly config: ProducerStateConfig = DEFAULT_PRODUCER_STATE_CONFIG,
  ) {}

  /** Offset up to which (exclusive) the state reflects the log. */
  endOffset(): bigint {
    return this.mapEndOffset;
  }

  /** Move the end offset forward (e.g. to a new segment's base offset before a snapshot). */
  advanceEndOffset(offset: bigint): void {
    if (offset > this.mapEndOffset) this.mapEndOffset = offset;
  }

  lastEntry(producerId: bigint): Readonly<ProducerStateEntry> | undefined {
    return this.producers.get(producerId);
  }

  activeProducers(): ReadonlyMap<bigint, Readonly<ProducerStateEntry>> {
    return this.producers;
  }

  /**
   * Validate batches whose offsets are assigned. Throws KafkaError: INVALID_PRODUCER_EPOCH (stale
   * epoch), OUT_OF_ORDER_SEQUENCE_NUMBER (gap, or a new epoch not starting at 0), INVALID_TXN_STATE
   * (non-transactional write inside an open transaction), TRANSACTION_COORDINATOR_FENCED (marker
   * from an older coordinator). A client batch equal to one of the last five of its producer is a
   * duplicate: nothing is appended and the original offsets are returned.
   */
  prepareAppend(batches: readonly ProducerBatch[], origin: AppendOrigin): PrepareResult {
    const staged = new Map<bigint, ProducerStateEntry>();
    const startedTxns: TxnMetadata[] = [];
    const completedTxns: CompletedTxn[] = [];
    let endOffset = this.mapEndOffset;
    for (const b of batches) {
      const last = b.baseOffset + BigInt(b.lastOffsetDelta);
      if (last + 1n > endOffset) endOffset = last + 1n;
      if (b.producerId < 0n) continue;
      const current = this.producers.get(b.producerId);
      let entry = staged.get(b.producerId);
      if (!entry) {
        entry = current ? cloneEntry(current) : emptyEntry(b.producerId);
        staged.set(b.producerId, entry);
      }
      if (b.marker) {
        const done = this.stageMarker(entry, b, origin);
        if (done) completedTxns.push(done);
        continue;
      }
      if (b.control) continue;
      if (origin === "client") {
        const lastSeq = incrementSequence(b.baseSequence, b.lastOffsetDelta);
        const dup = current && findDuplicate(current, b.producerEpoch, b.baseSequence, lastSeq);
        if (dup) {
          return {
            kind: "duplicate",
            duplicate: {
              producerId: b.producerId,
              firstOffset: firstOffsetOf(dup),
              lastOffset: dup.lastOffset,
              timestamp: dup.timestamp,
            },
          };
        }
      }
      const started = this.stageData(entry, current, b, origin);
      if (started) startedTxns.push(started);
    }
    return { kind: "ok", plan: { entries: staged, startedTxns, completedTxns, endOffset } };
  }

  private checkEpoch(entry: ProducerStateEntry, b: ProducerBatch, origin: AppendOrigin): void {
    if (b.producerEpoch < entry.producerEpoch && origin !== "replication") {
      fail(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `producer ${b.producerId} epoch ${b.producerEpoch} on ${this.partition} is older than ${entry.producerEpoch}`,
      );
    }
  }

  private stageData(
    entry: ProducerStateEntry,
    current: ProducerStateEntry | undefined,
    b: ProducerBatch,
    origin: AppendOrigin,
  ): TxnMetadata | null {
    this.checkEpoch(entry, b, origin);
    if (origin === "client" && b.baseSequence < 0)
      fail(ErrorCode.INVALID_RECORD, `producer ${b.producerId} sent a batch without a sequence number`);
    if (origin === "client") this.checkSequence(entry, current, b);
    let started: TxnMetadata | null = null;
    if (b.transactional) {
      if (entry.currentTxnFirstOffset === null) {
        entry.currentTxnFirstOffset = b.baseOffset;
        started = { producerId: b.producerId, firstOffset: b.baseOffset, lastOffset: null };
      }
    } else if (entry.currentTxnFirstOffset !== null && origin !== "replication") {
      fail(
        ErrorCode.INVALID_TXN_STATE,
        `producer ${b.producerId} sent a non-transactional batch to ${this.partition} inside an open transaction`,
      );
    }
    addBatch(entry, b.producerEpoch, {
      lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta),
      lastOffset: b.baseOffset + BigInt(b.lastOffsetDelta),
      offsetDelta: b.lastOffsetDelta,
      timestamp: b.maxTimestamp,
    });
    return started;
  }

  private checkSequence(
    entry: ProducerStateEntry,
    current: ProducerStateEntry | undefined,
    b: ProducerBatch,
  ): void {
    const seq = b.baseSequence;
    if (b.producerEpoch !== entry.producerEpoch) {
      // A bumped epoch restarts sequences at 0, unless the producer is unknown here (KIP-360).
      if (seq !== 0 && entry.producerEpoch !== NO_PRODUCER_EPOCH) {
        fail(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `producer ${b.producerId} on ${this.partition}: new epoch ${b.producerEpoch} must start at sequence 0, got ${seq}`,
        );
      }
      return;
    }
    // Unknown epoch (e.g. all of its batches were deleted): accept any sequence.
    if ((current?.producerEpoch ?? NO_PRODUCER_EPOCH) === NO_PRODUCER_EPOCH) return;
    const lastSeq = lastBatch(entry) ? lastSeqOf(entry) : NO_SEQUENCE;
    if (!inSequence(lastSeq, seq)) {
      fail(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `producer ${b.producerId} on ${this.partition}: sequence ${seq} does not follow ${lastSeq} (epoch ${b.producerEpoch})`,
      );
    }
  }

  private stageMarker(
    entry: ProducerStateEntry,
    b: ProducerBatch,
    origin: AppendOrigin,
  ): CompletedTxn | null {
    const marker = b.marker!;
    this.checkEpoch(entry, b, origin);
    if (entry.coordinatorEpoch > marker.coordinatorEpoch && origin !== "replication") {
      fail(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `marker for producer ${b.producerId} on ${this.partition} has coordinator epoch ${marker.coordinatorEpoch} < ${entry.coordinatorEpoch}`,
      );
    }
    // A marker without data on this partition changes nothing for readers (no LSO, no index entry).
    const completed: CompletedTxn | null =
      entry.currentTxnFirstOffset === null
        ? null
        : {
            producerId: b.producerId,
            firstOffset: entry.currentTxnFirstOffset,
            lastOffset: b.baseOffset,
            aborted: marker.type === "abort",
          };
    maybeUpdateEpoch(entry, b.producerEpoch);
    entry.currentTxnFirstOffset = null;
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    entry.lastTimestamp = b.maxTimestamp;
    return completed;
  }

  /**
   * Commit a plan after its batches are in the log. Returns the aborted transactions, each with the
   * last stable offset at its marker, in the order they must be appended to the active segment's
   * transaction index.
   */
  apply(plan: AppendPlan): AbortedTxn[] {
    for (const [pid, e] of plan.entries) this.producers.set(pid, e);
    for (const t of plan.startedTxns) this.ongoing.set(t.firstOffset, { ...t });
    const aborted: AbortedTxn[] = [];
    for (const c of plan.completedTxns) {
      const lastStableOffset = this.lastStableOffsetAfter(c);
      if (c.aborted)
        aborted.push({
          producerId: c.producerId,
          firstOffset: c.firstOffset,
          lastOffset: c.lastOffset,
          lastStableOffset,
        });
      this.completeTxn(c);
    }
    if (plan.endOffset > this.mapEndOffset) this.mapEndOffset = plan.endOffset;
    return aborted;
  }

  /** prepareAppend + apply that throws on a duplicate (recovery and replication never see one). */
  appendOrThrow(batches: readonly ProducerBatch[], origin: AppendOrigin): AbortedTxn[] {
    const r = this.prepareAppend(batches, origin);
    if (r.kind === "duplicate") fail(ErrorCode.DUPLICATE_SEQUENCE_NUMBER, "duplicate batch");
    return this.apply(r.plan);
  }

  /**
   * Replay batches read from the log (after a snapshot, or from the log start) without validation,
   * as Kafka's recovery does. Returns the aborted transactions found, for rebuilding .txnindex files.
   */
  rebuild(batches: Iterable<ProducerBatch>): AbortedTxn[] {
    const aborted: AbortedTxn[] = [];
    for (const b of batches) aborted.push(...this.appendOrThrow([b], "replication"));
    return aborted;
  }

  /** Where the LSO stands once `c`'s marker is in: the next other open transaction, or past the marker. */
  private lastStableOffsetAfter(c: CompletedTxn): bigint {
    for (const t of this.sortedOngoing()) if (t.producerId !== c.producerId) return t.firstOffset;
    return c.lastOffset + 1n;
  }

  private completeTxn(c: CompletedTxn): void {
    const t = this.ongoing.get(c.firstOffset);
    if (!t) return;
    this.ongoing.delete(c.firstOffset);
    t.lastOffset = c.lastOffset;
    this.unreplicated.set(c.firstOffset, t);
  }

  private sortedOngoing(): TxnMetadata[] {
    return [...this.ongoing.values()].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  }

  /** Earliest offset of an open transaction, ignoring replication. */
  firstUndecidedOffset(): bigint | null {
    return minOffset(this.ongoing.keys());
  }

  /** Earliest offset of an open transaction or of a completed one whose marker is not yet replicated. */
  firstUnstableOffset(): bigint | null {
    return minOffset([...this.ongoing.keys(), ...this.unreplicated.keys()]);
  }

  /** The LSO for read_committed fetches and ListOffsets: min(first unstable offset, high watermark). */
  lastStableOffset(highWatermark: bigint): bigint {
    const fuo = this.firstUnstableOffset();
    return fuo !== null && fuo < highWatermark ? fuo : highWatermark;
  }

  /** Transactions whose markers are now below the high watermark stop holding the LSO back. */
  onHighWatermarkUpdated(highWatermark: bigint): void {
    this.dropUnreplicatedBelow(highWatermark);
  }

  onLogStartOffsetIncremented(logStartOffset: bigint): void {
    this.dropUnreplicatedBelow(logStartOffset);
    if (this.mapEndOffset < logStartOffset) this.mapEndOffset = logStartOffset;
  }

  private dropUnreplicatedBelow(offset: bigint): void {
    for (const [k, t] of this.unreplicated)
      if (t.lastOffset !== null && t.lastOffset < offset) this.unreplicated.delete(k);
  }

  /** Open transactions (producer id, first offset), oldest first. */
  ongoingTransactions(): { producerId: bigint; firstOffset: bigint }[] {
    return this.sortedOngoing().map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
  }

  private isExpired(e: ProducerStateEntry, nowMs: number): boolean {
    return e.currentTxnFirstOffset === null && nowMs - e.lastTimestamp >= this.config.producerIdExpirationMs;
  }

  /** Forget producers idle for producer.id.expiration.ms with no open transaction. */
  removeExpiredProducers(nowMs: number): bigint[] {
    const removed: bigint[] = [];
    for (const [pid, e] of this.producers) {
      if (this.isExpired(e, nowMs)) {
        this.producers.delete(pid);
        removed.push(pid);
      }
    }
    return removed;
  }

  /** Reset to an empty state that starts at `offset` (full truncation, or before loading). */
  truncateFullyAndStartAt(offset: bigint): void {
    this.producers.clear();
    this.ongoing.clear();
    this.unreplicated.clear();
    this.mapEndOffset = offset;
  }

  /** Entries for a snapshot file: the last batch of each producer, as Kafka's snapshots keep. */
  snapshotEntries(): SnapshotEntry[] {
    const out: SnapshotEntry[] = [];
    for (const e of this.producers.values()) {
      const last = lastBatch(e);
      out.push({
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: lastSeqOf(e),
        lastOffset: lastDataOffsetOf(e),
        offsetDelta: last?.offsetDelta ?? 0,
        timestamp: e.lastTimestamp,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnFirstOffset: e.currentTxnFirstOffset ?? -1n,
      });
    }
    return out;
  }

  /** Replace the state with a snapshot taken at `snapshotOffset`, skipping expired producers. */
  loadSnapshot(entries: readonly SnapshotEntry[], snapshotOffset: bigint, nowMs: number): void {
    this.truncateFullyAndStartAt(snapshotOffset);
    for (const s of entries) {
      const e: ProducerStateEntry = {
        producerId: s.producerId,
        producerEpoch: s.producerEpoch,
        coordinatorEpoch: s.coordinatorEpoch,
        lastTimestamp: s.timestamp,
        currentTxnFirstOffset: s.currentTxnFirstOffset >= 0n ? s.currentTxnFirstOffset : null,
        batches:
          s.lastOffset >= 0n
            ? [
                {
                  lastSeq: s.lastSequence,
                  lastOffset: s.lastOffset,
                  offsetDelta: s.offsetDelta,
                  timestamp: s.timestamp,
                },
              ]
            : [],
      };
      if (this.isExpired(e, nowMs)) continue;
      this.producers.set(e.producerId, e);
      if (e.currentTxnFirstOffset !== null) {
        this.ongoing.set(e.currentTxnFirstOffset, {
          producerId: e.producerId,
          firstOffset: e.currentTxnFirstOffset,
          lastOffset: null,
        });
      }
    }
  }
}

function minOffset(it: Iterable<bigint>): bigint | null {
  let m: bigint | null = null;
  for (const o of it) if (m === null || o < m) m = o;
  return m;
}
