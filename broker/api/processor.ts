import { ErrorCode } from "../../protocol/errors/index.js";
import {
  decodeRequest,
  encodeResponse,
  peekRequestHeader,
  UnsupportedRequestError,
} from "../../protocol/framing.js";
import { apiInfo } from "../../protocol/generated/api-keys.js";
import type { ApiKeyNumber } from "../../protocol/generated/dispatch.js";
import { ProtocolDecodeError } from "../../protocol/primitives/reader.js";
import {
  CloseConnectionError,
  type ConnectionInfo,
  type RequestProcessor,
  type ResponseChunks,
} from "../network/connection.js";
import { apiVersionsBody } from "./api-versions.js";
import type { BrokerServices, RequestContext } from "./context.js";
import { handlerFor, isSupported } from "./dispatch.js";

const API_VERSIONS = 18;

/**
 * Frame in, frame out: decode the header and body, route through the dispatch table, encode the
 * response. Kafka's answers to bad input: an ApiVersions request at a version we do not serve gets
 * a v0 response with UNSUPPORTED_VERSION and the full list (KIP-511); any other unknown API or
 * version, or bytes that do not decode, close the connection (CloseConnectionError) with a log line.
 */
export class ApiProcessor implements RequestProcessor {
  constructor(private readonly broker: BrokerServices) {}

  async process(frame: Buffer, conn: ConnectionInfo): Promise<ResponseChunks> {
    const started = performance.now();
    let decoded: ReturnType<typeof decodeRequest>;
    try {
      decoded = decodeRequest(frame);
    } catch (err) {
      return this.undecodable(frame, err);
    }
    const { apiKey, apiVersion, header } = decoded;
    if (!isSupported(apiKey, apiVersion)) {
      if (apiKey === API_VERSIONS) return unsupportedApiVersions(header.correlationId);
      throw new CloseConnectionError(
        `unsupported request ${apiName(apiKey)} v${apiVersion} (correlation id ${header.correlationId}, client ${header.clientId})`,
      );
    }
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId: header.correlationId,
      clientId: header.clientId,
      conn,
      receivedAtMs: this.broker.now(),
    };
    const name = apiName(apiKey);
    this.broker.metrics.requests.inc({ request: name, version: String(apiVersion) });
    const handler = handlerFor(apiKey)!;
    let body: Awaited<ReturnType<typeof handler.handle>>;
    try {
      body = await handler.handle(decoded.body, ctx, this.broker);
    } catch (err) {
      if (err instanceof CloseConnectionError) throw err;
      this.broker.log.error({ err, api: name, version: apiVersion, conn: conn.id }, "request handler failed");
      throw new CloseConnectionError(`${name} handler failed: ${(err as Error).message}`);
    }
    this.broker.metrics.totalTime.observe({ request: name }, performance.now() - started);
    if (body === null) return null;
    const hint = handler.sizeHint ? handler.sizeHint(body as never) : 256;
    const out = encodeResponse(apiKey as ApiKeyNumber, apiVersion, header.correlationId, body as never, hint);
    return [out.subarray(4)];
  }

  private undecodable(frame: Buffer, err: unknown): ResponseChunks {
    if (err instanceof UnsupportedRequestError) {
      if (err.apiKey === API_VERSIONS) return unsupportedApiVersions(err.correlationId);
      throw new CloseConnectionError(
        `unsupported request ${apiName(err.apiKey)} v${err.apiVersion} (client ${err.clientId})`,
      );
    }
    if (err instanceof ProtocolDecodeError || err instanceof RangeError) {
      let what = "unreadable header";
      try {
        const h = peekRequestHeader(frame);
        // A newer ApiVersions whose body we cannot parse still gets the KIP-511 answer.
        if (h.apiKey === API_VERSIONS && h.apiVersion > 4) return unsupportedApiVersions(h.correlationId);
        what = `${apiName(h.apiKey)} v${h.apiVersion} correlation id ${h.correlationId}`;
      } catch {
        // header too short: keep the generic description
      }
      throw new CloseConnectionError(
        `malformed request (${what}, ${frame.length} bytes): ${(err as Error).message}`,
      );
    }
    throw err;
  }
}

function unsupportedApiVersions(correlationId: number): ResponseChunks {
  const out = encodeResponse(API_VERSIONS, 0, correlationId, apiVersionsBody(ErrorCode.UNSUPPORTED_VERSION));
  return [out.subarray(4)];
}

export function apiName(apiKey: number): string {
  return apiInfo(apiKey)?.name ?? `ApiKey${apiKey}`;
}
