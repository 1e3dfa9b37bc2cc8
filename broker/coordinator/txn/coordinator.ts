/**
 * The transaction coordinator: owns the transactional ids hashed to the __transaction_state
 * partitions this broker leads, hands out producer ids and epochs (fencing zombies), records the
 * partitions of each transaction, and on EndTxn (or timeout) drives PrepareCommit/PrepareAbort ->
 * markers on every partition -> CompleteCommit/CompleteAbort. Everything durable goes through the
 * injected TxnLogWriter; markers through the MarkerWriter; timing through the injected Time.
 */
import { ErrorCode } from "../../../protocol/errors/index.js";
import type { Logger } from "../../logger.js";
import { partitionFor as offsetsPartitionFor } from "../group/partitioner.js";
import { type Cancel, systemTime, type Time } from "../group/time.js";
import { describeOne, listMatching } from "./describe.js";
import { appendErrorCode, errorCodeOf } from "./errors.js";
import { deliverMarkers, type MarkerWriter, sleep } from "./markers.js";
import { type Located, TxnPartitionTable } from "./ownership.js";
import { txnPartitionFor } from "./partitioner.js";
import type { ProducerIdAllocator } from "./producer-ids.js";
import { txnLogKey, txnLogValue } from "./records.js";
import {
  abortTransition,
  completeTransition,
  containsAll,
  isEpochExhausted,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  newTxnMetadata,
  prepareAbortOrCommit,
  prepareAddPartitions,
  prepareComplete,
  prepareDead,
  prepareFenceProducerEpoch,
  prepareIncrementProducerEpoch,
  prepareProducerIdRotation,
  type TxnMetadata,
  TxnState,
  type TxnTransit,
  tpKey,
} from "./state.js";
import {
  type AddOffsetsInput,
  type AddPartitionsInput,
  type AddPartitionsResult,
  DEFAULT_TXN_CONFIG,
  type DescribedTransaction,
  type EndTxnInput,
  type InitProducerIdInput,
  type InitProducerIdResult,
  type ListTransactionsResult,
  type TopicPartition,
  type TxnCoordinatorConfig,
  type TxnLogRecord,
  type TxnLogWriter,
  type VerifyPartitionsResult,
} from "./types.js";

export const CONSUMER_OFFSETS_TOPIC = "__consumer_offsets";
const MAX_EPOCH = 32767;

export interface TxnCoordinatorOptions {
  writer: TxnLogWriter;
  markers: MarkerWriter;
  producerIds: ProducerIdAllocator;
  config?: Partial<TxnCoordinatorConfig>;
  time?: Time;
  logger?: Logger;
}

export class TransactionCoordinator {
  readonly config: TxnCoordinatorConfig;
  private readonly time: Time;
  private readonly writer: TxnLogWriter;
  private readonly markers: MarkerWriter;
  private readonly producerIds: ProducerIdAllocator;
  private readonly logger: Logger | undefined;
  private readonly table: TxnPartitionTable;
  private active = true;
  private timers: Cancel[] = [];
  private readonly background = new Set<Promise<void>>();

  constructor(opts: TxnCoordinatorOptions) {
    this.config = { ...DEFAULT_TXN_CONFIG, ...opts.config };
    this.time = opts.time ?? systemTime;
    this.writer = opts.writer;
    this.markers = opts.markers;
    this.producerIds = opts.producerIds;
    this.logger = opts.logger;
    this.table = new TxnPartitionTable((id) => this.partitionFor(id));
  }

  /** Start the periodic timeout-abort and transactional-id expiry tasks. */
  startup(): void {
    const every = (ms: number, fn: () => void): void => {
      let cancel: Cancel;
      const tick = (): void => {
        if (!this.active) return;
        fn();
        cancel = this.time.schedule(ms, tick);
      };
      cancel = this.time.schedule(ms, tick);
      this.timers.push(() => cancel());
    };
    every(this.config["transaction.abort.timed.out.transaction.cleanup.interval.ms"], () =>
      this.abortTimedOutTransactions(),
    );
    every(this.config["transaction.remove.expired.transaction.cleanup.interval.ms"], () =>
      this.expireTransactionalIds(),
    );
  }

  shutdown(): void {
    this.active = false;
    for (const c of this.timers) c();
    this.timers = [];
    for (const p of this.table.partitions()) this.onPartitionUnload(p);
  }

  partitionFor(transactionalId: string): number {
    return txnPartitionFor(transactionalId, this.config["transaction.state.log.num.partitions"]);
  }

  /** Resolves when background work (markers, completion writes) started so far has settled. */
  async settled(): Promise<void> {
    while (this.background.size > 0) await Promise.allSettled([...this.background]);
  }

  private spawn(work: Promise<void>): void {
    const p = work.catch((e) =>
      this.logger?.error({ err: e }, "transaction coordinator background task failed"),
    );
    this.background.add(p);
    void p.finally(() => this.background.delete(p));
  }

  private locate(transactionalId: string): Located {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    return this.table.locate(transactionalId);
  }

  private isCurrent(partition: number, coordinatorEpoch: number): boolean {
    return this.active && this.table.get(partition)?.coordinatorEpoch === coordinatorEpoch;
  }

  /** Write a prepared transit and install it; on failure the transition is dropped. */
  private async persist(partition: number, epoch: number, md: TxnMetadata, t: TxnTransit): Promise<number> {
    try {
      const value = t.state === TxnState.Dead ? null : txnLogValue(t);
      await this.writer.append(partition, [{ key: txnLogKey(md.transactionalId), value }]);
    } catch (e) {
      abortTransition(md);
      this.logger?.warn({ err: e, transactionalId: md.transactionalId }, "transaction state write failed");
      return appendErrorCode(e);
    }
    if (!this.isCurrent(partition, epoch)) {
      abortTransition(md);
      return ErrorCode.NOT_COORDINATOR;
    }
    completeTransition(md, t);
    return ErrorCode.NONE;
  }

  // ---- InitProducerId ---------------------------------------------------------------------------

  async initProducerId(req: InitProducerIdInput): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({
      errorCode,
      producerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
    });
    if (req.transactionalId === null) {
      // Idempotent producers always get a fresh id at epoch 0.
      try {
        return {
          errorCode: ErrorCode.NONE,
          producerId: await this.producerIds.generateProducerId(),
          producerEpoch: 0,
        };
      } catch (e) {
        return fail(errorCodeOf(e));
      }
    }
    const id = req.transactionalId;
    if (id === "") return fail(ErrorCode.INVALID_REQUEST);
    const pid = req.producerId ?? NO_PRODUCER_ID;
    const pepoch = req.producerEpoch ?? NO_PRODUCER_EPOCH;
    if ((pid === NO_PRODUCER_ID) !== (pepoch === NO_PRODUCER_EPOCH)) return fail(ErrorCode.INVALID_REQUEST);
    const expected = pid === NO_PRODUCER_ID ? null : { producerId: pid, epoch: pepoch };
    const timeout = req.transactionTimeoutMs;
    if (timeout <= 0 || timeout > this.config["transaction.max.timeout.ms"])
      return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);

    let loc = this.locate(id);
    if (!("owned" in loc)) return fail(loc.errorCode);
    if (!loc.owned.txns.has(id)) {
      let fresh: bigint;
      try {
        fresh = await this.producerIds.generateProducerId();
      } catch (e) {
        return fail(errorCodeOf(e));
      }
      loc = this.locate(id);
      if (!("owned" in loc)) return fail(loc.errorCode);
      if (!loc.owned.txns.has(id))
        loc.owned.txns.set(id, newTxnMetadata(id, fresh, timeout, this.time.now()));
    }
    const { partition, owned } = loc;
    const epoch = owned.coordinatorEpoch;
    const md = owned.txns.get(id)!;
    if (md.pendingState !== null) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    if (expected && !this.isValidExpectedProducer(md, expected)) return fail(ErrorCode.PRODUCER_FENCED);

    switch (md.state) {
      case TxnState.PrepareAbort:
      case TxnState.PrepareCommit:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Ongoing: {
        // Fence the current producer and abort its transaction; the client retries and then gets
        // a further bumped epoch (or a new producer id if this one ran out of epochs).
        const code = await this.endTransaction(id, md.producerId, this.fenceEpoch(md), "abort", false);
        return fail(code === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : code);
      }
      case TxnState.Empty:
      case TxnState.CompleteAbort:
      case TxnState.CompleteCommit: {
        let transit: TxnTransit | null;
        if (isEpochExhausted(md.producerEpoch) && (!expected || expected.epoch === md.producerEpoch)) {
          let fresh: bigint;
          try {
            fresh = await this.producerIds.generateProducerId();
          } catch (e) {
            return fail(errorCodeOf(e));
          }
          if (!this.isCurrent(partition, epoch) || owned.txns.get(id) !== md)
            return fail(ErrorCode.NOT_COORDINATOR);
          // Something else may have happened to the transaction while we waited for the id.
          const idle =
            md.state === TxnState.Empty ||
            md.state === TxnState.CompleteAbort ||
            md.state === TxnState.CompleteCommit;
          if (md.pendingState !== null || !idle) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
          transit = prepareProducerIdRotation(md, fresh, timeout, this.time.now(), expected !== null);
        } else {
          transit = prepareIncrementProducerEpoch(md, timeout, expected?.epoch ?? null, this.time.now());
          if (!transit) return fail(ErrorCode.PRODUCER_FENCED);
        }
        const code = await this.persist(partition, epoch, md, transit);
        if (code !== ErrorCode.NONE) return fail(code);
        return {
          errorCode: ErrorCode.NONE,
          producerId: transit.producerId,
          producerEpoch: transit.producerEpoch,
        };
      }
      default:
        this.logger?.error({ transactionalId: id, state: md.state }, "transaction in an impossible state");
        return fail(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }

  /**
   * A recovering producer's id/epoch is accepted if the metadata is brand new, the id matches, or it
   * is the previous id whose epoch ran out (a retry of a rotation it never heard back from).
   */
  private isValidExpectedProducer(md: TxnMetadata, e: { producerId: bigint; epoch: number }): boolean {
    return (
      md.producerEpoch === NO_PRODUCER_EPOCH ||
      e.producerId === md.producerId ||
      (e.producerId === md.lastProducerId && isEpochExhausted(e.epoch))
    );
  }

  /**
   * Mark an Ongoing transaction for a fencing abort and return the epoch to abort with. At the
   * largest epoch there is nothing to bump: abort with the current one.
   */
  private fenceEpoch(md: TxnMetadata): number {
    if (md.producerEpoch >= MAX_EPOCH) return md.producerEpoch;
    return prepareFenceProducerEpoch(md).producerEpoch;
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn -----------------------------------------------------

  private checkProducer(md: TxnMetadata | undefined, producerId: bigint, producerEpoch: number): number {
    if (!md || md.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (md.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  async addPartitionsToTxn(req: AddPartitionsInput): Promise<AddPartitionsResult> {
    if (!req.transactionalId) return { errorCode: ErrorCode.INVALID_REQUEST };
    const loc = this.locate(req.transactionalId);
    if (!("owned" in loc)) return { errorCode: loc.errorCode };
    const md = loc.owned.txns.get(req.transactionalId);
    const bad = this.checkProducer(md, req.producerId, req.producerEpoch);
    if (bad !== ErrorCode.NONE || !md) return { errorCode: bad };
    if (md.pendingState !== null) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    if (md.state === TxnState.PrepareCommit || md.state === TxnState.PrepareAbort)
      return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS };
    if (md.state === TxnState.Ongoing && containsAll(md, req.partitions))
      return { errorCode: ErrorCode.NONE };
    const transit = prepareAddPartitions(md, req.partitions, this.time.now());
    return { errorCode: await this.persist(loc.partition, loc.owned.coordinatorEpoch, md, transit) };
  }

  /** AddPartitionsToTxn v4+ VerifyOnly: are these partitions already in the ongoing transaction? */
  verifyPartitionsInTxn(req: AddPartitionsInput): VerifyPartitionsResult {
    const all = (errorCode: number): VerifyPartitionsResult => ({
      errorCode,
      partitions: req.partitions.map((tp) => ({ ...tp, errorCode })),
    });
    if (!req.transactionalId) return all(ErrorCode.INVALID_REQUEST);
    const loc = this.locate(req.transactionalId);
    if (!("owned" in loc)) return all(loc.errorCode);
    const md = loc.owned.txns.get(req.transactionalId);
    const bad = this.checkProducer(md, req.producerId, req.producerEpoch);
    if (bad !== ErrorCode.NONE || !md) return all(bad);
    if (md.state === TxnState.PrepareCommit || md.state === TxnState.PrepareAbort)
      return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    const have = new Set(md.partitions.map(tpKey));
    return {
      errorCode: ErrorCode.NONE,
      partitions: req.partitions.map((tp) => ({
        ...tp,
        errorCode: have.has(tpKey(tp)) ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE,
      })),
    };
  }

  /** The group's __consumer_offsets partition joins the transaction (for TxnOffsetCommit). */
  async addOffsetsToTxn(req: AddOffsetsInput): Promise<AddPartitionsResult> {
    const partition = offsetsPartitionFor(req.groupId, this.config["offsets.topic.num.partitions"]);
    return this.addPartitionsToTxn({
      transactionalId: req.transactionalId,
      producerId: req.producerId,
      producerEpoch: req.producerEpoch,
      partitions: [{ topic: CONSUMER_OFFSETS_TOPIC, partition }],
    });
  }

  // ---- EndTxn ------------------------------------------------------------------------------------

  /** EndTxn: answers once PrepareCommit/PrepareAbort is durable; markers follow in the background. */
  endTxn(req: EndTxnInput): Promise<number> {
    return this.endTransaction(
      req.transactionalId,
      req.producerId,
      req.producerEpoch,
      req.committed ? "commit" : "abort",
      true,
    );
  }

  private async endTransaction(
    id: string,
    producerId: bigint,
    producerEpoch: number,
    result: "commit" | "abort",
    fromClient: boolean,
  ): Promise<number> {
    if (!id) return ErrorCode.INVALID_REQUEST;
    const loc = this.locate(id);
    if (!("owned" in loc)) return loc.errorCode;
    const md = loc.owned.txns.get(id);
    const fencing = md?.pendingState === TxnState.PrepareEpochFence;
    const giveUp = (code: number): number => {
      if (fencing && md?.pendingState === TxnState.PrepareEpochFence) abortTransition(md);
      return code;
    };
    if (!md || md.producerId !== producerId) return giveUp(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // Clients must match the epoch exactly; the coordinator itself may use a bumped one (fencing).
    if ((fromClient && producerEpoch !== md.producerEpoch) || producerEpoch < md.producerEpoch)
      return giveUp(ErrorCode.PRODUCER_FENCED);
    if (md.pendingState !== null && !fencing) return ErrorCode.CONCURRENT_TRANSACTIONS;
    const commit = result === "commit";
    switch (md.state) {
      case TxnState.Ongoing:
        break;
      case TxnState.CompleteCommit:
        return giveUp(commit ? ErrorCode.NONE : ErrorCode.INVALID_TXN_STATE);
      case TxnState.CompleteAbort:
        return giveUp(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.NONE);
      case TxnState.PrepareCommit:
        return giveUp(commit ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      case TxnState.PrepareAbort:
        return giveUp(commit ? ErrorCode.INVALID_TXN_STATE : ErrorCode.CONCURRENT_TRANSACTIONS);
      case TxnState.Empty:
        return giveUp(ErrorCode.INVALID_TXN_STATE);
      default:
        return giveUp(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
    if (fencing) {
      // The fence becomes part of the PrepareAbort record: bump the epoch in place, then abort.
      md.pendingState = null;
      md.producerEpoch = producerEpoch;
      md.lastProducerEpoch = NO_PRODUCER_EPOCH;
    }
    const next = commit && !fencing ? TxnState.PrepareCommit : TxnState.PrepareAbort;
    const transit = prepareAbortOrCommit(md, next, this.time.now());
    const epoch = loc.owned.coordinatorEpoch;
    const code = await this.persist(loc.partition, epoch, md, transit);
    if (code !== ErrorCode.NONE) {
      if (fencing) md.hasFailedEpochFence = true;
      return code;
    }
    this.spawn(this.completeTransaction(md, loc.partition, epoch));
    return ErrorCode.NONE;
  }

  /**
   * Markers on every partition, then CompleteCommit/CompleteAbort (retried until written or moved).
   * As in Kafka, the Complete transition is pending from the start, so requests arriving meanwhile
   * get CONCURRENT_TRANSACTIONS.
   */
  private async completeTransaction(md: TxnMetadata, partition: number, epoch: number): Promise<void> {
    const backoff = this.config["transaction.marker.retry.backoff.ms"];
    const cancelled = (): boolean =>
      !this.isCurrent(partition, epoch) || this.table.get(partition)?.txns.get(md.transactionalId) !== md;
    const result = md.state === TxnState.PrepareCommit ? "commit" : "abort";
    let transit = prepareComplete(md, this.time.now());
    const outcome = await deliverMarkers(
      this.markers,
      {
        transactionalId: md.transactionalId,
        producerId: md.producerId,
        producerEpoch: md.producerEpoch,
        coordinatorEpoch: epoch,
        result,
        partitions: md.partitions.slice(),
      },
      this.time,
      backoff,
      cancelled,
      (pending, err) =>
        this.logger?.debug(
          { transactionalId: md.transactionalId, pending: pending.length, err },
          "retrying markers",
        ),
    );
    if (outcome !== "done") {
      if (outcome === "fenced") {
        // A newer coordinator owns this transaction now; it will finish it.
        this.logger?.warn({ transactionalId: md.transactionalId }, "markers rejected: coordinator fenced");
        if (md.pendingState === transit.state) abortTransition(md);
      }
      return;
    }
    for (;;) {
      if (cancelled()) return;
      const code = await this.persist(partition, epoch, md, transit);
      if (code === ErrorCode.NONE || code === ErrorCode.NOT_COORDINATOR) return;
      transit = prepareComplete(md, this.time.now());
      await sleep(this.time, backoff);
    }
  }

  // ---- periodic tasks ---------------------------------------------------------------------------

  /** Abort (with a fencing epoch bump) every Ongoing transaction older than its timeout. */
  abortTimedOutTransactions(): void {
    const now = this.time.now();
    for (const [, owned] of this.table.entries()) {
      for (const md of owned.txns.values()) {
        if (md.state !== TxnState.Ongoing || md.pendingState !== null) continue;
        if (md.txnStartTimestamp + md.txnTimeoutMs >= now) continue;
        this.logger?.info({ transactionalId: md.transactionalId }, "aborting timed-out transaction");
        this.spawn(
          this.endTransaction(md.transactionalId, md.producerId, this.fenceEpoch(md), "abort", false).then(
            (code) => {
              if (code !== ErrorCode.NONE)
                this.logger?.warn(
                  { transactionalId: md.transactionalId, code },
                  "timed-out transaction abort failed",
                );
            },
          ),
        );
      }
    }
  }

  /** Remove transactional ids idle longer than transactional.id.expiration.ms (tombstones). */
  expireTransactionalIds(): void {
    const horizon = this.time.now() - this.config["transactional.id.expiration.ms"];
    for (const [partition, owned] of this.table.entries()) {
      for (const md of owned.txns.values()) {
        const idle =
          md.state === TxnState.Empty ||
          md.state === TxnState.CompleteCommit ||
          md.state === TxnState.CompleteAbort;
        if (!idle || md.pendingState !== null || md.txnLastUpdateTimestamp > horizon) continue;
        const transit = prepareDead(md);
        this.spawn(
          this.persist(partition, owned.coordinatorEpoch, md, transit).then((code) => {
            if (code === ErrorCode.NONE && owned.txns.get(md.transactionalId) === md)
              owned.txns.delete(md.transactionalId);
          }),
        );
      }
    }
  }

  // ---- partition ownership ----------------------------------------------------------------------

  /**
   * This broker became leader of a __transaction_state partition (at `coordinatorEpoch`, its leader
   * epoch): replay its records, then serve its transactional ids and finish the transactions that
   * were between PrepareCommit/PrepareAbort and Complete when the previous coordinator stopped.
   */
  async onPartitionLoad(
    partition: number,
    coordinatorEpoch: number,
    records: Iterable<TxnLogRecord> | AsyncIterable<TxnLogRecord>,
  ): Promise<void> {
    const loaded = await this.table.load(partition, coordinatorEpoch, records);
    if (!loaded) return;
    const { owned, corrupt } = loaded;
    if (corrupt > 0)
      this.logger?.warn({ partition, corrupt }, "skipped undecodable __transaction_state records");
    this.logger?.info(
      { partition, coordinatorEpoch, transactions: owned.txns.size },
      "loaded transaction partition",
    );
    for (const md of owned.txns.values()) {
      if (md.state === TxnState.PrepareCommit || md.state === TxnState.PrepareAbort)
        this.spawn(this.completeTransaction(md, partition, coordinatorEpoch));
    }
  }

  /** No longer leader of the partition: drop its state (background work for it stops). */
  onPartitionUnload(partition: number): void {
    this.table.unload(partition);
  }

  // ---- introspection (DescribeTransactions / ListTransactions) ----------------------------------

  describeTransaction(transactionalId: string): DescribedTransaction {
    const loc = this.locate(transactionalId);
    const md = "owned" in loc ? loc.owned.txns.get(transactionalId) : undefined;
    return describeOne(transactionalId, loc.errorCode, md);
  }

  listTransactions(filter: { states?: string[]; producerIds?: bigint[] } = {}): ListTransactionsResult {
    if (!this.active)
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, unknownStateFilters: [], transactions: [] };
    const all = this.table.entries().flatMap(([, o]) => [...o.txns.values()]);
    const loadingError = this.table.isLoading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    return { ...listMatching(all, filter), errorCode: loadingError };
  }

  /** Metadata of one transactional id, for tests and tools; undefined if not loaded here. */
  inspect(transactionalId: string): Readonly<TxnMetadata> | undefined {
    return this.table.get(this.partitionFor(transactionalId))?.txns.get(transactionalId);
  }
}

export type { TopicPartition };
