import { ErrorCode } from "../../protocol/errors/index.js";
import type { LeaveGroupResponse } from "../../protocol/generated/messages/LeaveGroupResponse.js";
import type { ApiHandler } from "./context.js";

/**
 * LeaveGroup: v0-2 name one member (memberId); v3+ a batch of members, static ones by instance
 * id (KIP-345). Old versions have no per-member results, so the member's error goes on top.
 */
export const leaveGroupHandler: ApiHandler<13> = {
  apiKey: 13,
  async handle(req, ctx, broker): Promise<LeaveGroupResponse> {
    const batched = ctx.apiVersion >= 3;
    const members = batched
      ? req.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          reason: ctx.apiVersion >= 5 ? m.reason : null,
        }))
      : [{ memberId: req.memberId, groupInstanceId: null }];
    const r = await broker.groups.coordinator.leaveGroup({ groupId: req.groupId, members });
    if (batched) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    const errorCode =
      r.errorCode !== ErrorCode.NONE ? r.errorCode : (r.members[0]?.errorCode ?? ErrorCode.NONE);
    return { throttleTimeMs: 0, errorCode, members: [] };
  },
};
