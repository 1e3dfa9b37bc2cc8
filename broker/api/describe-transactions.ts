import { ErrorCode } from "../../protocol/errors/index.js";
import type { DescribeTransactionsResponse } from "../../protocol/generated/messages/DescribeTransactionsResponse.js";
import type { ApiHandler } from "./context.js";

/** DescribeTransactions: state, producer and partitions of transactional ids this broker coordinates. */
export const describeTransactionsHandler: ApiHandler<65> = {
  apiKey: 65,
  handle(req, _ctx, broker): DescribeTransactionsResponse {
    const txn = broker.txn;
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        const d = txn?.coordinator.describeTransaction(id);
        if (!d) {
          return {
            errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
            transactionalId: id,
            transactionState: "",
            transactionTimeoutMs: 0,
            transactionStartTimeMs: -1n,
            producerId: -1n,
            producerEpoch: -1,
            topics: [],
          };
        }
        const byTopic = new Map<string, number[]>();
        for (const tp of d.partitions)
          byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
        return {
          errorCode: d.errorCode,
          transactionalId: id,
          transactionState: d.state,
          transactionTimeoutMs: d.transactionTimeoutMs,
          transactionStartTimeMs: BigInt(d.transactionStartTimeMs),
          producerId: d.producerId,
          producerEpoch: d.producerEpoch,
          topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
        };
      }),
    };
  },
};
