import { ErrorCode } from "../../protocol/errors/index.js";
import type {
  CreatePartitionsResponse,
  CreatePartitionsResponseCreatePartitionsTopicResult,
} from "../../protocol/generated/messages/CreatePartitionsResponse.js";
import { apiError } from "./admin-common.js";
import type { ApiHandler } from "./context.js";

/**
 * CreatePartitions: grow a topic to `count` partitions (never shrink: INVALID_PARTITIONS), with
 * optional replica assignments for the new partitions. validate_only checks without changing.
 */
export const createPartitionsHandler: ApiHandler<37> = {
  apiKey: 37,
  async handle(req, _ctx, broker): Promise<CreatePartitionsResponse> {
    const counts = new Map<string, number>();
    for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
    const results: CreatePartitionsResponseCreatePartitionsTopicResult[] = [];
    for (const t of req.topics) {
      if (counts.get(t.name)! > 1) {
        results.push({
          name: t.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: "Duplicate topic in request.",
        });
        continue;
      }
      try {
        const assignments = t.assignments?.map((a) => [...a.brokerIds]);
        await broker.controller.createPartitions(t.name, t.count, assignments, req.validateOnly);
        if (!req.validateOnly) broker.log.info({ topic: t.name, partitions: t.count }, "added partitions");
        results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        const e = apiError(err, broker, "create partitions");
        results.push({ name: t.name, errorCode: e.code, errorMessage: e.message });
      }
    }
    return { throttleTimeMs: 0, results };
  },
};
