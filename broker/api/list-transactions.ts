import { ErrorCode } from "../../protocol/errors/index.js";
import type { ListTransactionsResponse } from "../../protocol/generated/messages/ListTransactionsResponse.js";
import type { ApiHandler } from "./context.js";

/**
 * ListTransactions: transactional ids this broker coordinates, filtered by state and producer id,
 * and (v1+) by running longer than duration_filter ms.
 */
export const listTransactionsHandler: ApiHandler<66> = {
  apiKey: 66,
  handle(req, ctx, broker): ListTransactionsResponse {
    const txn = broker.txn;
    if (!txn) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        unknownStateFilters: [],
        transactionStates: [],
      };
    }
    const r = txn.coordinator.listTransactions({
      states: req.stateFilters,
      producerIds: req.producerIdFilters,
    });
    const minDuration = ctx.apiVersion >= 1 ? req.durationFilter : -1n;
    const now = broker.now();
    const states = r.transactions.filter((t) => {
      if (minDuration < 0n) return true;
      const md = txn.coordinator.inspect(t.transactionalId);
      return (
        md !== undefined && md.txnStartTimestamp >= 0 && BigInt(now - md.txnStartTimestamp) > minDuration
      );
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      unknownStateFilters: r.unknownStateFilters,
      transactionStates: states.map((t) => ({
        transactionalId: t.transactionalId,
        producerId: t.producerId,
        transactionState: t.state,
      })),
    };
  },
};
