import { ErrorCode, errorInfo } from "../../protocol/errors/index.js";
import type {
  FindCoordinatorResponse,
  FindCoordinatorResponseCoordinator,
} from "../../protocol/generated/messages/FindCoordinatorResponse.js";
import { TRANSACTION_STATE_TOPIC } from "../coordinator/txn/partitioner.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * FindCoordinator: the broker that coordinates a group (key type 0) or a transactional id (1).
 * v0-3 ask for one key; v4+ batch several keys in coordinatorKeys and answer per key. The first
 * group lookup creates __consumer_offsets, as Kafka does.
 */
const KEY_GROUP = 0;
const KEY_TRANSACTION = 1;

async function locate(
  key: string,
  keyType: number,
  listener: string,
  broker: BrokerServices,
): Promise<FindCoordinatorResponseCoordinator> {
  const fail = (
    errorCode: number,
    errorMessage: string | null = null,
  ): FindCoordinatorResponseCoordinator => ({
    key,
    nodeId: -1,
    host: "",
    port: -1,
    errorCode,
    errorMessage: errorMessage ?? errorInfo(errorCode).message,
  });
  let nodeId: number;
  if (keyType === KEY_GROUP) {
    const r = await broker.groups.findCoordinator(key);
    if (r.errorCode !== ErrorCode.NONE) return fail(r.errorCode);
    nodeId = r.nodeId;
  } else if (keyType === KEY_TRANSACTION) {
    if (key === "") return fail(ErrorCode.INVALID_REQUEST, "Transactional id must not be empty");
    // Like groups: the first lookup creates __transaction_state, then the key's partition leader.
    if (!broker.txn) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const err = await broker.txn.ensureTopic();
    if (err !== ErrorCode.NONE) return fail(err);
    const part = broker.controller.image
      .topic(TRANSACTION_STATE_TOPIC)
      ?.partitions.get(broker.txn.coordinator.partitionFor(key));
    if (!part || part.leader < 0) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    nodeId = part.leader;
  } else {
    return fail(ErrorCode.INVALID_REQUEST, `Unknown coordinator type ${keyType}`);
  }
  const node = broker.advertisedBrokers(listener).find((b) => b.nodeId === nodeId);
  if (!node) return fail(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  return { key, nodeId, host: node.host, port: node.port, errorCode: ErrorCode.NONE, errorMessage: null };
}

export const findCoordinatorHandler: ApiHandler<10> = {
  apiKey: 10,
  async handle(req, ctx, broker): Promise<FindCoordinatorResponse> {
    const batched = ctx.apiVersion >= 4;
    const keys = batched ? req.coordinatorKeys : [req.key];
    const results = await Promise.all(keys.map((k) => locate(k, req.keyType, ctx.conn.listener, broker)));
    if (batched) {
      return {
        throttleTimeMs: 0,
        // Not in v4+: left at their defaults (the codec refuses anything else).
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        nodeId: 0,
        host: "",
        port: 0,
        coordinators: results,
      };
    }
    const r = results[0]!;
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage,
      nodeId: r.nodeId,
      host: r.host,
      port: r.port,
      coordinators: [],
    };
  },
};
