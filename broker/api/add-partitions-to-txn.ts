import { ErrorCode } from "../../protocol/errors/index.js";
import type {
  AddPartitionsToTxnRequestAddPartitionsToTxnTopic,
  AddPartitionsToTxnRequestAddPartitionsToTxnTransaction,
} from "../../protocol/generated/messages/AddPartitionsToTxnRequest.js";
import type {
  AddPartitionsToTxnResponse,
  AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult,
} from "../../protocol/generated/messages/AddPartitionsToTxnResponse.js";
import { errorForVersion, type TopicPartition } from "../coordinator/txn/index.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * AddPartitionsToTxn: partitions join the producer's ongoing transaction (all or none). v0-3 carry
 * one transaction (from producers); v4+ a batch of them (from brokers), each optionally VerifyOnly
 * (KIP-890: "are these partitions already in the transaction?").
 */
function partitionsOf(topics: AddPartitionsToTxnRequestAddPartitionsToTxnTopic[]): TopicPartition[] {
  return topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
}

function resultsByTopic(tps: (TopicPartition & { errorCode: number })[]) {
  const byTopic = new Map<string, AddPartitionsToTxnResponseAddPartitionsToTxnTopicResult>();
  for (const tp of tps) {
    let t = byTopic.get(tp.topic);
    if (!t) {
      t = { name: tp.topic, resultsByPartition: [] };
      byTopic.set(tp.topic, t);
    }
    t.resultsByPartition.push({ partitionIndex: tp.partition, partitionErrorCode: tp.errorCode });
  }
  return [...byTopic.values()];
}

async function handleOne(
  t: AddPartitionsToTxnRequestAddPartitionsToTxnTransaction,
  v: number,
  broker: BrokerServices,
): Promise<(TopicPartition & { errorCode: number })[]> {
  const tps = partitionsOf(t.topics);
  const all = (code: number) =>
    tps.map((tp) => ({ ...tp, errorCode: errorForVersion("AddPartitionsToTxn", v, code) }));
  const txn = broker.txn;
  if (!txn) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  // Unknown partitions fail the request; the others are reported as not attempted.
  const image = broker.controller.image;
  const unknown = tps.filter((tp) => !image.topic(tp.topic)?.partitions.has(tp.partition));
  if (unknown.length > 0) {
    const bad = new Set(unknown.map((tp) => `${tp.topic}\0${tp.partition}`));
    return tps.map((tp) => ({
      ...tp,
      errorCode: bad.has(`${tp.topic}\0${tp.partition}`)
        ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION
        : ErrorCode.OPERATION_NOT_ATTEMPTED,
    }));
  }
  const input = {
    transactionalId: t.transactionalId,
    producerId: t.producerId,
    producerEpoch: t.producerEpoch,
    partitions: tps,
  };
  if (t.verifyOnly) {
    return txn.coordinator.verifyPartitionsInTxn(input).partitions.map((p) => ({
      ...p,
      errorCode: errorForVersion("AddPartitionsToTxn", v, p.errorCode),
    }));
  }
  const r = await txn.coordinator.addPartitionsToTxn(input);
  return all(r.errorCode);
}

export const addPartitionsToTxnHandler: ApiHandler<24> = {
  apiKey: 24,
  async handle(req, ctx, broker): Promise<AddPartitionsToTxnResponse> {
    const v = ctx.apiVersion;
    if (v <= 3) {
      const results = await handleOne(
        {
          transactionalId: req.v3AndBelowTransactionalId,
          producerId: req.v3AndBelowProducerId,
          producerEpoch: req.v3AndBelowProducerEpoch,
          verifyOnly: false,
          topics: req.v3AndBelowTopics,
        },
        v,
        broker,
      );
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        resultsByTransaction: [],
        resultsByTopicV3AndBelow: resultsByTopic(results),
      };
    }
    const resultsByTransaction = await Promise.all(
      req.transactions.map(async (t) => ({
        transactionalId: t.transactionalId,
        topicResults: resultsByTopic(await handleOne(t, v, broker)),
      })),
    );
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      resultsByTransaction,
      resultsByTopicV3AndBelow: [],
    };
  },
};
