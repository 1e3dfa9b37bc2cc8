/** Domain inputs and outputs of the transaction coordinator (handlers translate to and from the wire). */
import type { TopicPartition } from "./state.js";

export type { TopicPartition };

/** Where the coordinator writes its records; resolves once they are durably appended (acks=all). */
export interface TxnLogWriter {
  append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<void>;
}

export interface TxnLogRecord {
  key: Buffer | null;
  value: Buffer | null;
}

export interface TxnCoordinatorConfig {
  /** transaction.state.log.num.partitions */
  "transaction.state.log.num.partitions": number;
  /** transaction.max.timeout.ms */
  "transaction.max.timeout.ms": number;
  /** transactional.id.expiration.ms */
  "transactional.id.expiration.ms": number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  "transaction.abort.timed.out.transaction.cleanup.interval.ms": number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  "transaction.remove.expired.transaction.cleanup.interval.ms": number;
  /** offsets.topic.num.partitions (AddOffsetsToTxn adds the group's __consumer_offsets partition). */
  "offsets.topic.num.partitions": number;
  /** Backoff between marker / completion write retries (ours; Kafka retries on its send loop). */
  "transaction.marker.retry.backoff.ms": number;
}

export const DEFAULT_TXN_CONFIG: TxnCoordinatorConfig = {
  "transaction.state.log.num.partitions": 50,
  "transaction.max.timeout.ms": 900_000,
  "transactional.id.expiration.ms": 604_800_000,
  "transaction.abort.timed.out.transaction.cleanup.interval.ms": 10_000,
  "transaction.remove.expired.transaction.cleanup.interval.ms": 3_600_000,
  "offsets.topic.num.partitions": 50,
  "transaction.marker.retry.backoff.ms": 100,
};

export interface InitProducerIdInput {
  /** null for an idempotent producer (no transactions). */
  transactionalId: string | null;
  transactionTimeoutMs: number;
  /** v3+: the producer's current id and epoch when recovering (-1/-1 otherwise). */
  producerId?: bigint;
  producerEpoch?: number;
}

export interface InitProducerIdResult {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

export interface AddPartitionsInput {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  partitions: TopicPartition[];
}

/** One error for the whole request: Kafka adds all partitions or none. */
export interface AddPartitionsResult {
  errorCode: number;
}

export interface VerifyPartitionsResult {
  /** Transaction-level error (then `partitions` all carry it too). */
  errorCode: number;
  partitions: (TopicPartition & { errorCode: number })[];
}

export interface AddOffsetsInput {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  groupId: string;
}

export interface EndTxnInput {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /** EndTxn's `committed` flag. */
  committed: boolean;
}

export interface DescribedTransaction {
  transactionalId: string;
  errorCode: number;
  /** Kafka's state name ("Ongoing", "CompleteCommit", ...). */
  state: string;
  producerId: bigint;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  partitions: TopicPartition[];
}

export interface ListedTransaction {
  transactionalId: string;
  producerId: bigint;
  state: string;
}

export interface ListTransactionsResult {
  errorCode: number;
  /** States in the filter that are not known state names. */
  unknownStateFilters: string[];
  transactions: ListedTransaction[];
}
