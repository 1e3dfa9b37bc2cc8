import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import { type BrokerConfigLayers, brokerLayers } from "../config/describe.js";
import type { BrokerServices, PartitionLogView } from "./context.js";

/**
 * Helpers the admin API handlers share: turning thrown errors into (code, message) pairs, the
 * broker's config layers, and the storage operations admin APIs need beyond PartitionLogView.
 */
export interface ApiErrorResult {
  code: number;
  message: string | null;
}

/** KafkaError and storage errors carry their Kafka code; anything else is logged and UNKNOWN_SERVER_ERROR. */
export function apiError(err: unknown, broker: BrokerServices, what: string): ApiErrorResult {
  if (err instanceof KafkaError) return { code: err.code, message: err.message };
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "number") return { code, message: (err as Error).message ?? null };
  broker.log.error({ err }, `${what} failed`);
  return { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: (err as Error)?.message ?? String(err) };
}

/** ConfigResource.Type ids on the wire. */
export const ResourceType = { UNKNOWN: 0, TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export function layersOf(broker: BrokerServices): BrokerConfigLayers {
  return brokerLayers(broker.controller.image.brokerConfigs, broker.config.props, broker.nodeId);
}

/**
 * Broker resource names: "" is the cluster-wide default, otherwise it must be this node's id
 * (a single-node broker answers for itself only, as Kafka does).
 */
export function checkBrokerResource(name: string, nodeId: number): void {
  if (name === "") return;
  if (!/^-?\d+$/.test(name)) {
    throw KafkaError.of("INVALID_REQUEST", `Broker id must be an integer, but it is: ${name}`);
  }
  if (Number(name) !== nodeId) {
    throw KafkaError.of(
      "INVALID_REQUEST",
      `Unexpected broker id, expected ${nodeId} or empty string, but received ${name}`,
    );
  }
}

/** The storage side of a partition that admin APIs use (PartitionLog provides all of it). */
export interface AdminLogView extends PartitionLogView {
  readonly dir: string;
  readonly sizeInBytes: number;
  deleteRecordsBefore(offset: bigint): Promise<bigint>;
  endOffsetForEpoch(epoch: number): { epoch: number; endOffset: bigint };
}

function isAdminLog(log: PartitionLogView): log is AdminLogView {
  const l = log as Partial<AdminLogView>;
  return (
    typeof l.dir === "string" &&
    typeof l.deleteRecordsBefore === "function" &&
    typeof l.endOffsetForEpoch === "function"
  );
}

export function adminLog(broker: BrokerServices, topic: string, partition: number): AdminLogView | undefined {
  const log = broker.logs.getLog(topic, partition);
  if (!log) return undefined;
  if (!isAdminLog(log)) throw new Error(`log ${topic}-${partition} does not support admin operations`);
  return log;
}

/** Leader-side partition lookup shared by DeleteRecords and OffsetForLeaderEpoch. */
export function leaderLog(
  broker: BrokerServices,
  topic: string,
  partition: number,
): { log: AdminLogView; leaderEpoch: number } | { error: number } {
  const p = broker.controller.image.topic(topic)?.partitions.get(partition);
  if (!p) return { error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (p.leader !== broker.nodeId) return { error: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  const log = adminLog(broker, topic, partition);
  if (!log) return { error: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  return { log, leaderEpoch: p.leaderEpoch };
}
