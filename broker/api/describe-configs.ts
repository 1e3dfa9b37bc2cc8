import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import type { DescribeConfigsRequestDescribeConfigsResource } from "../../protocol/generated/messages/DescribeConfigsRequest.js";
import type {
  DescribeConfigsResponse,
  DescribeConfigsResponseDescribeConfigsResult,
} from "../../protocol/generated/messages/DescribeConfigsResponse.js";
import { configTypeId } from "../config/catalog.js";
import { type DescribedConfig, describeBrokerConfigs, describeTopicConfigs } from "../config/describe.js";
import { validateTopicName } from "../metadata/topic-rules.js";
import { apiError, checkBrokerResource, layersOf, ResourceType } from "./admin-common.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * DescribeConfigs for topics and brokers (this node, or "" for the cluster-wide dynamic defaults).
 * Each config carries its value, source, read-only flag and, on request, the synonym chain and
 * documentation. Errors are per resource.
 */
function describeResource(
  r: DescribeConfigsRequestDescribeConfigsResource,
  broker: BrokerServices,
): DescribedConfig[] {
  const opts = { keys: r.configurationKeys };
  const layers = layersOf(broker);
  switch (r.resourceType) {
    case ResourceType.TOPIC: {
      validateTopicName(r.resourceName);
      const t = broker.controller.image.topic(r.resourceName);
      if (!t)
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `Topic '${r.resourceName}' does not exist`,
        );
      return describeTopicConfigs(layers, t.configs, opts);
    }
    case ResourceType.BROKER:
      checkBrokerResource(r.resourceName, broker.nodeId);
      return describeBrokerConfigs(layers, r.resourceName !== "", opts);
    default:
      throw KafkaError.of("INVALID_REQUEST", `Unsupported resource type: ${r.resourceType}`);
  }
}

export const describeConfigsHandler: ApiHandler<32> = {
  apiKey: 32,
  handle(req, ctx, broker): DescribeConfigsResponse {
    const v = ctx.apiVersion;
    const results: DescribeConfigsResponseDescribeConfigsResult[] = req.resources.map((r) => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      try {
        const configs = describeResource(r, broker).map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          isDefault: v === 0 && c.isDefault,
          configSource: c.source,
          isSensitive: c.isSensitive,
          synonyms: v >= 1 && req.includeSynonyms ? c.synonyms : [],
          configType: configTypeId(c.type),
          documentation: v >= 3 && req.includeDocumentation ? c.doc : null,
        }));
        return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs };
      } catch (err) {
        const e = apiError(err, broker, "describe configs");
        return { ...base, errorCode: e.code, errorMessage: e.message, configs: [] };
      }
    });
    return { throttleTimeMs: 0, results };
  },
};
