import type { HeartbeatResponse } from "../../protocol/generated/messages/HeartbeatResponse.js";
import type { ApiHandler } from "./context.js";

/** Heartbeat: keeps a member's session alive and tells it when to rejoin. */
export const heartbeatHandler: ApiHandler<12> = {
  apiKey: 12,
  async handle(req, ctx, broker): Promise<HeartbeatResponse> {
    const errorCode = await broker.groups.coordinator.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
};
