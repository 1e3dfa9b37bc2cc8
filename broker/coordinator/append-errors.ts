/**
 * Kafka's mapping of a failed coordinator-log append (to __consumer_offsets or __transaction_state)
 * to the error its client sees. The callers differ only in how a too-large write is reported, so
 * that part is a parameter.
 */
import { ErrorCode } from "../../protocol/errors/index.js";

export interface TooLargeMapping {
  /** Code a too-large write (MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE) becomes. */
  readonly as: number;
  /** Whether INVALID_FETCH_SIZE counts as too large too (it does for __consumer_offsets writes). */
  readonly includeInvalidFetchSize: boolean;
}

/** Group metadata writes (JoinGroup/SyncGroup storing a group). */
export const GROUP_METADATA_TOO_LARGE: TooLargeMapping = {
  as: ErrorCode.UNKNOWN_SERVER_ERROR,
  includeInvalidFetchSize: true,
};
/** Offset commits (OffsetCommit, TxnOffsetCommit). */
export const OFFSET_COMMIT_TOO_LARGE: TooLargeMapping = {
  as: ErrorCode.INVALID_COMMIT_OFFSET_SIZE,
  includeInvalidFetchSize: true,
};
/** __transaction_state writes. */
export const TXN_STATE_TOO_LARGE: TooLargeMapping = {
  as: ErrorCode.UNKNOWN_SERVER_ERROR,
  includeInvalidFetchSize: false,
};

export function mapAppendError(code: number, tooLarge: TooLargeMapping): number {
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return tooLarge.as;
    case ErrorCode.INVALID_FETCH_SIZE:
      return tooLarge.includeInvalidFetchSize ? tooLarge.as : code;
    default:
      return code;
  }
}
