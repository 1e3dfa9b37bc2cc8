import type { DescribeGroupsResponse } from "../../protocol/generated/messages/DescribeGroupsResponse.js";
import type { ApiHandler } from "./context.js";

/** Kafka's "authorized operations not requested" marker. */
const OPERATIONS_OMITTED = -2147483648;
/** READ (3), DELETE (6) and DESCRIBE (8): every group operation; no ACLs yet, so all allowed. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/** DescribeGroups: state, protocol and members (with metadata and assignment while Stable). */
export const describeGroupsHandler: ApiHandler<15> = {
  apiKey: 15,
  async handle(req, ctx, broker): Promise<DescribeGroupsResponse> {
    const described = await broker.groups.coordinator.describeGroups(req.groups);
    const ops =
      ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? ALL_GROUP_OPERATIONS : OPERATIONS_OMITTED;
    return {
      throttleTimeMs: 0,
      groups: described.map((g) => ({
        errorCode: g.errorCode,
        groupId: g.groupId,
        groupState: g.groupState,
        protocolType: g.protocolType,
        protocolData: g.protocolData,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: ctx.apiVersion >= 4 ? m.groupInstanceId : null,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.memberMetadata,
          memberAssignment: m.memberAssignment,
        })),
        authorizedOperations: g.errorCode === 0 ? ops : OPERATIONS_OMITTED,
      })),
    };
  },
};
