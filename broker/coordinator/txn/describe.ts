/** DescribeTransactions / ListTransactions views of transaction metadata. */
import { ErrorCode } from "../../../protocol/errors/index.js";
import { TXN_STATE_NAMES, type TxnMetadata, TxnState } from "./state.js";
import type { DescribedTransaction, ListedTransaction } from "./types.js";

const STATE_BY_NAME = new Map<string, TxnState>(
  (Object.entries(TXN_STATE_NAMES) as [string, string][]).map(([k, v]) => [v, Number(k) as TxnState]),
);

export function describeOne(
  transactionalId: string,
  locateError: number,
  md: TxnMetadata | undefined,
): DescribedTransaction {
  const base = {
    transactionalId,
    state: "",
    producerId: -1n,
    producerEpoch: -1,
    transactionTimeoutMs: 0,
    transactionStartTimeMs: -1,
    partitions: [],
  };
  if (locateError !== ErrorCode.NONE) return { ...base, errorCode: locateError };
  if (!md || md.state === TxnState.Dead) return { ...base, errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND };
  return {
    transactionalId,
    errorCode: ErrorCode.NONE,
    state: TXN_STATE_NAMES[md.state],
    producerId: md.producerId,
    producerEpoch: md.producerEpoch,
    transactionTimeoutMs: md.txnTimeoutMs,
    transactionStartTimeMs: md.txnStartTimestamp,
    partitions: md.partitions.map((tp) => ({ ...tp })),
  };
}

export function listMatching(
  all: readonly TxnMetadata[],
  filter: { states?: string[]; producerIds?: bigint[] },
): { unknownStateFilters: string[]; transactions: ListedTransaction[] } {
  const states = filter.states ?? [];
  const unknownStateFilters = states.filter((s) => !STATE_BY_NAME.has(s));
  const wanted = new Set(states.filter((s) => STATE_BY_NAME.has(s)).map((s) => STATE_BY_NAME.get(s)!));
  const pids = new Set(filter.producerIds ?? []);
  // Kafka: an all-unknown state filter matches nothing.
  const noneCanMatch = states.length > 0 && wanted.size === 0;
  const transactions = noneCanMatch
    ? []
    : all
        .filter((md) => md.state !== TxnState.Dead)
        .filter((md) => wanted.size === 0 || wanted.has(md.state))
        .filter((md) => pids.size === 0 || pids.has(md.producerId))
        .map((md) => ({
          transactionalId: md.transactionalId,
          producerId: md.producerId,
          state: TXN_STATE_NAMES[md.state],
        }));
  return { unknownStateFilters, transactions };
}
