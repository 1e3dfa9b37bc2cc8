/**
 * Writing a transaction's commit/abort markers to its partitions' leaders (WriteTxnMarkers), with
 * retries until every partition has its marker, the coordinator is fenced, or the transaction's
 * __transaction_state partition moves away.
 */
import { ErrorCode } from "../../../protocol/errors/index.js";
import type { Time } from "../group/time.js";
import { type TopicPartition, tpKey } from "./state.js";

export type TxnResult = "commit" | "abort";

export interface MarkerRequest {
  transactionalId: string;
  producerId: bigint;
  producerEpoch: number;
  /** Leader epoch of the transaction's __transaction_state partition. */
  coordinatorEpoch: number;
  result: TxnResult;
  partitions: TopicPartition[];
}

export interface MarkerPartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
}

/**
 * Delivers markers (the broker sends WriteTxnMarkers to each partition's leader, or appends locally).
 * Per-partition error codes: NONE when the marker is in the log; partitions of deleted topics should
 * be answered NONE (there is nothing left to mark). A rejected promise retries every partition.
 */
export interface MarkerWriter {
  writeMarkers(req: MarkerRequest): Promise<MarkerPartitionResult[]>;
}

export type MarkerOutcome = "done" | "fenced" | "cancelled";

/** Codes after which retrying cannot help: this coordinator (or its epoch) has been superseded. */
const FENCED = new Set<number>([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.TRANSACTION_COORDINATOR_FENCED]);
/** Partitions that cannot take markers at all are skipped (Kafka does the same). */
const SKIP = new Set<number>([ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT]);

export function sleep(time: Time, ms: number): Promise<void> {
  return new Promise((resolve) => {
    time.schedule(ms, resolve);
  });
}

/**
 * Send markers until each partition has one. `cancelled()` is checked before every attempt (the
 * coordinator lost the partition). Errors on one partition do not resend markers already written.
 */
export async function deliverMarkers(
  writer: MarkerWriter,
  req: MarkerRequest,
  time: Time,
  retryBackoffMs: number,
  cancelled: () => boolean,
  onRetry?: (pending: TopicPartition[], lastError: unknown) => void,
): Promise<MarkerOutcome> {
  let pending = req.partitions.slice();
  while (pending.length > 0) {
    if (cancelled()) return "cancelled";
    let results: MarkerPartitionResult[] | null = null;
    let error: unknown = null;
    try {
      results = await writer.writeMarkers({ ...req, partitions: pending });
    } catch (e) {
      error = e;
    }
    if (results) {
      const byKey = new Map(results.map((r) => [tpKey(r), r.errorCode]));
      const still: TopicPartition[] = [];
      for (const tp of pending) {
        const code = byKey.get(tpKey(tp)) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (FENCED.has(code)) return "fenced";
        if (code !== ErrorCode.NONE && !SKIP.has(code)) {
          still.push(tp);
          error = code;
        }
      }
      pending = still;
    }
    if (pending.length > 0) {
      onRetry?.(pending, error);
      await sleep(time, retryBackoffMs);
    }
  }
  return "done";
}
