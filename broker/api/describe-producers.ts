import { ErrorCode } from "../../protocol/errors/index.js";
import type {
  DescribeProducersResponse,
  DescribeProducersResponsePartitionResponse,
} from "../../protocol/generated/messages/DescribeProducersResponse.js";
import type { PartitionProducerState } from "../producer/index.js";
import { lastSeqOf } from "../producer/index.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/** DescribeProducers: the active producers of partitions this broker leads (kafka-transactions.sh). */
function describePartition(
  topic: string,
  partition: number,
  broker: BrokerServices,
): DescribeProducersResponsePartitionResponse {
  const out = (
    errorCode: number,
    errorMessage: string | null = null,
  ): DescribeProducersResponsePartitionResponse => ({
    partitionIndex: partition,
    errorCode,
    errorMessage,
    activeProducers: [],
  });
  const p = broker.controller.image.topic(topic)?.partitions.get(partition);
  if (!p) return out(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (p.leader !== broker.nodeId) return out(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const log = broker.logs.getLog(topic, partition) as
    | { producerState?: () => PartitionProducerState | null }
    | undefined;
  const state = log?.producerState?.();
  if (!log) return out(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  if (!state) return out(ErrorCode.NONE);
  const r = out(ErrorCode.NONE);
  for (const e of state.producers.activeProducers().values()) {
    r.activeProducers.push({
      producerId: e.producerId,
      producerEpoch: e.producerEpoch,
      lastSequence: lastSeqOf(e),
      lastTimestamp: BigInt(e.lastTimestamp),
      coordinatorEpoch: e.coordinatorEpoch,
      currentTxnStartOffset: e.currentTxnFirstOffset ?? -1n,
    });
  }
  return r;
}

export const describeProducersHandler: ApiHandler<61> = {
  apiKey: 61,
  handle(req, _ctx, broker): DescribeProducersResponse {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => describePartition(t.name, p, broker)),
      })),
    };
  },
};
