/**
 * Transaction metadata and its state machine, as Kafka's transaction coordinator keeps it per
 * transactional id. A change is two-phase: `prepare*` computes the next metadata (a transit) and
 * marks the transition pending; once the record is durable in __transaction_state,
 * `completeTransition` installs it. While a transition is pending, other requests get
 * CONCURRENT_TRANSACTIONS.
 */

/** Kafka's states, with the byte each is stored as in TransactionLogValue.transactionStatus. */
export enum TxnState {
  Empty = 0,
  Ongoing = 1,
  PrepareCommit = 2,
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  Dead = 6,
  PrepareEpochFence = 7,
}

export const TXN_STATE_NAMES: Record<TxnState, string> = {
  [TxnState.Empty]: "Empty",
  [TxnState.Ongoing]: "Ongoing",
  [TxnState.PrepareCommit]: "PrepareCommit",
  [TxnState.PrepareAbort]: "PrepareAbort",
  [TxnState.CompleteCommit]: "CompleteCommit",
  [TxnState.CompleteAbort]: "CompleteAbort",
  [TxnState.Dead]: "Dead",
  [TxnState.PrepareEpochFence]: "PrepareEpochFence",
};

/** Which states each state may be entered from. */
const VALID_PREVIOUS: Record<TxnState, readonly TxnState[]> = {
  [TxnState.Empty]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.Ongoing]: [TxnState.Ongoing, TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareCommit]: [TxnState.Ongoing],
  [TxnState.PrepareAbort]: [TxnState.Ongoing, TxnState.PrepareEpochFence],
  [TxnState.CompleteCommit]: [TxnState.PrepareCommit],
  [TxnState.CompleteAbort]: [TxnState.PrepareAbort],
  [TxnState.Dead]: [TxnState.Empty, TxnState.CompleteCommit, TxnState.CompleteAbort],
  [TxnState.PrepareEpochFence]: [TxnState.Ongoing],
};

export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
const SHORT_MAX = 32767;

/** Kafka rotates to a new producer id before the epoch can overflow. */
export const isEpochExhausted = (epoch: number): boolean => epoch >= SHORT_MAX - 1;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export const tpKey = (tp: TopicPartition): string => `${tp.topic}\u0000${tp.partition}`;

/** The durable part of a transaction's metadata (what a TransactionLogValue carries). */
export interface TxnTransit {
  producerId: bigint;
  /** The previous producer id after a rotation (TransactionLogValue.previousProducerId). */
  lastProducerId: bigint;
  producerEpoch: number;
  /** In memory only: the epoch before the last bump, so a retried InitProducerId is recognised. */
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TxnState;
  partitions: TopicPartition[];
  txnStartTimestamp: number;
  txnLastUpdateTimestamp: number;
}

export interface TxnMetadata extends TxnTransit {
  readonly transactionalId: string;
  pendingState: TxnState | null;
  /** A fencing bump whose write failed is not repeated (that epoch was never handed out). */
  hasFailedEpochFence: boolean;
}

export class IllegalTxnTransitionError extends Error {
  override name = "IllegalTxnTransitionError";
}

export function newTxnMetadata(
  transactionalId: string,
  producerId: bigint,
  txnTimeoutMs: number,
  now: number,
): TxnMetadata {
  return {
    transactionalId,
    producerId,
    lastProducerId: NO_PRODUCER_ID,
    producerEpoch: NO_PRODUCER_EPOCH,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    state: TxnState.Empty,
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
    pendingState: null,
    hasFailedEpochFence: false,
  };
}

export function metadataFromTransit(transactionalId: string, t: TxnTransit): TxnMetadata {
  return {
    ...t,
    partitions: t.partitions.slice(),
    transactionalId,
    pendingState: null,
    hasFailedEpochFence: false,
  };
}

function transitOf(md: TxnMetadata): TxnTransit {
  return {
    producerId: md.producerId,
    lastProducerId: md.lastProducerId,
    producerEpoch: md.producerEpoch,
    lastProducerEpoch: md.lastProducerEpoch,
    txnTimeoutMs: md.txnTimeoutMs,
    state: md.state,
    partitions: md.partitions.slice(),
    txnStartTimestamp: md.txnStartTimestamp,
    txnLastUpdateTimestamp: md.txnLastUpdateTimestamp,
  };
}

function prepareTransition(md: TxnMetadata, changes: Partial<TxnTransit> & { state: TxnState }): TxnTransit {
  if (md.pendingState !== null)
    throw new IllegalTxnTransitionError(
      `${md.transactionalId}: transition to ${TXN_STATE_NAMES[changes.state]} while ${TXN_STATE_NAMES[md.pendingState]} is pending`,
    );
  if (!VALID_PREVIOUS[changes.state].includes(md.state))
    throw new IllegalTxnTransitionError(
      `${md.transactionalId}: illegal transition ${TXN_STATE_NAMES[md.state]} -> ${TXN_STATE_NAMES[changes.state]}`,
    );
  md.pendingState = changes.state;
  return { ...transitOf(md), ...changes };
}

/** Install a prepared transit after its record was written. */
export function completeTransition(md: TxnMetadata, t: TxnTransit): void {
  if (md.pendingState !== t.state)
    throw new IllegalTxnTransitionError(
      `${md.transactionalId}: completing ${TXN_STATE_NAMES[t.state]} but pending is ${md.pendingState === null ? "none" : TXN_STATE_NAMES[md.pendingState]}`,
    );
  Object.assign(md, { ...t, partitions: t.partitions.slice() });
  md.pendingState = null;
  md.hasFailedEpochFence = false;
}

/** Forget a prepared transit whose write failed. */
export function abortTransition(md: TxnMetadata): void {
  md.pendingState = null;
}

/**
 * InitProducerId on Empty/Complete*: bump the epoch. With an expected epoch (KIP-360 producers that
 * recover from errors) a retry of a bump that already happened returns the current epoch, and a
 * stale one is fenced. Returns null when the caller must answer PRODUCER_FENCED.
 */
export function prepareIncrementProducerEpoch(
  md: TxnMetadata,
  txnTimeoutMs: number,
  expectedEpoch: number | null,
  now: number,
): TxnTransit | null {
  if (isEpochExhausted(md.producerEpoch))
    throw new IllegalTxnTransitionError(`${md.transactionalId}: epoch ${md.producerEpoch} is exhausted`);
  const bumped = md.producerEpoch + 1;
  let next: number;
  let last: number;
  if (expectedEpoch === null) {
    next = bumped;
    last = NO_PRODUCER_EPOCH;
  } else if (md.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === md.producerEpoch) {
    next = bumped;
    last = md.producerEpoch;
  } else if (expectedEpoch === md.lastProducerEpoch) {
    next = md.producerEpoch;
    last = md.lastProducerEpoch;
  } else {
    return null;
  }
  return prepareTransition(md, {
    state: TxnState.Empty,
    producerEpoch: next,
    lastProducerEpoch: last,
    txnTimeoutMs,
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
  });
}

/** InitProducerId when the epoch is exhausted: continue under a new producer id at epoch 0. */
export function prepareProducerIdRotation(
  md: TxnMetadata,
  newProducerId: bigint,
  txnTimeoutMs: number,
  now: number,
  recordLastEpoch: boolean,
): TxnTransit {
  return prepareTransition(md, {
    state: TxnState.Empty,
    producerId: newProducerId,
    lastProducerId: md.producerId,
    producerEpoch: 0,
    lastProducerEpoch: recordLastEpoch ? md.producerEpoch : NO_PRODUCER_EPOCH,
    txnTimeoutMs,
    partitions: [],
    txnStartTimestamp: -1,
    txnLastUpdateTimestamp: now,
  });
}

/** Bump the epoch of an Ongoing transaction so its producer is fenced before it is aborted. */
export function prepareFenceProducerEpoch(md: TxnMetadata): TxnTransit {
  if (md.producerEpoch >= SHORT_MAX)
    throw new IllegalTxnTransitionError(`${md.transactionalId}: cannot fence epoch ${md.producerEpoch}`);
  const epoch = md.hasFailedEpochFence ? md.producerEpoch : md.producerEpoch + 1;
  return prepareTransition(md, {
    state: TxnState.PrepareEpochFence,
    producerEpoch: epoch,
    lastProducerEpoch: NO_PRODUCER_EPOCH,
  });
}

export function prepareAddPartitions(
  md: TxnMetadata,
  added: readonly TopicPartition[],
  now: number,
): TxnTransit {
  const fresh =
    md.state === TxnState.Empty ||
    md.state === TxnState.CompleteCommit ||
    md.state === TxnState.CompleteAbort;
  const seen = new Set(md.partitions.map(tpKey));
  const partitions = md.partitions.slice();
  for (const tp of added) {
    const k = tpKey(tp);
    if (!seen.has(k)) {
      seen.add(k);
      partitions.push({ topic: tp.topic, partition: tp.partition });
    }
  }
  return prepareTransition(md, {
    state: TxnState.Ongoing,
    partitions,
    txnStartTimestamp: fresh ? now : md.txnStartTimestamp,
    txnLastUpdateTimestamp: now,
  });
}

export function prepareAbortOrCommit(
  md: TxnMetadata,
  state: TxnState.PrepareCommit | TxnState.PrepareAbort,
  now: number,
): TxnTransit {
  return prepareTransition(md, { state, txnLastUpdateTimestamp: now });
}

/** After every marker is written: CompleteCommit / CompleteAbort with no partitions. */
export function prepareComplete(md: TxnMetadata, now: number): TxnTransit {
  const state = md.state === TxnState.PrepareCommit ? TxnState.CompleteCommit : TxnState.CompleteAbort;
  return prepareTransition(md, { state, partitions: [], txnLastUpdateTimestamp: now });
}

/** Expiry of an idle transactional id (written as a tombstone). */
export function prepareDead(md: TxnMetadata): TxnTransit {
  return prepareTransition(md, { state: TxnState.Dead, partitions: [] });
}

export function containsAll(md: TxnMetadata, tps: readonly TopicPartition[]): boolean {
  const have = new Set(md.partitions.map(tpKey));
  return tps.every((tp) => have.has(tpKey(tp)));
}
