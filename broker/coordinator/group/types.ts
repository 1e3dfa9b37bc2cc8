/**
 * Domain-level inputs and results of the group coordinator, independent of the wire codec. The
 * API handlers translate generated request/response types into these (and back).
 * Conventions: an unknown member id is "", "no generation" is -1, offsets are bigint (int64).
 */

export type GroupStateName = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

export interface ProtocolInput {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupInput {
  /** JoinGroup request version: MEMBER_ID_REQUIRED only from v4, SkipAssignment only from v9. */
  apiVersion: number;
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  /** For v0 (no such field) pass sessionTimeoutMs, as Kafka does. */
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: ProtocolInput[];
  clientId: string;
  clientHost: string;
  reason?: string | null;
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  /** Null when no protocol was selected; JoinGroup v0-6 must send "" instead (not nullable there). */
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  /** Filled for the leader only. */
  members: JoinGroupMember[];
}

export interface SyncGroupInput {
  /** SyncGroup request version: protocolType/protocolName are checked from v5 only. */
  apiVersion: number;
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface SyncGroupResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  /** Never null (clients expect bytes, possibly empty). */
  assignment: Buffer;
}

export interface HeartbeatInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface LeaveGroupInput {
  groupId: string;
  /** v0-2: one entry with the request's memberId and a null instance id. */
  members: { memberId: string; groupInstanceId: string | null; reason?: string | null }[];
}

export interface LeaveGroupResult {
  /** Group-level error; for v0-2 the handler reports members[0].errorCode when this is NONE. */
  errorCode: number;
  members: { memberId: string; groupInstanceId: string | null; errorCode: number }[];
}

export interface OffsetCommitPartitionInput {
  partitionIndex: number;
  committedOffset: bigint;
  /** -1 when absent (before v6). */
  committedLeaderEpoch: number;
  /** v1 only; -1 (or absent) means "now". */
  commitTimestamp?: number;
  /** Null is stored as "". */
  committedMetadata: string | null;
}

export interface OffsetCommitInput {
  groupId: string;
  /** -1 for simple consumers and v0. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v2-4 retention_time_ms; -1 (or absent) = broker default. */
  retentionTimeMs?: number;
  topics: { name: string; partitions: OffsetCommitPartitionInput[] }[];
}

export interface TopicPartitionErrors {
  name: string;
  partitions: { partitionIndex: number; errorCode: number }[];
}

export interface OffsetCommitResult {
  topics: TopicPartitionErrors[];
}

export interface OffsetFetchInput {
  groupId: string;
  /** Null: every partition the group has offsets for. */
  topics: { name: string; partitionIndexes: number[] }[] | null;
  requireStable: boolean;
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  /** Never null; "" when there is no offset. */
  metadata: string;
  errorCode: number;
}

export interface OffsetFetchResult {
  groupId: string;
  errorCode: number;
  topics: { name: string; partitions: FetchedOffset[] }[];
}

export interface OffsetDeleteInput {
  groupId: string;
  topics: { name: string; partitionIndexes: number[] }[];
}

export interface OffsetDeleteResult {
  errorCode: number;
  topics: TopicPartitionErrors[];
}

export interface DescribedMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  groupId: string;
  errorCode: number;
  /** "" on error, "Dead" for an unknown group, else the state name. */
  groupState: string;
  protocolType: string;
  /** The selected protocol, only while Stable; "" otherwise. */
  protocolData: string;
  members: DescribedMember[];
}

export interface ListGroupsInput {
  /** Case-insensitive state names; empty = all. */
  statesFilter?: string[];
  /** Case-insensitive group types ("classic", "consumer"); empty = all. */
  typesFilter?: string[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: GroupStateName;
  groupType: "classic";
}

export interface ListGroupsResult {
  errorCode: number;
  groups: ListedGroup[];
}

/** One record of __consumer_offsets as the log gives it back. */
export interface LogRecord {
  key: Buffer | null;
  value: Buffer | null;
}

/** Where the coordinator writes its records; resolves once the records are durably appended. */
export interface GroupLogWriter {
  append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<void>;
}
