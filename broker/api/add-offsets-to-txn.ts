import { ErrorCode } from "../../protocol/errors/index.js";
import type { AddOffsetsToTxnResponse } from "../../protocol/generated/messages/AddOffsetsToTxnResponse.js";
import { errorForVersion } from "../coordinator/txn/index.js";
import type { ApiHandler } from "./context.js";

/** AddOffsetsToTxn: the group's __consumer_offsets partition joins the transaction (for sendOffsets). */
export const addOffsetsToTxnHandler: ApiHandler<25> = {
  apiKey: 25,
  async handle(req, ctx, broker): Promise<AddOffsetsToTxnResponse> {
    const txn = broker.txn;
    let code: number = ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (txn) {
      // The offsets topic must exist for its partition to take a marker.
      code = await broker.groups.ensureTopic();
      if (code === ErrorCode.NONE) {
        code = (
          await txn.coordinator.addOffsetsToTxn({
            transactionalId: req.transactionalId,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            groupId: req.groupId,
          })
        ).errorCode;
      }
    }
    return { throttleTimeMs: 0, errorCode: errorForVersion("AddOffsetsToTxn", ctx.apiVersion, code) };
  },
};
