import { ErrorCode } from "../../protocol/errors/index.js";
import type { ApiVersionsResponse } from "../../protocol/generated/messages/ApiVersionsResponse.js";
import type { ApiHandler } from "./context.js";
import { supportedApis } from "./registry.js";

/**
 * ApiVersions: the advertised table. A request at an unsupported version never reaches here;
 * the processor answers it with a v0 body carrying UNSUPPORTED_VERSION and this same list.
 */
export function apiVersionsBody(errorCode: number): ApiVersionsResponse {
  return {
    errorCode,
    apiKeys: supportedApis(),
    throttleTimeMs: 0,
    supportedFeatures: [],
    finalizedFeaturesEpoch: -1n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  };
}

const CLIENT_SOFTWARE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

export const apiVersionsHandler: ApiHandler<18> = {
  apiKey: 18,
  handle(req, ctx) {
    // v3+ clients name themselves; Kafka rejects names outside its pattern with INVALID_REQUEST.
    if (
      ctx.apiVersion >= 3 &&
      (!CLIENT_SOFTWARE.test(req.clientSoftwareName) || !CLIENT_SOFTWARE.test(req.clientSoftwareVersion))
    ) {
      return apiVersionsBody(ErrorCode.INVALID_REQUEST);
    }
    return apiVersionsBody(ErrorCode.NONE);
  },
};
