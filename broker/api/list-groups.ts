import type { ListGroupsResponse } from "../../protocol/generated/messages/ListGroupsResponse.js";
import type { ApiHandler } from "./context.js";

/** ListGroups: every group this broker coordinates; v4 filters by state, v5 by type. */
export const listGroupsHandler: ApiHandler<16> = {
  apiKey: 16,
  async handle(req, ctx, broker): Promise<ListGroupsResponse> {
    const v = ctx.apiVersion;
    const r = await broker.groups.coordinator.listGroups({
      statesFilter: v >= 4 ? req.statesFilter : [],
      typesFilter: v >= 5 ? req.typesFilter : [],
    });
    return {
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      groups: r.groups.map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType,
        groupState: g.groupState,
        groupType: g.groupType,
      })),
    };
  },
};
