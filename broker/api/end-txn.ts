import { ErrorCode } from "../../protocol/errors/index.js";
import type { EndTxnResponse } from "../../protocol/generated/messages/EndTxnResponse.js";
import { errorForVersion } from "../coordinator/txn/index.js";
import type { ApiHandler } from "./context.js";

/** EndTxn: commit or abort; answered once PrepareCommit/PrepareAbort is durable (markers follow). */
export const endTxnHandler: ApiHandler<26> = {
  apiKey: 26,
  async handle(req, ctx, broker): Promise<EndTxnResponse> {
    const txn = broker.txn;
    const code = txn
      ? await txn.coordinator.endTxn({
          transactionalId: req.transactionalId,
          producerId: req.producerId,
          producerEpoch: req.producerEpoch,
          committed: req.committed,
        })
      : ErrorCode.COORDINATOR_NOT_AVAILABLE;
    return {
      throttleTimeMs: 0,
      errorCode: errorForVersion("EndTxn", ctx.apiVersion, code),
      producerId: -1n,
      producerEpoch: -1,
    };
  },
};
