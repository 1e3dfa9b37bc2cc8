/**
 * Which __transaction_state partition owns a transactional id: Kafka's
 * `Utils.abs(transactionalId.hashCode()) % transaction.state.log.num.partitions`, with Java's
 * String.hashCode (shared with the group coordinator's partitioner).
 */
import { javaStringHashCode, kafkaAbs } from "../group/partitioner.js";

export const TRANSACTION_STATE_TOPIC = "__transaction_state";

export function txnPartitionFor(transactionalId: string, numPartitions: number): number {
  return kafkaAbs(javaStringHashCode(transactionalId)) % numPartitions;
}
