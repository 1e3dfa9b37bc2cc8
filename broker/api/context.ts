import type { Logger } from "pino";
import type { RequestByKey, ResponseByKey } from "../../protocol/framing.js";
import type { ApiKeyNumber } from "../../protocol/generated/dispatch.js";
import type { BrokerConfig } from "../config/broker-config.js";
import type { GroupService } from "../coordinator/group-service.js";
import type { TxnService } from "../coordinator/txn-service.js";
import type { LocalController } from "../metadata/controller.js";
import type { BrokerMetrics } from "../metrics/registry.js";
import type { ConnectionInfo } from "../network/connection.js";
import type { LogConfig } from "../storage/config.js";
import type { LogManager } from "../storage/log-manager.js";
import type { FetchSessionCache } from "./fetch-sessions.js";

/**
 * What handlers see: the request's context and the broker's subsystems. Storage is described
 * by the slice of its interface handlers use, so handlers depend on a contract, not a class.
 */
export interface AppendResult {
  firstOffset: bigint;
  lastOffset: bigint;
  logAppendTime: bigint;
  maxTimestamp: bigint;
  logStartOffset: bigint;
  recordCount: number;
}

export interface ReadResult {
  chunks: Buffer[];
  bytes: number;
}

export interface PartitionLogView {
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  readonly size?: number;
  append(
    batches: Buffer,
    opts: { leaderEpoch: number; assignOffsets: true; now?: number },
  ): Promise<AppendResult>;
  read(
    fetchOffset: bigint,
    maxBytes: number,
    opts?: { maxOffset?: bigint; minOneBatch?: boolean },
  ): ReadResult | Promise<ReadResult>;
  /** Produce path with producer state: validation, duplicates answered with the original offsets. */
  appendClient?(
    batches: Buffer,
    opts: {
      leaderEpoch: number;
      /** For a transaction's first batch here: NONE if the partition is in the transaction. */
      verifyTxn?: (producerId: bigint, producerEpoch: number) => number | Promise<number>;
    },
  ): Promise<
    | { kind: "appended"; info: AppendResult }
    | { kind: "duplicate"; duplicate: { firstOffset: bigint; lastOffset: bigint; timestamp: number } }
  >;
  /** The last stable offset (read_committed limit). */
  lastStableOffset?(): bigint;
  /** Aborted transactions overlapping [fetchOffset, upperBoundOffset) for read_committed fetches. */
  abortedTransactions?(
    fetchOffset: bigint,
    upperBoundOffset: bigint,
  ): { producerId: bigint; firstOffset: bigint }[];
  offsetForTimestamp(
    ts: bigint,
  ):
    | { offset: bigint; timestamp: bigint; leaderEpoch: number }
    | null
    | Promise<{ offset: bigint; timestamp: bigint; leaderEpoch: number } | null>;
}

export interface LogStore {
  getLog(topic: string, partition: number): PartitionLogView | undefined;
  /** Subscribe to appends on any partition (wakes fetch long-polls). Returns an unsubscribe. */
  onAppend(cb: (topic: string, partition: number) => void): () => void;
  /** Effective config of a topic's logs (broker defaults + topic overrides). */
  topicLogConfig(topic: string): LogConfig;
}

export interface AdvertisedBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly controller: LocalController;
  readonly logs: LogStore;
  /** The full storage layer (admin APIs: DescribeLogDirs, DeleteRecords, OffsetForLeaderEpoch). */
  readonly storage: LogManager;
  readonly metrics: BrokerMetrics;
  readonly log: Logger;
  /** Brokers as clients should see them on `listener` (the listener the request came in on). */
  advertisedBrokers(listener: string): AdvertisedBroker[];
  readonly fetchSessions: FetchSessionCache;
  /** The classic group coordinator and its __consumer_offsets glue. */
  readonly groups: GroupService;
  /** The transaction coordinator and its __transaction_state glue (absent: COORDINATOR_NOT_AVAILABLE). */
  readonly txn?: TxnService;
  /** Resolves when the broker is shutting down (long polls answer early). */
  readonly shuttingDown: Promise<void>;
  isShuttingDown(): boolean;
  now(): number;
}

export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
  readonly conn: ConnectionInfo;
  readonly receivedAtMs: number;
}

/** A handler per API key; returning null sends no response (acks=0 produce). */
export interface ApiHandler<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K;
  handle(
    req: RequestByKey[K],
    ctx: RequestContext,
    broker: BrokerServices,
  ): Promise<ResponseByKey[K] | null> | ResponseByKey[K] | null;
  /** Expected encoded size, so large responses (Fetch) are written into one buffer without regrowth. */
  sizeHint?(res: ResponseByKey[K]): number;
}
