/**
 * A partition log with its producer state (idempotence, transactions, LSO, aborted-transaction
 * index) kept in step: every append is validated against the state first (stale epochs, sequence
 * gaps, duplicates), written, then committed to the state. Appends are serialised per partition
 * here, so the offsets the log will assign can be predicted from its log end offset.
 *
 * The state is loaded in the background when the wrapper is created (from the newest snapshot plus
 * the log after it); appends wait for it. Segment rolls and the clean close write snapshots.
 */
import type { Logger } from "pino";
import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import { readBatchHeader } from "../../protocol/records/header.js";
import {
  type AppendOrigin,
  type DuplicateBatch,
  type FetchAbortedTxn,
  PartitionProducerState,
  type ProducerBatch,
  type ProducerStateConfig,
  producerBatchFromHeader,
  type TxnMarker,
} from "../producer/index.js";
import type { AppendInfo, PartitionLog } from "../storage/partition-log.js";
import { plannedBatches, readProducerBatches } from "./batch-reader.js";

export type ClientAppendOutcome =
  | { kind: "appended"; info: AppendInfo }
  | { kind: "duplicate"; duplicate: DuplicateBatch };

/**
 * Checks that a transactional producer added this partition to its transaction before the first
 * batch of the transaction lands here (KIP-890): returns NONE or the error to fail the produce with.
 */
export type TxnVerifier = (producerId: bigint, producerEpoch: number) => number | Promise<number>;

export interface ProducerLogOptions {
  config: ProducerStateConfig;
  logger: Logger;
  now: () => number;
}

export class ProducerLog {
  private state: PartitionProducerState | null = null;
  private chain: Promise<unknown>;
  private closed = false;
  private readonly unsubscribe: (() => void)[] = [];
  /** Resolves when the producer state is loaded (or failed to load: appends then fail). */
  readonly ready: Promise<void>;

  constructor(
    readonly log: PartitionLog,
    private readonly opts: ProducerLogOptions,
  ) {
    this.ready = this.load();
    this.chain = this.ready.catch(() => undefined);
    // Compaction never cleans past an undecided transaction (nothing before the state is loaded).
    log.firstUnstableOffset = () =>
      this.state ? this.state.producers.firstUnstableOffset() : this.log.logStartOffset;
    const on = <T>(event: string, fn: (arg: T) => void): void => {
      log.on(event, fn);
      this.unsubscribe.push(() => log.off(event, fn));
    };
    on("roll", (base: bigint) => {
      try {
        this.state?.onSegmentRoll(base);
      } catch (err) {
        this.opts.logger.warn({ err, partition: this.name }, "producer snapshot on roll failed");
      }
    });
    on("segmentsReplaced", (r: { replaced: bigint[]; base: bigint }) => {
      // The cleaner rewrote these segments' .txnindex files: drop the cached copies.
      this.state?.onSegmentsReplaced([...r.replaced, r.base]);
    });
    // Safe now that cached .txnindex copies follow the cleaner's rewrites (see above): abort
    // markers whose data is gone may be removed like Kafka's cleaner does.
    log.allowAbortMarkerRemoval = true;
    on("segmentDeleted", (base: bigint) => {
      // The log start offset moves after the event; read it once the deletion is done.
      queueMicrotask(() => this.state?.onSegmentsDeleted([base], this.log.logStartOffset));
    });
    on("truncate", (offset: bigint) => {
      void this.serial(async () => {
        await this.state?.truncateTo(
          offset,
          this.log.logStartOffset,
          this.log.segmentBaseOffsets(),
          this.opts.now(),
          (from) => readProducerBatches(this.log, from),
        );
      }).catch((err) =>
        this.opts.logger.error({ err, partition: this.name }, "producer state truncation failed"),
      );
    });
  }

  get name(): string {
    return `${this.log.topic}-${this.log.partition}`;
  }

  private async load(): Promise<void> {
    const started = Date.now();
    this.state = await PartitionProducerState.open({
      dir: this.log.dir,
      partition: this.name,
      logStartOffset: this.log.logStartOffset,
      logEndOffset: this.log.logEndOffset,
      segmentBaseOffsets: this.log.segmentBaseOffsets(),
      nowMs: this.opts.now(),
      readBatches: (from) => readProducerBatches(this.log, from),
      config: this.opts.config,
      onCorruptSnapshot: (offset, err) =>
        this.opts.logger.warn(
          { partition: this.name, offset: String(offset), err },
          "corrupt producer snapshot",
        ),
    });
    const ms = Date.now() - started;
    if (ms > 100) this.opts.logger.info({ partition: this.name, ms }, "loaded producer state");
  }

  /** Run `fn` after every earlier append through this wrapper has finished. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(async () => {
      await this.ready.catch((err: unknown) => {
        // Without its producer state the partition cannot check appends: fail them like a bad disk.
        throw new KafkaError(
          ErrorCode.KAFKA_STORAGE_ERROR,
          `producer state of ${this.name} failed to load: ${(err as Error).message}`,
        );
      });
      return fn();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private activeSegmentBase(): bigint {
    const bases = this.log.segmentBaseOffsets();
    return bases[bases.length - 1] ?? 0n;
  }

  /**
   * Validate, append, commit. A plan made with predicted offsets is redone with the offsets the log
   * actually assigned if someone appended around this wrapper (then only non-producer batches can
   * have slipped in, which leaves the validation unchanged).
   */
  private async appendWith(
    buf: Buffer,
    leaderEpoch: number,
    origin: AppendOrigin,
    batchesAt: (logEndOffset: bigint) => ProducerBatch[],
    verify?: TxnVerifier,
  ): Promise<ClientAppendOutcome> {
    return this.serial(async () => {
      const state = this.state!;
      if (verify) await this.verifyTransactions(batchesAt(this.log.logEndOffset), verify);
      const predicted = this.log.logEndOffset;
      const prepared = state.prepareAppend(batchesAt(predicted), origin);
      if (prepared.kind === "duplicate") return prepared;
      const info = await this.log.append(buf, { leaderEpoch, assignOffsets: true });
      let plan = prepared.plan;
      if (info.firstOffset !== predicted) {
        this.opts.logger.warn(
          { partition: this.name, predicted: String(predicted), actual: String(info.firstOffset) },
          "append bypassed producer state; replanning",
        );
        const again = state.prepareAppend(batchesAt(info.firstOffset), "replication");
        if (again.kind === "ok") plan = again.plan;
      }
      state.commitAppend(plan, this.activeSegmentBase());
      // Single replica: the high watermark is the log end offset.
      state.onHighWatermarkUpdated(this.log.logEndOffset);
      return { kind: "appended", info };
    });
  }

  /** First batch of a transaction on this partition: ask the coordinator whether it may start. */
  private async verifyTransactions(batches: ProducerBatch[], verify: TxnVerifier): Promise<void> {
    for (const b of batches) {
      if (!b.transactional || b.producerId < 0n) continue;
      if (this.openTransactionFirstOffset(b.producerId) !== null) continue;
      const code = await verify(b.producerId, b.producerEpoch);
      if (code !== ErrorCode.NONE)
        throw new KafkaError(code, `producer ${b.producerId} has not added ${this.name} to its transaction`);
    }
  }

  /** A produce request's batches: full idempotence/transaction validation; duplicates answered. */
  appendClient(
    buf: Buffer,
    opts: { leaderEpoch: number; verifyTxn?: TxnVerifier },
  ): Promise<ClientAppendOutcome> {
    return this.appendWith(
      buf,
      opts.leaderEpoch,
      "client",
      (leo) => plannedBatches(buf, leo),
      opts.verifyTxn,
    );
  }

  /** Internal writers (group coordinator records, transactional offset commits). */
  async append(
    buf: Buffer,
    opts: { leaderEpoch: number; assignOffsets: true; now?: number },
  ): Promise<AppendInfo> {
    const out = await this.appendWith(buf, opts.leaderEpoch, "coordinator", (leo) =>
      plannedBatches(buf, leo),
    );
    if (out.kind === "duplicate") throw new Error("coordinator append reported as a duplicate");
    return out.info;
  }

  /** A transaction marker (one control batch) from the transaction coordinator. */
  async appendMarker(buf: Buffer, marker: TxnMarker, leaderEpoch: number): Promise<AppendInfo> {
    const out = await this.appendWith(buf, leaderEpoch, "coordinator", (leo) => [
      { ...producerBatchFromHeader(readBatchHeader(buf, 0), marker), baseOffset: leo },
    ]);
    if (out.kind === "duplicate") throw new Error("marker append reported as a duplicate");
    return out.info;
  }

  /**
   * The last stable offset (read_committed limit); the log start while the state is loading. Like
   * Kafka's first unstable offset, never below the log start (DeleteRecords may pass an open
   * transaction's first offset).
   */
  lastStableOffset(): bigint {
    const start = this.log.logStartOffset;
    if (!this.state) return start;
    const lso = this.state.lastStableOffset(this.log.logEndOffset);
    if (lso < start) return start; // bigint: no Math.max
    return lso;
  }

  /**
   * DeleteRecords: move the log start, then tell the producer state (Kafka calls
   * onLogStartOffsetIncremented on every increment; a move inside a segment deletes no segment,
   * so the segmentDeleted event alone would miss it).
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    await this.ready.catch(() => undefined);
    const lowWatermark = await this.log.deleteRecordsBefore(offset);
    this.state?.onLogStartOffsetIncremented(this.log.logStartOffset);
    return lowWatermark;
  }

  abortedTransactions(fetchOffset: bigint, upperBoundOffset: bigint): FetchAbortedTxn[] {
    if (!this.state) return [];
    return this.state.abortedTransactions(fetchOffset, upperBoundOffset, this.log.segmentBaseOffsets());
  }

  /** First offset of the producer's open transaction here, or null. */
  openTransactionFirstOffset(producerId: bigint): bigint | null {
    return this.state?.producers.lastEntry(producerId)?.currentTxnFirstOffset ?? null;
  }

  /** Producers with an open transaction here, oldest first. */
  openTransactions(): { producerId: bigint; firstOffset: bigint }[] {
    return this.state?.producers.ongoingTransactions() ?? [];
  }

  /** For DescribeProducers. */
  producerState(): PartitionProducerState | null {
    return this.state;
  }

  removeExpiredProducers(nowMs: number): void {
    this.state?.removeExpiredProducers(nowMs);
  }

  /** Clean shutdown: wait for appends, snapshot at the log end, stop following the log. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    for (const u of this.unsubscribe) u();
    try {
      if (!this.log.isClosed) this.state?.close();
    } catch (err) {
      this.opts.logger.warn({ err, partition: this.name }, "producer snapshot at close failed");
    }
  }

  /** The log was deleted: stop following it without writing anything. */
  detach(): void {
    this.closed = true;
    for (const u of this.unsubscribe) u();
  }
}
