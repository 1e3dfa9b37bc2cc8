/**
 * Storage errors. Each carries the Kafka error code the broker puts in its response.
 * Codes are numeric literals until protocol/errors lands (OFFSET_OUT_OF_RANGE=1, CORRUPT_MESSAGE=2,
 * MESSAGE_TOO_LARGE=10, RECORD_LIST_TOO_LARGE=18, KAFKA_STORAGE_ERROR=56, INVALID_RECORD=87).
 */
export { CorruptRecordError, InvalidRecordError } from "../../protocol/records/batch.js";

export class OffsetOutOfRangeError extends Error {
  override name = "OffsetOutOfRangeError";
  /** OFFSET_OUT_OF_RANGE */
  readonly code = 1;
  constructor(
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
    what = "offset",
  ) {
    super(`${what} ${offset} is out of range [${logStartOffset}, ${logEndOffset}]`);
  }
}

export class RecordTooLargeError extends Error {
  override name = "RecordTooLargeError";
  /** MESSAGE_TOO_LARGE */
  readonly code = 10;
}

/** A produce request whose batches together exceed the segment size. */
export class RecordListTooLargeError extends Error {
  override name = "RecordListTooLargeError";
  /** RECORD_LIST_TOO_LARGE */
  readonly code = 18;
}

/** On-disk data that cannot be trusted (found while reading, not while recovering). */
export class CorruptLogError extends Error {
  override name = "CorruptLogError";
  /** CORRUPT_MESSAGE */
  readonly code = 2;
}

/** The log was closed or deleted while an operation was queued on it. */
export class LogClosedError extends Error {
  override name = "LogClosedError";
  /** KAFKA_STORAGE_ERROR */
  readonly code = 56;
}
