/**
 * Whole request/response frames: header version selection (as Kafka does it), header + body
 * encode/decode, and the 4-byte size prefix on the way out. Incoming frames are passed without
 * their size prefix (the network layer splits the stream).
 */
import { apiInfo, isFlexibleVersion } from "./generated/api-keys.js";
import {
  type AnyRequest,
  type AnyResponse,
  type ApiKeyNumber,
  type RequestByKey,
  type ResponseByKey,
  readRequestBody,
  readResponseBody,
  writeRequestBody,
  writeResponseBody,
} from "./generated/dispatch.js";
import {
  type RequestHeader,
  readRequestHeader,
  writeRequestHeader,
} from "./generated/messages/RequestHeader.js";
import { readResponseHeader, writeResponseHeader } from "./generated/messages/ResponseHeader.js";
import { Reader } from "./primitives/reader.js";
import { Writer } from "./primitives/writer.js";

const API_VERSIONS = 18;
const CONTROLLED_SHUTDOWN = 7;

/** Request header version for an API version: v2 when flexible, v0 only for ControlledShutdown v0. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 | 2 {
  if (isFlexibleVersion(apiKey, apiVersion)) return 2;
  if (apiKey === CONTROLLED_SHUTDOWN && apiVersion === 0) return 0;
  return 1;
}

/**
 * Response header version: v1 when flexible, except ApiVersions which always answers with v0 so a
 * client that does not yet know the broker's versions can parse it (KIP-511).
 */
export function responseHeaderVersion(apiKey: number, apiVersion: number): 0 | 1 {
  if (apiKey === API_VERSIONS) return 0;
  return isFlexibleVersion(apiKey, apiVersion) ? 1 : 0;
}

/**
 * A request the codec cannot decode because its API key is unknown or its version is outside the
 * spec's range. Carries the header fields that could be read, so the broker can answer the way
 * Kafka does (ApiVersions: a v0 response with UNSUPPORTED_VERSION; otherwise close the connection).
 */
export class UnsupportedRequestError extends Error {
  override name = "UnsupportedRequestError";
  constructor(
    readonly reason: "api-key" | "version",
    readonly apiKey: number,
    readonly apiVersion: number,
    readonly correlationId: number,
    readonly clientId: string | null,
  ) {
    super(`unsupported ${reason === "api-key" ? "api key" : "version"}: api key ${apiKey} v${apiVersion}`);
  }
}

export interface DecodedRequest<K extends ApiKeyNumber = ApiKeyNumber> {
  apiKey: K;
  apiVersion: number;
  header: RequestHeader;
  body: RequestByKey[K];
}

/** Union over all API keys: `switch (req.apiKey)` narrows `req.body` to that API's request. */
export type AnyDecodedRequest = { [K in ApiKeyNumber]: DecodedRequest<K> }[ApiKeyNumber];

function inRange(apiKey: number, apiVersion: number): boolean {
  const info = apiInfo(apiKey);
  return (
    info !== undefined && apiVersion >= info.requestVersions.min && apiVersion <= info.requestVersions.max
  );
}

/** Reads only the api key, version and correlation id (present in every header version). */
export function peekRequestHeader(frame: Buffer): {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
} {
  const r = new Reader(frame);
  return { apiKey: r.int16(), apiVersion: r.int16(), correlationId: r.int32() };
}

/**
 * Decodes a request frame (without the size prefix). Throws UnsupportedRequestError for unknown
 * keys/versions and ProtocolDecodeError for malformed bytes.
 */
export function decodeRequest(frame: Buffer): AnyDecodedRequest {
  const r = new Reader(frame);
  const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
  const apiVersion = frame.length >= 4 ? frame.readInt16BE(2) : -1;
  if (apiInfo(apiKey) === undefined) {
    // Unknown key: read what a v1 header would hold, for the log line and the error.
    const h = readRequestHeader(r, 1);
    throw new UnsupportedRequestError("api-key", apiKey, apiVersion, h.correlationId, h.clientId);
  }
  // Header version follows flexibleVersions, which are open-ended: a too-new ApiVersions request
  // still gets its v2 header parsed, as Kafka does before answering UNSUPPORTED_VERSION.
  const header = readRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
  if (!inRange(apiKey, apiVersion)) {
    throw new UnsupportedRequestError("version", apiKey, apiVersion, header.correlationId, header.clientId);
  }
  const body = readRequestBody(apiKey, apiVersion, r);
  return { apiKey, apiVersion, header, body } as AnyDecodedRequest;
}

function sized(w: Writer): Buffer {
  const out = w.finish();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/**
 * Output size estimate for the two hot APIs, so the writer allocates once instead of doubling
 * its way up to a large Produce request or Fetch response; everything else starts small.
 */
function recordsSize(apiKey: number, body: AnyRequest | AnyResponse, request: boolean): number {
  let n = 256;
  if (request && apiKey === 0) {
    for (const t of (body as RequestByKey[0]).topicData) {
      for (const p of t.partitionData) n += 64 + (p.records?.length ?? 0);
    }
  } else if (!request && apiKey === 1) {
    for (const t of (body as ResponseByKey[1]).responses) {
      for (const p of t.partitions) n += 128 + (p.records?.length ?? 0);
    }
  }
  return n;
}

/** Encodes a response frame including its 4-byte size prefix. */
export function encodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseByKey[K],
  sizeHint = recordsSize(apiKey, body, false),
): Buffer {
  if (!inRange(apiKey, apiVersion)) {
    throw new UnsupportedRequestError(
      apiInfo(apiKey) ? "version" : "api-key",
      apiKey,
      apiVersion,
      correlationId,
      null,
    );
  }
  const w = new Writer(sizeHint + 16);
  w.int32(0);
  writeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId });
  writeResponseBody(apiKey, apiVersion, w, body);
  return sized(w);
}

/** Client side: encodes a request frame including its 4-byte size prefix. */
export function encodeRequest<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: RequestByKey[K],
  sizeHint = recordsSize(apiKey, body, true),
): Buffer {
  if (!inRange(apiKey, apiVersion)) {
    throw new UnsupportedRequestError(
      apiInfo(apiKey) ? "version" : "api-key",
      apiKey,
      apiVersion,
      correlationId,
      clientId,
    );
  }
  const w = new Writer(sizeHint + 16);
  w.int32(0);
  const hv = requestHeaderVersion(apiKey, apiVersion);
  writeRequestHeader(w, hv, {
    requestApiKey: apiKey,
    requestApiVersion: apiVersion,
    correlationId,
    clientId: hv === 0 ? "" : clientId,
  });
  writeRequestBody(apiKey, apiVersion, w, body);
  return sized(w);
}

/** Reads the correlation id of a response frame (without size prefix), to match it to a request. */
export function peekCorrelationId(frame: Buffer): number {
  return new Reader(frame).int32();
}

/** Client side: decodes a response frame (without the size prefix) for the request it answers. */
export function decodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: ResponseByKey[K] } {
  const r = new Reader(frame);
  const { correlationId } = readResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  return { correlationId, body: readResponseBody(apiKey, apiVersion, r) };
}

export type { AnyRequest, AnyResponse, ApiKeyNumber, RequestByKey, ResponseByKey };
