/**
 * Error codes of the transaction coordinator: the per-version downgrade of PRODUCER_FENCED, and how
 * __transaction_state write failures reach clients.
 */
import { ErrorCode, KafkaError } from "../../../protocol/errors/index.js";
import { mapAppendError, TXN_STATE_TOO_LARGE } from "../append-errors.js";

export type TxnApi = "InitProducerId" | "AddPartitionsToTxn" | "AddOffsetsToTxn" | "EndTxn";

/**
 * First version of each API that may carry PRODUCER_FENCED (90, KIP-588); older versions get
 * INVALID_PRODUCER_EPOCH (47), which older clients handle the same way.
 */
const FIRST_FENCED_VERSION: Record<TxnApi, number> = {
  InitProducerId: 4,
  AddPartitionsToTxn: 2,
  AddOffsetsToTxn: 2,
  EndTxn: 2,
};

export function errorForVersion(api: TxnApi, version: number, code: number): number {
  if (code === ErrorCode.PRODUCER_FENCED && version < FIRST_FENCED_VERSION[api])
    return ErrorCode.INVALID_PRODUCER_EPOCH;
  return code;
}

/** Kafka's mapping of __transaction_state append errors to what the client sees. */
export function appendErrorCode(e: unknown): number {
  return mapAppendError(errorCodeOf(e), TXN_STATE_TOO_LARGE);
}

export const errorCodeOf = (e: unknown): number =>
  e instanceof KafkaError ? e.code : ErrorCode.UNKNOWN_SERVER_ERROR;
