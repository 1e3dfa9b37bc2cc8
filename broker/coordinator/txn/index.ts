/** The transaction coordinator (__transaction_state, producer ids, markers). */
export { CONSUMER_OFFSETS_TOPIC, TransactionCoordinator, type TxnCoordinatorOptions } from "./coordinator.js";
export { errorForVersion, type TxnApi } from "./errors.js";
export type {
  MarkerOutcome,
  MarkerPartitionResult,
  MarkerRequest,
  MarkerWriter,
  TxnResult,
} from "./markers.js";
export { TRANSACTION_STATE_TOPIC, txnPartitionFor } from "./partitioner.js";
export {
  allocateProducerIdBlock,
  BlockProducerIdAllocator,
  PRODUCER_ID_BLOCK_SIZE,
  type ProducerIdAllocator,
  type ProducerIdBlock,
  ProducerIdLedger,
} from "./producer-ids.js";
export { decodeTxnRecord, txnLogKey, txnLogValue } from "./records.js";
export { type TopicPartition, TXN_STATE_NAMES, type TxnMetadata, TxnState } from "./state.js";
export * from "./types.js";
