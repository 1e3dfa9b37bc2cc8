import type { DeleteGroupsResponse } from "../../protocol/generated/messages/DeleteGroupsResponse.js";
import type { ApiHandler } from "./context.js";

/** DeleteGroups: deletes empty groups and their offsets; NON_EMPTY_GROUP while members remain. */
export const deleteGroupsHandler: ApiHandler<42> = {
  apiKey: 42,
  async handle(req, _ctx, broker): Promise<DeleteGroupsResponse> {
    const results = await broker.groups.coordinator.deleteGroups(req.groupsNames);
    return { throttleTimeMs: 0, results };
  },
};
