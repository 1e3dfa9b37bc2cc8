import type { SyncGroupResponse } from "../../protocol/generated/messages/SyncGroupResponse.js";
import type { ApiHandler } from "./context.js";

/** SyncGroup: the leader hands in assignments, every member gets its own (never null). */
export const syncGroupHandler: ApiHandler<14> = {
  apiKey: 14,
  async handle(req, ctx, broker): Promise<SyncGroupResponse> {
    const v = ctx.apiVersion;
    const r = await broker.groups.coordinator.syncGroup({
      apiVersion: v,
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      protocolType: r.protocolType,
      protocolName: r.protocolName,
      assignment: r.assignment ?? Buffer.alloc(0),
    };
  },
};
