import { ErrorCode } from "../../protocol/errors/index.js";
import type { WriteTxnMarkersResponse } from "../../protocol/generated/messages/WriteTxnMarkersResponse.js";
import type { ApiHandler } from "./context.js";

/**
 * WriteTxnMarkers (coordinator -> partition leader): append a COMMIT/ABORT control batch to each
 * listed partition this broker leads. Our own coordinator writes locally through the same path.
 */
export const writeTxnMarkersHandler: ApiHandler<27> = {
  apiKey: 27,
  async handle(req, _ctx, broker): Promise<WriteTxnMarkersResponse> {
    const txn = broker.txn;
    const markers = [];
    for (const m of req.markers) {
      const topics = [];
      for (const t of m.topics) {
        const partitions = [];
        for (const p of t.partitionIndexes) {
          const errorCode = txn
            ? await txn.writeMarker(
                {
                  producerId: m.producerId,
                  producerEpoch: m.producerEpoch,
                  coordinatorEpoch: m.coordinatorEpoch,
                  result: m.transactionResult ? "commit" : "abort",
                },
                t.name,
                p,
              )
            : ErrorCode.COORDINATOR_NOT_AVAILABLE;
          partitions.push({ partitionIndex: p, errorCode });
        }
        topics.push({ name: t.name, partitions });
      }
      markers.push({ producerId: m.producerId, topics });
    }
    return { markers };
  },
};
