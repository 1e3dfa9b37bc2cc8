import { ErrorCode } from "../../protocol/errors/index.js";
import type { DescribeClusterResponse } from "../../protocol/generated/messages/DescribeClusterResponse.js";
import type { ApiHandler } from "./context.js";
import { AUTHORIZED_OPERATIONS_OMITTED } from "./metadata.js";

/** Every cluster operation bit (ALTER .. IDEMPOTENT_WRITE); no ACLs yet, so all are allowed. */
const ALL_CLUSTER_OPERATIONS = 0b0001_1111_1111_1000;
const BROKERS = 1;
const CONTROLLERS = 2;

/**
 * DescribeCluster: cluster id, controller id and the brokers as advertised on the listener the
 * request came in on (the same view Metadata gives). Brokers answer only endpoint type 1.
 */
export const describeClusterHandler: ApiHandler<60> = {
  apiKey: 60,
  handle(req, ctx, broker): DescribeClusterResponse {
    const endpointType = ctx.apiVersion >= 1 ? req.endpointType : BROKERS;
    const base: DescribeClusterResponse = {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType,
      clusterId: broker.clusterId,
      controllerId: broker.nodeId,
      brokers: [],
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
    };
    if (endpointType !== BROKERS) {
      const mismatched = endpointType === CONTROLLERS;
      return {
        ...base,
        controllerId: -1,
        errorCode: mismatched ? ErrorCode.MISMATCHED_ENDPOINT_TYPE : ErrorCode.UNSUPPORTED_ENDPOINT_TYPE,
        errorMessage: mismatched
          ? "The request was sent to a broker endpoint, but it asked for controllers."
          : `Unsupported endpoint type ${endpointType}`,
      };
    }
    return {
      ...base,
      brokers: broker.advertisedBrokers(ctx.conn.listener).map((b) => ({
        brokerId: b.nodeId,
        host: b.host,
        port: b.port,
        rack: b.rack,
      })),
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations
        ? ALL_CLUSTER_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
};
