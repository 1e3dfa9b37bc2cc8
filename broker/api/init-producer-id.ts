import { ErrorCode } from "../../protocol/errors/index.js";
import type { InitProducerIdResponse } from "../../protocol/generated/messages/InitProducerIdResponse.js";
import { errorForVersion } from "../coordinator/txn/index.js";
import type { ApiHandler } from "./context.js";

/**
 * InitProducerId: a fresh producer id at epoch 0 for idempotent producers; for a transactional id,
 * its id with a bumped epoch (fencing older producers, aborting their open transaction). The first
 * transactional request creates __transaction_state.
 */
export const initProducerIdHandler: ApiHandler<22> = {
  apiKey: 22,
  async handle(req, ctx, broker): Promise<InitProducerIdResponse> {
    const v = ctx.apiVersion;
    const out = (errorCode: number, producerId = -1n, producerEpoch = -1): InitProducerIdResponse => ({
      throttleTimeMs: 0,
      errorCode: errorForVersion("InitProducerId", v, errorCode),
      producerId,
      producerEpoch,
    });
    const txn = broker.txn;
    if (!txn) return out(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (req.transactionalId !== null) {
      const err = await txn.ensureTopic();
      if (err !== ErrorCode.NONE) return out(err);
    }
    const r = await txn.coordinator.initProducerId({
      transactionalId: req.transactionalId,
      transactionTimeoutMs: req.transactionTimeoutMs,
      producerId: v >= 3 ? req.producerId : -1n,
      producerEpoch: v >= 3 ? req.producerEpoch : -1,
    });
    return out(r.errorCode, r.producerId, r.producerEpoch);
  },
};
