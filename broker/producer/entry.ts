/**
 * Per-producer state kept by a partition: epoch, coordinator epoch, the open transaction's first
 * offset and the sequence/offset ranges of the producer's last few batches (for duplicate
 * detection). Sequence arithmetic wraps at Int32 max back to 0, as Kafka's producers do.
 */

/** Kafka keeps the last five batches per producer (max.in.flight.requests.per.connection <= 5). */
export const NUM_BATCHES_TO_RETAIN = 5;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
const INT32_MAX = 2147483647;

/** One appended data batch of a producer. Offsets are the ones the log assigned. */
export interface BatchMetadata {
  lastSeq: number;
  lastOffset: bigint;
  /** lastOffset - firstOffset (== lastSeq - firstSeq modulo wrap). */
  offsetDelta: number;
  /** The batch's max timestamp (ms). */
  timestamp: number;
}

export interface ProducerStateEntry {
  producerId: bigint;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** Max timestamp of the producer's last batch or marker (ms), -1 if none. */
  lastTimestamp: number;
  /** First offset of the producer's open transaction on this partition, or null. */
  currentTxnFirstOffset: bigint | null;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
}

/** `seq + increment` with Kafka's wrap from Int32 max to 0. */
export function incrementSequence(seq: number, increment: number): number {
  if (seq > INT32_MAX - increment) return increment - (INT32_MAX - seq) - 1;
  return seq + increment;
}

/** `seq - decrement` with the inverse wrap. */
export function decrementSequence(seq: number, decrement: number): number {
  if (seq < decrement) return INT32_MAX - (decrement - seq) + 1;
  return seq - decrement;
}

/** Whether `next` directly follows `last` (including the wrap from Int32 max to 0). */
export function inSequence(last: number, next: number): boolean {
  return next === last + 1 || (next === 0 && last === INT32_MAX);
}

export const firstSeqOf = (b: BatchMetadata): number => decrementSequence(b.lastSeq, b.offsetDelta);
export const firstOffsetOf = (b: BatchMetadata): bigint => b.lastOffset - BigInt(b.offsetDelta);

export function emptyEntry(producerId: bigint): ProducerStateEntry {
  return {
    producerId,
    producerEpoch: NO_PRODUCER_EPOCH,
    coordinatorEpoch: -1,
    lastTimestamp: -1,
    currentTxnFirstOffset: null,
    batches: [],
  };
}

export function cloneEntry(e: ProducerStateEntry): ProducerStateEntry {
  return { ...e, batches: e.batches.slice() };
}

export function lastBatch(e: ProducerStateEntry): BatchMetadata | undefined {
  return e.batches[e.batches.length - 1];
}

export const lastSeqOf = (e: ProducerStateEntry): number => lastBatch(e)?.lastSeq ?? NO_SEQUENCE;
export const lastDataOffsetOf = (e: ProducerStateEntry): bigint => lastBatch(e)?.lastOffset ?? -1n;

/** A new epoch invalidates the sequence history of the old one. Mutates `e`. */
export function maybeUpdateEpoch(e: ProducerStateEntry, epoch: number): void {
  if (e.producerEpoch !== epoch) {
    e.batches = [];
    e.producerEpoch = epoch;
  }
}

/** Record an appended data batch. Mutates `e`. */
export function addBatch(e: ProducerStateEntry, epoch: number, b: BatchMetadata): void {
  maybeUpdateEpoch(e, epoch);
  e.batches.push(b);
  if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
  e.lastTimestamp = b.timestamp;
}

/** The retained batch with exactly this epoch and sequence range, if any: a retried produce. */
export function findDuplicate(
  e: ProducerStateEntry,
  epoch: number,
  firstSeq: number,
  lastSeq: number,
): BatchMetadata | undefined {
  if (epoch !== e.producerEpoch) return undefined;
  return e.batches.find((b) => b.lastSeq === lastSeq && firstSeqOf(b) === firstSeq);
}
