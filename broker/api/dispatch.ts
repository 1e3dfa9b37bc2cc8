import { addOffsetsToTxnHandler } from "./add-offsets-to-txn.js";
import { addPartitionsToTxnHandler } from "./add-partitions-to-txn.js";
import { alterConfigsHandler } from "./alter-configs.js";
import { apiVersionsHandler } from "./api-versions.js";
import type { ApiHandler } from "./context.js";
import { createPartitionsHandler } from "./create-partitions.js";
import { createTopicsHandler } from "./create-topics.js";
import { deleteGroupsHandler } from "./delete-groups.js";
import { deleteRecordsHandler } from "./delete-records.js";
import { deleteTopicsHandler } from "./delete-topics.js";
import { describeClusterHandler } from "./describe-cluster.js";
import { describeConfigsHandler } from "./describe-configs.js";
import { describeGroupsHandler } from "./describe-groups.js";
import { describeLogDirsHandler } from "./describe-log-dirs.js";
import { describeProducersHandler } from "./describe-producers.js";
import { describeTopicPartitionsHandler } from "./describe-topic-partitions.js";
import { describeTransactionsHandler } from "./describe-transactions.js";
import { endTxnHandler } from "./end-txn.js";
import { fetchHandler } from "./fetch.js";
import { findCoordinatorHandler } from "./find-coordinator.js";
import { heartbeatHandler } from "./heartbeat.js";
import { incrementalAlterConfigsHandler } from "./incremental-alter-configs.js";
import { initProducerIdHandler } from "./init-producer-id.js";
import { joinGroupHandler } from "./join-group.js";
import { leaveGroupHandler } from "./leave-group.js";
import { listGroupsHandler } from "./list-groups.js";
import { listOffsetsHandler } from "./list-offsets.js";
import { listTransactionsHandler } from "./list-transactions.js";
import { metadataHandler } from "./metadata.js";
import { offsetCommitHandler } from "./offset-commit.js";
import { offsetDeleteHandler } from "./offset-delete.js";
import { offsetFetchHandler } from "./offset-fetch.js";
import { offsetForLeaderEpochHandler } from "./offset-for-leader-epoch.js";
import { produceHandler } from "./produce.js";
import { registerHandler } from "./registry.js";
import { syncGroupHandler } from "./sync-group.js";
import { txnOffsetCommitHandler } from "./txn-offset-commit.js";
import { writeTxnMarkersHandler } from "./write-txn-markers.js";

/**
 * The dispatch table: API key -> handler. ApiVersions advertises exactly the keys in this
 * table, with Kafka 3.9's ranges, so adding an API is adding its file and one line here.
 */
const HANDLERS: ApiHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  // classic consumer groups
  findCoordinatorHandler,
  joinGroupHandler,
  syncGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  offsetDeleteHandler,
  deleteGroupsHandler,
  describeGroupsHandler,
  listGroupsHandler,
  // admin
  createTopicsHandler,
  deleteTopicsHandler,
  createPartitionsHandler,
  deleteRecordsHandler,
  offsetForLeaderEpochHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  incrementalAlterConfigsHandler,
  describeLogDirsHandler,
  describeClusterHandler,
  describeTopicPartitionsHandler,
  // idempotent and transactional producers
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  writeTxnMarkersHandler,
  txnOffsetCommitHandler,
  describeProducersHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
] as ApiHandler[];

for (const h of HANDLERS) registerHandler(h);

export { handlerFor, isSupported, registerHandler, supportedApis } from "./registry.js";
