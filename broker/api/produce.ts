import { ErrorCode } from "../../protocol/errors/index.js";
import type { ProduceRequestPartitionProduceData } from "../../protocol/generated/messages/ProduceRequest.js";
import type {
  ProduceResponse,
  ProduceResponsePartitionProduceResponse,
} from "../../protocol/generated/messages/ProduceResponse.js";
import { CorruptRecordError, InvalidRecordError } from "../../protocol/records/batch.js";
import { BATCH } from "../../protocol/records/header.js";
import { convertLegacyToBatches } from "../../protocol/records/legacy.js";
import { dynamicBrokerValue } from "../config/dynamic.js";
import { CloseConnectionError } from "../network/connection.js";
import type { ApiHandler, BrokerServices, RequestContext } from "./context.js";
import { PartitionError, validateProducerBatches } from "./record-validation.js";

/**
 * Produce: validate each partition's batches (framing, CRC, decompression, records), append
 * them as received with offsets and leader epoch patched in, answer with the base offset.
 * acks=0 gets no response (and, as in Kafka, an error closes the connection so the producer
 * notices); acks=-1 equals acks=1 while the ISR is this node alone.
 */
function response(
  index: number,
  code: number,
  message: string | null = null,
): ProduceResponsePartitionProduceResponse {
  return {
    index,
    errorCode: code,
    baseOffset: -1n,
    logAppendTimeMs: -1n,
    logStartOffset: -1n,
    recordErrors: [],
    errorMessage: message,
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
  };
}

async function toMagic2(records: Buffer, version: number): Promise<Buffer> {
  if (records.length < BATCH.MAGIC + 1)
    throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, "records too short");
  const magic = records.readInt8(BATCH.MAGIC);
  if (magic === 2) return records;
  // Produce v3+ must carry magic 2 (Kafka: INVALID_RECORD / UNSUPPORTED_FOR_MESSAGE_FORMAT).
  if (version >= 3)
    throw new PartitionError(ErrorCode.INVALID_RECORD, `produce v${version} requires magic 2`);
  if (magic !== 0 && magic !== 1)
    throw new PartitionError(ErrorCode.CORRUPT_MESSAGE, `unknown magic ${magic}`);
  const batches = await convertLegacyToBatches(records);
  return batches.length === 1 ? batches[0]! : Buffer.concat(batches);
}

/** Written only by the group and transaction coordinators (straight to the log), never by clients. */
const INTERNAL_TOPICS: ReadonlySet<string> = new Set(["__consumer_offsets", "__transaction_state"]);

/** The topic's min.insync.replicas: its override, else the broker's (dynamic configs included). */
function minInsyncReplicas(broker: BrokerServices, topicConfigs: ReadonlyMap<string, string>): number {
  const own = topicConfigs.get("min.insync.replicas");
  if (own !== undefined) return Number(own);
  const dyn = dynamicBrokerValue(broker.controller.image.brokerConfigs, broker.nodeId, "min.insync.replicas");
  return dyn !== undefined && /^\s*\d+\s*$/.test(dyn) ? Number(dyn) : broker.config.minInsyncReplicas;
}

async function producePartition(
  topic: string,
  pd: ProduceRequestPartitionProduceData,
  acks: number,
  ctx: RequestContext,
  broker: BrokerServices,
  transactionalId: string | null = null,
): Promise<ProduceResponsePartitionProduceResponse> {
  if (INTERNAL_TOPICS.has(topic)) {
    // As Kafka's ReplicaManager: clients may not append to internal topics.
    broker.metrics.failedProduceRequests.inc({ topic });
    return response(pd.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
  }
  const t = broker.controller.image.topic(topic);
  const p = t?.partitions.get(pd.index);
  if (!t || !p) return response(pd.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (p.leader !== broker.nodeId) {
    const r = response(pd.index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (ctx.apiVersion >= 10) r.currentLeader = { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
    return r;
  }
  const log = broker.logs.getLog(topic, pd.index);
  if (!log) return response(pd.index, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const m = broker.metrics;
  m.totalProduceRequests.inc({ topic });
  try {
    if (!pd.records || pd.records.length === 0)
      throw new PartitionError(ErrorCode.INVALID_RECORD, "no records");
    if (acks === -1) {
      const minIsr = minInsyncReplicas(broker, t.configs);
      if (p.isr.length < minIsr) {
        throw new PartitionError(
          ErrorCode.NOT_ENOUGH_REPLICAS,
          `ISR ${p.isr.length} is below min.insync.replicas ${minIsr}`,
        );
      }
    }
    const records = await toMagic2(pd.records, ctx.apiVersion);
    const cfg = broker.logs.topicLogConfig(topic);
    await validateProducerBatches(records, {
      maxMessageBytes: cfg.maxMessageBytes,
      compacted: cfg.cleanupPolicy !== "delete",
      requireSingleBatch: ctx.apiVersion >= 3,
    });
    let res: Awaited<ReturnType<typeof log.append>>;
    if (log.appendClient) {
      // Producer state: stale epochs and sequence gaps fail; a retried batch gets its original offset.
      const txn = broker.txn;
      const verifyTxn =
        transactionalId !== null && txn?.verificationEnabled
          ? (pid: bigint, epoch: number) => txn.verifyPartition(transactionalId, pid, epoch, topic, pd.index)
          : undefined;
      const out = await log.appendClient(records, { leaderEpoch: p.leaderEpoch, verifyTxn });
      if (out.kind === "duplicate") {
        return { ...response(pd.index, ErrorCode.NONE), baseOffset: out.duplicate.firstOffset };
      }
      res = out.info;
    } else {
      res = await log.append(records, { leaderEpoch: p.leaderEpoch, assignOffsets: true });
    }
    m.bytesIn.inc({ topic }, records.length);
    m.messagesIn.inc({ topic }, res.recordCount);
    return {
      ...response(pd.index, ErrorCode.NONE),
      baseOffset: res.firstOffset,
      logAppendTimeMs: res.logAppendTime,
      logStartOffset: res.logStartOffset,
    };
  } catch (err) {
    m.failedProduceRequests.inc({ topic });
    const r = response(pd.index, ErrorCode.UNKNOWN_SERVER_ERROR);
    if (err instanceof PartitionError) {
      r.errorCode = err.code;
      r.errorMessage = err.message || null;
      r.recordErrors = err.recordErrors;
    } else if (err instanceof InvalidRecordError) {
      r.errorCode = ErrorCode.INVALID_RECORD;
      r.errorMessage = err.message;
      const at = (err as InvalidRecordError & { recordIndex?: number }).recordIndex;
      if (at !== undefined) r.recordErrors = [{ batchIndex: at, batchIndexErrorMessage: err.message }];
    } else if (err instanceof CorruptRecordError) {
      r.errorCode = ErrorCode.CORRUPT_MESSAGE;
      r.errorMessage = err.message;
    } else if (typeof (err as { code?: unknown }).code === "number") {
      r.errorCode = (err as { code: number }).code;
      r.errorMessage = (err as Error).message;
    } else {
      broker.log.error({ err, topic, partition: pd.index }, "produce failed");
      r.errorMessage = (err as Error).message;
    }
    if (ctx.apiVersion < 8) {
      r.recordErrors = [];
      r.errorMessage = null;
    }
    return r;
  }
}

export const produceHandler: ApiHandler<0> = {
  apiKey: 0,
  async handle(req, ctx, broker): Promise<ProduceResponse | null> {
    const { acks } = req;
    const responses = await Promise.all(
      req.topicData.map(async (td) => ({
        name: td.name,
        partitionResponses: await Promise.all(
          td.partitionData.map((pd) =>
            acks === 0 || acks === 1 || acks === -1
              ? producePartition(td.name, pd, acks, ctx, broker, req.transactionalId)
              : Promise.resolve(response(pd.index, ErrorCode.INVALID_REQUIRED_ACKS)),
          ),
        ),
      })),
    );
    if (acks === 0) {
      const failed = responses
        .flatMap((t) => t.partitionResponses)
        .find((p) => p.errorCode !== ErrorCode.NONE);
      // No response exists to carry the error, so Kafka closes the connection instead.
      if (failed) throw new CloseConnectionError(`acks=0 produce failed with error ${failed.errorCode}`);
      return null;
    }
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  },
};
