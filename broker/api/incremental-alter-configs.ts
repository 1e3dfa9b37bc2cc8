import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import type {
  IncrementalAlterConfigsResponse,
  IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
} from "../../protocol/generated/messages/IncrementalAlterConfigsResponse.js";
import { incrementalChanges } from "../config/alter.js";
import { apiError, ResourceType } from "./admin-common.js";
import { applyConfigChanges, currentConfigs, duplicateResources, resourceKey } from "./config-changes.js";
import type { ApiHandler } from "./context.js";

/**
 * IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT (list configs) on topic overrides and
 * on dynamic broker configs; keys not mentioned keep their values. Broker changes take effect
 * through the metadata log like every other config change.
 */
export const incrementalAlterConfigsHandler: ApiHandler<44> = {
  apiKey: 44,
  async handle(req, _ctx, broker): Promise<IncrementalAlterConfigsResponse> {
    const dups = duplicateResources(req.resources);
    const responses: IncrementalAlterConfigsResponseAlterConfigsResourceResponse[] = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      try {
        if (dups.has(resourceKey(r))) throw KafkaError.of("INVALID_REQUEST", "Duplicate resource in request");
        const current = currentConfigs(broker, r.resourceType, r.resourceName);
        const changes = incrementalChanges(
          current,
          r.configs.map((c) => ({ name: c.name, op: c.configOperation, value: c.value })),
          r.resourceType === ResourceType.TOPIC,
        );
        await applyConfigChanges(broker, r.resourceType, r.resourceName, changes, {
          replace: false,
          validateOnly: req.validateOnly,
        });
        responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        const e = apiError(err, broker, "incremental alter configs");
        responses.push({ ...base, errorCode: e.code, errorMessage: e.message });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
};
