import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import type {
  AlterConfigsResponse,
  AlterConfigsResponseAlterConfigsResourceResponse,
} from "../../protocol/generated/messages/AlterConfigsResponse.js";
import { apiError } from "./admin-common.js";
import { applyConfigChanges, duplicateResources, resourceKey } from "./config-changes.js";
import type { ApiHandler } from "./context.js";

/**
 * AlterConfigs (the legacy API): the listed configs become the resource's complete set of
 * overrides; every override not listed is removed. validate_only checks without changing.
 */
export const alterConfigsHandler: ApiHandler<33> = {
  apiKey: 33,
  async handle(req, _ctx, broker): Promise<AlterConfigsResponse> {
    const dups = duplicateResources(req.resources);
    const responses: AlterConfigsResponseAlterConfigsResourceResponse[] = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      try {
        if (dups.has(resourceKey(r))) throw KafkaError.of("INVALID_REQUEST", "Duplicate resource in request");
        const changes = new Map<string, string | null>();
        for (const c of r.configs) {
          if (c.value === null)
            throw KafkaError.of("INVALID_REQUEST", `Null value not supported for: ${c.name}`);
          if (changes.has(c.name)) throw KafkaError.of("INVALID_REQUEST", `Duplicate config key: ${c.name}`);
          changes.set(c.name, c.value);
        }
        await applyConfigChanges(broker, r.resourceType, r.resourceName, changes, {
          replace: true,
          validateOnly: req.validateOnly,
        });
        responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        const e = apiError(err, broker, "alter configs");
        responses.push({ ...base, errorCode: e.code, errorMessage: e.message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
