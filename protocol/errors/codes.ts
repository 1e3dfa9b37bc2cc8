/**
 * Every Kafka protocol error code (Kafka 4.0 line, plus the 4.1 additions 130-133): name, code,
 * whether Kafka classes it retriable (its exception is a RetriableException), and a short message.
 * Codes and names are wire facts from Kafka's protocol documentation; the messages are our own.
 */
export interface ErrorInfo {
  code: number;
  name: string;
  retriable: boolean;
  message: string;
}

type Row = readonly [code: number, name: string, retriable: boolean, message: string];

const T = true;
const F = false;

const ROWS = [
  [-1, "UNKNOWN_SERVER_ERROR", F, "Unexpected server error while handling the request."],
  [0, "NONE", F, "No error."],
  [1, "OFFSET_OUT_OF_RANGE", F, "The offset is outside the range the server holds for this partition."],
  [2, "CORRUPT_MESSAGE", T, "A message failed its CRC check, has an invalid size or is otherwise corrupt."],
  [3, "UNKNOWN_TOPIC_OR_PARTITION", T, "This server does not host the topic-partition."],
  [4, "INVALID_FETCH_SIZE", F, "The fetch size is invalid."],
  [5, "LEADER_NOT_AVAILABLE", T, "The partition has no leader right now (election in progress)."],
  [6, "NOT_LEADER_OR_FOLLOWER", T, "This broker is not the leader (or not a replica) of the partition."],
  [7, "REQUEST_TIMED_OUT", T, "The request timed out."],
  [8, "BROKER_NOT_AVAILABLE", F, "The broker is not available."],
  [9, "REPLICA_NOT_AVAILABLE", T, "The replica is not available for the partition."],
  [10, "MESSAGE_TOO_LARGE", F, "A message is larger than the server's maximum message size."],
  [11, "STALE_CONTROLLER_EPOCH", F, "The request came from a controller with an old epoch."],
  [12, "OFFSET_METADATA_TOO_LARGE", F, "The offset commit metadata is too large."],
  [13, "NETWORK_EXCEPTION", T, "The connection closed before a response arrived."],
  [14, "COORDINATOR_LOAD_IN_PROGRESS", T, "The coordinator is still loading its state."],
  [15, "COORDINATOR_NOT_AVAILABLE", T, "The coordinator is not available."],
  [16, "NOT_COORDINATOR", T, "This broker is not the coordinator for the key."],
  [17, "INVALID_TOPIC_EXCEPTION", F, "The topic name is invalid or the operation is not allowed on it."],
  [18, "RECORD_LIST_TOO_LARGE", F, "The record batch is larger than the configured segment size."],
  [19, "NOT_ENOUGH_REPLICAS", T, "Rejected: fewer in-sync replicas than min.insync.replicas."],
  [20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", T, "Written, but to fewer in-sync replicas than required."],
  [21, "INVALID_REQUIRED_ACKS", F, "The acks value in the produce request is invalid."],
  [22, "ILLEGAL_GENERATION", F, "The group generation id is not current."],
  [23, "INCONSISTENT_GROUP_PROTOCOL", F, "The member's protocols do not match the group's (or are empty)."],
  [24, "INVALID_GROUP_ID", F, "The group id is invalid."],
  [25, "UNKNOWN_MEMBER_ID", F, "The coordinator does not know this member id."],
  [26, "INVALID_SESSION_TIMEOUT", F, "The session timeout is outside the broker's allowed range."],
  [27, "REBALANCE_IN_PROGRESS", F, "The group is rebalancing; the member must rejoin."],
  [28, "INVALID_COMMIT_OFFSET_SIZE", F, "The offset commit data size is invalid."],
  [29, "TOPIC_AUTHORIZATION_FAILED", F, "Not authorized for the topic."],
  [30, "GROUP_AUTHORIZATION_FAILED", F, "Not authorized for the group."],
  [31, "CLUSTER_AUTHORIZATION_FAILED", F, "Not authorized for the cluster operation."],
  [32, "INVALID_TIMESTAMP", F, "A message timestamp is outside the accepted range."],
  [33, "UNSUPPORTED_SASL_MECHANISM", F, "The broker does not support this SASL mechanism."],
  [34, "ILLEGAL_SASL_STATE", F, "The request is not valid in the current SASL state."],
  [35, "UNSUPPORTED_VERSION", F, "The API version is not supported."],
  [36, "TOPIC_ALREADY_EXISTS", F, "A topic with this name already exists."],
  [37, "INVALID_PARTITIONS", F, "The number of partitions is invalid."],
  [38, "INVALID_REPLICATION_FACTOR", F, "The replication factor is invalid for the available brokers."],
  [39, "INVALID_REPLICA_ASSIGNMENT", F, "The replica assignment is invalid."],
  [40, "INVALID_CONFIG", F, "The configuration is invalid."],
  [41, "NOT_CONTROLLER", T, "This node is not the active controller."],
  [42, "INVALID_REQUEST", F, "The request is malformed or not valid for this broker; see the broker log."],
  [43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", F, "The message format in use does not support this request."],
  [44, "POLICY_VIOLATION", F, "The request violates a configured policy."],
  [45, "OUT_OF_ORDER_SEQUENCE_NUMBER", F, "The producer sequence number is out of order."],
  [46, "DUPLICATE_SEQUENCE_NUMBER", F, "The producer sequence number is a duplicate."],
  [47, "INVALID_PRODUCER_EPOCH", F, "The producer epoch is stale."],
  [48, "INVALID_TXN_STATE", F, "The transactional operation is invalid in the current state."],
  [49, "INVALID_PRODUCER_ID_MAPPING", F, "The producer id is not assigned to this transactional id."],
  [50, "INVALID_TRANSACTION_TIMEOUT", F, "The transaction timeout exceeds transaction.max.timeout.ms."],
  [51, "CONCURRENT_TRANSACTIONS", F, "Another operation on this transaction is still in progress."],
  [
    52,
    "TRANSACTION_COORDINATOR_FENCED",
    F,
    "The transaction coordinator sending the marker is no longer current.",
  ],
  [53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", F, "Not authorized for the transactional id."],
  [54, "SECURITY_DISABLED", F, "Security features are disabled."],
  [55, "OPERATION_NOT_ATTEMPTED", F, "Not attempted because another operation in the batch failed."],
  [56, "KAFKA_STORAGE_ERROR", T, "Disk error while accessing the log."],
  [57, "LOG_DIR_NOT_FOUND", F, "The log directory is not in the broker's configuration."],
  [58, "SASL_AUTHENTICATION_FAILED", F, "SASL authentication failed."],
  [59, "UNKNOWN_PRODUCER_ID", F, "The broker has no state for this producer id (e.g. its records expired)."],
  [60, "REASSIGNMENT_IN_PROGRESS", F, "A partition reassignment is in progress."],
  [61, "DELEGATION_TOKEN_AUTH_DISABLED", F, "Delegation tokens are not enabled."],
  [62, "DELEGATION_TOKEN_NOT_FOUND", F, "The delegation token does not exist."],
  [63, "DELEGATION_TOKEN_OWNER_MISMATCH", F, "The principal is not the token's owner or renewer."],
  [
    64,
    "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED",
    F,
    "Delegation token requests are not allowed on this channel.",
  ],
  [65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", F, "Not authorized for the delegation token."],
  [66, "DELEGATION_TOKEN_EXPIRED", F, "The delegation token has expired."],
  [67, "INVALID_PRINCIPAL_TYPE", F, "The principal type is not supported."],
  [68, "NON_EMPTY_GROUP", F, "The group is not empty."],
  [69, "GROUP_ID_NOT_FOUND", F, "The group does not exist."],
  [70, "FETCH_SESSION_ID_NOT_FOUND", T, "The fetch session id is unknown."],
  [71, "INVALID_FETCH_SESSION_EPOCH", T, "The fetch session epoch is wrong."],
  [72, "LISTENER_NOT_FOUND", T, "The leader has no listener matching the one the request came in on."],
  [73, "TOPIC_DELETION_DISABLED", F, "Topic deletion is disabled."],
  [74, "FENCED_LEADER_EPOCH", T, "The request's leader epoch is older than the broker's."],
  [75, "UNKNOWN_LEADER_EPOCH", T, "The request's leader epoch is newer than the broker's."],
  [76, "UNSUPPORTED_COMPRESSION_TYPE", F, "The client does not support the partition's compression type."],
  [77, "STALE_BROKER_EPOCH", F, "The broker epoch has changed."],
  [78, "OFFSET_NOT_AVAILABLE", T, "The new leader's high watermark has not caught up yet."],
  [79, "MEMBER_ID_REQUIRED", F, "The member must rejoin with the member id it was given."],
  [80, "PREFERRED_LEADER_NOT_AVAILABLE", T, "The preferred leader is not available."],
  [81, "GROUP_MAX_SIZE_REACHED", F, "The group is at its maximum size."],
  [82, "FENCED_INSTANCE_ID", F, "Another member registered with the same group.instance.id."],
  [83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", T, "No eligible leader is available for the partition."],
  [84, "ELECTION_NOT_NEEDED", T, "The partition already has the desired leader."],
  [85, "NO_REASSIGNMENT_IN_PROGRESS", F, "No partition reassignment is in progress."],
  [86, "GROUP_SUBSCRIBED_TO_TOPIC", F, "Cannot delete offsets of a topic the group is subscribed to."],
  [87, "INVALID_RECORD", F, "A record failed broker-side validation and was rejected."],
  [88, "UNSTABLE_OFFSET_COMMIT", T, "Pending transactional offsets must be resolved first."],
  [89, "THROTTLING_QUOTA_EXCEEDED", T, "The throttling quota has been exceeded."],
  [90, "PRODUCER_FENCED", F, "A newer producer with the same transactional id has fenced this one."],
  [91, "RESOURCE_NOT_FOUND", F, "The request refers to a resource that does not exist."],
  [92, "DUPLICATE_RESOURCE", F, "The request refers to the same resource twice."],
  [93, "UNACCEPTABLE_CREDENTIAL", F, "The credential does not meet the acceptance criteria."],
  [94, "INCONSISTENT_VOTER_SET", F, "Sender or receiver of a voter-only request is not an expected voter."],
  [95, "INVALID_UPDATE_VERSION", F, "The update version is invalid."],
  [96, "FEATURE_UPDATE_FAILED", F, "Finalized features could not be updated."],
  [97, "PRINCIPAL_DESERIALIZATION_FAILURE", F, "The forwarded request principal could not be deserialized."],
  [98, "SNAPSHOT_NOT_FOUND", F, "The snapshot was not found."],
  [99, "POSITION_OUT_OF_RANGE", F, "The position is outside the snapshot."],
  [100, "UNKNOWN_TOPIC_ID", T, "This server does not host the topic id."],
  [101, "DUPLICATE_BROKER_REGISTRATION", F, "The broker id is already registered."],
  [102, "BROKER_ID_NOT_REGISTERED", F, "The broker id is not registered."],
  [103, "INCONSISTENT_TOPIC_ID", T, "The log's topic id differs from the request's."],
  [104, "INCONSISTENT_CLUSTER_ID", F, "The cluster id does not match this server's."],
  [105, "TRANSACTIONAL_ID_NOT_FOUND", F, "The transactional id does not exist."],
  [106, "FETCH_SESSION_TOPIC_ID_ERROR", T, "The fetch session used topic ids inconsistently."],
  [107, "INELIGIBLE_REPLICA", F, "The proposed ISR contains an ineligible replica."],
  [108, "NEW_LEADER_ELECTED", F, "The partition state was updated but the leader has changed."],
  [109, "OFFSET_MOVED_TO_TIERED_STORAGE", F, "The offset has moved to tiered storage."],
  [110, "FENCED_MEMBER_EPOCH", F, "The member epoch is fenced; the member must rejoin."],
  [111, "UNRELEASED_INSTANCE_ID", F, "The instance id is still held by another member."],
  [112, "UNSUPPORTED_ASSIGNOR", F, "The assignor or its version range is not supported by the group."],
  [113, "STALE_MEMBER_EPOCH", F, "The member epoch is stale; retry after the next heartbeat."],
  [114, "MISMATCHED_ENDPOINT_TYPE", F, "The request was sent to the wrong kind of endpoint."],
  [115, "UNSUPPORTED_ENDPOINT_TYPE", F, "This endpoint type is not supported."],
  [116, "UNKNOWN_CONTROLLER_ID", F, "The controller id is unknown."],
  [117, "UNKNOWN_SUBSCRIPTION_ID", F, "The telemetry subscription id is unknown or outdated."],
  [118, "TELEMETRY_TOO_LARGE", F, "The telemetry push exceeds the broker's size limit."],
  [119, "INVALID_REGISTRATION", F, "The controller considers the broker registration invalid."],
  [120, "TRANSACTION_ABORTABLE", F, "The transaction hit an error; abort it to continue."],
  [121, "INVALID_RECORD_STATE", F, "The record state does not allow this acknowledgement."],
  [122, "SHARE_SESSION_NOT_FOUND", T, "The share session was not found."],
  [123, "INVALID_SHARE_SESSION_EPOCH", T, "The share session epoch is invalid."],
  [124, "FENCED_STATE_EPOCH", F, "The share-group state epoch does not match."],
  [125, "INVALID_VOTER_KEY", F, "The voter key does not match the receiving replica."],
  [126, "DUPLICATE_VOTER", F, "The voter is already in the voter set."],
  [127, "VOTER_NOT_FOUND", F, "The voter is not in the voter set."],
  [128, "INVALID_REGULAR_EXPRESSION", F, "The regular expression is invalid."],
  [129, "REBOOTSTRAP_REQUIRED", F, "Client metadata is stale; the client should rebootstrap."],
  [130, "STREAMS_INVALID_TOPOLOGY", F, "The streams topology is invalid."],
  [131, "STREAMS_INVALID_TOPOLOGY_EPOCH", F, "The streams topology epoch is invalid."],
  [132, "STREAMS_TOPOLOGY_FENCED", F, "The streams topology epoch is outdated."],
  [133, "SHARE_SESSION_LIMIT_REACHED", T, "The broker's share session limit has been reached."],
] as const satisfies readonly Row[];

type Name = (typeof ROWS)[number][1];

/** Error code by name: `ErrorCode.UNKNOWN_TOPIC_OR_PARTITION === 3`. */
export const ErrorCode = Object.freeze(
  Object.fromEntries(ROWS.map(([code, name]) => [name, code])) as { readonly [K in Name]: number },
);
export type ErrorName = Name;

const BY_CODE = new Map<number, ErrorInfo>(
  ROWS.map(([code, name, retriable, message]) => [code, Object.freeze({ code, name, retriable, message })]),
);

/** All known errors, ordered by code. */
export const ALL_ERRORS: readonly ErrorInfo[] = [...BY_CODE.values()];

/** Info for a code; an unknown code yields a non-retriable UNKNOWN_SERVER_ERROR-like entry naming it. */
export function errorInfo(code: number): ErrorInfo {
  return (
    BY_CODE.get(code) ?? {
      code,
      name: `UNKNOWN_ERROR_CODE_${code}`,
      retriable: false,
      message: `Unknown Kafka error code ${code}.`,
    }
  );
}

export function isRetriable(code: number): boolean {
  return BY_CODE.get(code)?.retriable ?? false;
}
