import { ErrorCode } from "../../protocol/errors/index.js";
import type { FetchRequest } from "../../protocol/generated/messages/FetchRequest.js";
import type {
  FetchResponse,
  FetchResponseFetchableTopicResponse,
  FetchResponsePartitionData,
} from "../../protocol/generated/messages/FetchResponse.js";
import { ZERO_UUID } from "../../protocol/generated/runtime.js";
import { batchesIn } from "../../protocol/records/batch.js";
import { readBatchHeader } from "../../protocol/records/header.js";
import { OffsetOutOfRangeError } from "../storage/errors.js";
import type { ApiHandler, BrokerServices, RequestContext } from "./context.js";
import { downConvert } from "./down-convert.js";
import { type FetchSession, partKey, type SessionPartition } from "./fetch-sessions.js";

/**
 * Fetch: read whole batches from each partition's log (starting with the batch holding the fetch
 * offset), within partition_max_bytes and max_bytes but always at least one batch for the first
 * partition with data. When less than min_bytes is available the request waits up to max_wait_ms
 * and is woken by appends to its partitions. Incremental fetch sessions (KIP-227) answer with
 * only the partitions that have news. High watermark = log end offset on a single node.
 */
const READ_COMMITTED = 1;
const EMPTY = Buffer.alloc(0);

interface Computed {
  /** Partition results in response order, with the session entry they came from. */
  parts: { sp: SessionPartition; data: FetchResponsePartitionData }[];
  bytes: number;
  hasError: boolean;
}

function partitionData(index: number, errorCode: number): FetchResponsePartitionData {
  return {
    partitionIndex: index,
    errorCode,
    highWatermark: -1n,
    lastStableOffset: -1n,
    logStartOffset: -1n,
    divergingEpoch: { epoch: -1, endOffset: -1n },
    currentLeader: { leaderId: -1, leaderEpoch: -1 },
    snapshotId: { endOffset: -1n, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

/** Offset after the last whole batch in `chunks` (the upper bound for aborted transactions). */
function endOfBatches(chunks: Buffer[], fallback: bigint): bigint {
  let end = fallback;
  for (const c of chunks) {
    for (const { at } of batchesIn(c)) {
      const h = readBatchHeader(c, at);
      end = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
    }
  }
  return end;
}

function readPartition(
  sp: SessionPartition,
  budget: number,
  first: boolean,
  req: FetchRequest,
  v: number,
  broker: BrokerServices,
): FetchResponsePartitionData {
  const image = broker.controller.image;
  const t = image.topic(sp.topic);
  if (!t || (sp.topicId !== ZERO_UUID && sp.topicId !== "" && t.id !== sp.topicId)) {
    return partitionData(
      sp.partition,
      sp.topic === "" ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    );
  }
  const p = t.partitions.get(sp.partition);
  if (!p) return partitionData(sp.partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (p.leader !== broker.nodeId) {
    const d = partitionData(sp.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER);
    if (v >= 12) d.currentLeader = { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
    return d;
  }
  if (sp.currentLeaderEpoch >= 0 && sp.currentLeaderEpoch !== p.leaderEpoch) {
    return partitionData(
      sp.partition,
      sp.currentLeaderEpoch > p.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH,
    );
  }
  const log = broker.logs.getLog(sp.topic, sp.partition);
  if (!log) return partitionData(sp.partition, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const d = partitionData(sp.partition, ErrorCode.NONE);
  const hw = log.logEndOffset;
  const lso = log.lastStableOffset?.() ?? hw;
  const committedOnly = req.isolationLevel === READ_COMMITTED;
  d.highWatermark = hw;
  d.lastStableOffset = lso;
  d.logStartOffset = log.logStartOffset;
  if (committedOnly) d.abortedTransactions = [];
  const max = Math.min(sp.maxBytes, budget);
  if (max <= 0 && !first) return d;
  try {
    // read_committed readers stop at the last stable offset (the first open transaction).
    const limit = committedOnly ? lso : hw;
    const res = log.read(sp.fetchOffset, Math.max(max, 0), { maxOffset: limit, minOneBatch: first });
    if (res instanceof Promise) throw new Error("storage read must be synchronous");
    if (res.bytes > 0) d.records = res.chunks.length === 1 ? res.chunks[0]! : Buffer.concat(res.chunks);
    if (committedOnly && res.bytes > 0 && log.abortedTransactions) {
      d.abortedTransactions = log.abortedTransactions(
        sp.fetchOffset,
        endOfBatches(res.chunks, sp.fetchOffset),
      );
    }
  } catch (err) {
    if (err instanceof OffsetOutOfRangeError) {
      d.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
      return d;
    }
    // Storage errors carry their Kafka code (a log closed by a concurrent delete: KAFKA_STORAGE_ERROR).
    const code = (err as { code?: unknown }).code;
    broker.log.warn({ err, topic: sp.topic, partition: sp.partition }, "fetch read failed");
    return partitionData(sp.partition, typeof code === "number" ? code : ErrorCode.UNKNOWN_SERVER_ERROR);
  }
  return d;
}

function compute(
  list: SessionPartition[],
  full: boolean,
  req: FetchRequest,
  v: number,
  broker: BrokerServices,
): Computed {
  const out: Computed = { parts: [], bytes: 0, hasError: false };
  const maxBytes = v >= 3 ? req.maxBytes : 0x7fffffff;
  for (const sp of list) {
    const data = readPartition(sp, maxBytes - out.bytes, out.bytes === 0, req, v, broker);
    const n = data.records?.length ?? 0;
    out.bytes += n;
    if (data.errorCode !== ErrorCode.NONE) out.hasError = true;
    const news =
      full ||
      n > 0 ||
      data.errorCode !== ErrorCode.NONE ||
      sp.lastHighWatermark !== data.highWatermark ||
      sp.lastLogStartOffset !== data.logStartOffset;
    if (news) out.parts.push({ sp, data });
  }
  return out;
}

function waitForAppend(keys: Set<string>, ms: number, broker: BrokerServices): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      resolve();
    };
    const timer = setTimeout(finish, ms);
    const unsubscribe = broker.logs.onAppend((topic, partition) => {
      if (keys.has(partKey(topic, partition))) finish();
    });
    broker.shuttingDown.then(finish, finish);
  });
}

/** Turn request topics into session partitions (resolving topic ids for v13+). */
function requested(req: FetchRequest, v: number, broker: BrokerServices): SessionPartition[] {
  const image = broker.controller.image;
  const out: SessionPartition[] = [];
  for (const t of req.topics) {
    const name = v >= 13 ? (image.topicById(t.topicId)?.name ?? "") : t.topic;
    for (const p of t.partitions) {
      out.push({
        topic: name,
        topicId: v >= 13 ? t.topicId : ZERO_UUID,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        maxBytes: p.partitionMaxBytes,
        currentLeaderEpoch: v >= 9 ? p.currentLeaderEpoch : -1,
        lastHighWatermark: null,
        lastLogStartOffset: null,
      });
    }
  }
  return out;
}

const keyOf = (sp: SessionPartition, ids: boolean): string =>
  partKey(ids ? sp.topicId : sp.topic, sp.partition);

function group(parts: Computed["parts"], v: number): FetchResponseFetchableTopicResponse[] {
  const topics: FetchResponseFetchableTopicResponse[] = [];
  let last: FetchResponseFetchableTopicResponse | null = null;
  for (const { sp, data } of parts) {
    const id = v >= 13 ? sp.topicId : ZERO_UUID;
    if (!last || last.topic !== sp.topic || last.topicId !== id) {
      last = { topic: sp.topic, topicId: id, partitions: [] };
      topics.push(last);
    }
    last.partitions.push(data);
  }
  return topics;
}

export const fetchHandler: ApiHandler<1> = {
  apiKey: 1,
  sizeHint(res) {
    let n = 256;
    for (const t of res.responses) {
      n += 64 + t.topic.length;
      for (const p of t.partitions) n += 96 + (p.records?.length ?? 0);
    }
    return n;
  },
  async handle(req, ctx: RequestContext, broker): Promise<FetchResponse> {
    const v = ctx.apiVersion;
    const ids = v >= 13;
    const wanted = requested(req, v, broker);
    const cache = broker.fetchSessions;
    const lookup =
      v >= 7 ? cache.lookup(req.sessionId, req.sessionEpoch) : ({ kind: "sessionless" } as const);
    if (lookup.kind === "error") {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode[lookup.code],
        sessionId: 0,
        responses: [],
        nodeEndpoints: [],
      };
    }
    let session: FetchSession | null = null;
    let list: SessionPartition[];
    let full = true;
    if (lookup.kind === "incremental") {
      session = lookup.session;
      full = false;
      for (const sp of wanted) {
        const k = keyOf(sp, ids);
        const prev = session.partitions.get(k);
        session.partitions.set(k, {
          ...sp,
          lastHighWatermark: prev?.lastHighWatermark ?? null,
          lastLogStartOffset: prev?.lastLogStartOffset ?? null,
        });
      }
      for (const f of req.forgottenTopicsData) {
        const name = ids ? f.topicId : f.topic;
        for (const p of f.partitions) session.partitions.delete(partKey(name, p));
      }
      list = [...session.partitions.values()];
    } else {
      list = wanted;
      if (lookup.kind === "new") {
        session = cache.create(new Map(wanted.map((sp) => [keyOf(sp, ids), sp])), ids);
        if (session) list = [...session.partitions.values()];
      }
    }
    for (const sp of list) broker.metrics.totalFetchRequests.inc({ topic: sp.topic || "unknown" });

    let result = compute(list, full, req, v, broker);
    const deadline = ctx.receivedAtMs + Math.max(0, req.maxWaitMs);
    const keys = new Set(list.map((sp) => partKey(sp.topic, sp.partition)));
    while (result.bytes < req.minBytes && !result.hasError && req.maxWaitMs > 0) {
      const left = deadline - broker.now();
      if (left <= 0 || broker.isShuttingDown()) break;
      await waitForAppend(keys, left, broker);
      result = compute(list, full, req, v, broker);
    }
    if (session) {
      for (const { sp, data } of result.parts) {
        sp.lastHighWatermark = data.highWatermark;
        sp.lastLogStartOffset = data.logStartOffset;
      }
      if (lookup.kind === "incremental") cache.advance(session);
    }
    if (v < 4) {
      // Fetch v0-v3 clients predate record batches: hand them magic 0/1 message sets.
      for (const { sp, data } of result.parts) {
        if (data.records && data.records.length > 0) {
          data.records = await downConvert(data.records, v <= 1 ? 0 : 1, sp.fetchOffset);
        }
      }
    }
    for (const { sp, data } of result.parts) {
      const n = data.records?.length ?? 0;
      if (n > 0) broker.metrics.bytesOut.inc({ topic: sp.topic }, n);
      if (data.errorCode !== ErrorCode.NONE)
        broker.metrics.failedFetchRequests.inc({ topic: sp.topic || "unknown" });
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      sessionId: session?.id ?? 0,
      responses: group(result.parts, v),
      nodeEndpoints: [],
    };
  },
};
