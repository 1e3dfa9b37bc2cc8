/**
 * A tiny Kafka-speaking TCP server for interop tests of the codec: it answers ApiVersions,
 * Metadata (itself as the only broker, leader of every requested topic), InitProducerId and
 * Produce (success with offsets) using the generated codec and framing, and records every decoded
 * request so a test can assert what a real client sent. Anything else closes the connection.
 */
import { createServer, type Server, type Socket } from "node:net";
import {
  type AnyDecodedRequest,
  decodeRequest,
  encodeResponse,
  UnsupportedRequestError,
} from "../../protocol/framing.js";
import { API_KEYS, ApiKey } from "../../protocol/generated/api-keys.js";
import type { ApiVersionsResponseApiVersion } from "../../protocol/generated/messages/ApiVersionsResponse.js";
import type { MetadataResponseMetadataResponseTopic } from "../../protocol/generated/messages/MetadataResponse.js";
import type { ProduceResponseTopicProduceResponse } from "../../protocol/generated/messages/ProduceResponse.js";
import { batchesIn, readBatchHeader } from "../../protocol/records/index.js";

const UNSUPPORTED_VERSION = 35;
const NODE_ID = 1;

/**
 * Kafka 3.9's advertised ranges: the spec's ranges for broker listeners, minus versions that were
 * unstable at the spec commit or added after 3.9 (ListOffsets v10 is KIP-1075, Kafka 4.0).
 */
const AFTER_3_9: Record<number, number> = { [ApiKey.ListOffsets]: 9 };

export function kafka39ApiVersions(): ApiVersionsResponseApiVersion[] {
  return API_KEYS.filter((a) => a.listeners.includes("broker") && !a.name.startsWith("Share"))
    .map((a) => {
      let max = AFTER_3_9[a.apiKey] ?? a.requestVersions.max;
      if (a.latestVersionUnstable) max -= 1;
      return { apiKey: a.apiKey, minVersion: a.requestVersions.min, maxVersion: max };
    })
    .filter((a) => a.maxVersion >= a.minVersion);
}

export interface CaptureServer {
  port: number;
  /** Every request decoded so far, in arrival order. */
  requests: AnyDecodedRequest[];
  /** Requests the codec rejected (unsupported key/version), for assertions. */
  rejected: UnsupportedRequestError[];
  close(): Promise<void>;
}

export interface CaptureOptions {
  partitions?: number;
}

export async function startCaptureServer(opts: CaptureOptions = {}): Promise<CaptureServer> {
  const partitions = opts.partitions ?? 1;
  const requests: AnyDecodedRequest[] = [];
  const rejected: UnsupportedRequestError[] = [];
  const sockets = new Set<Socket>();
  const nextOffset = new Map<string, bigint>();
  const topicIds = new Map<string, string>();
  let port = 0;

  const topicId = (name: string): string => {
    let id = topicIds.get(name);
    if (id === undefined) {
      const b = Buffer.alloc(16);
      b.writeUInt32BE(topicIds.size + 1, 12);
      id = b.toString("base64url");
      topicIds.set(name, id);
    }
    return id;
  };

  const answer = (req: AnyDecodedRequest): Buffer | null => {
    const { apiVersion } = req;
    const corr = req.header.correlationId;
    switch (req.apiKey) {
      case ApiKey.ApiVersions:
        return encodeResponse(ApiKey.ApiVersions, apiVersion, corr, {
          errorCode: 0,
          apiKeys: kafka39ApiVersions(),
          throttleTimeMs: 0,
          supportedFeatures: [],
          finalizedFeaturesEpoch: -1n,
          finalizedFeatures: [],
          zkMigrationReady: false,
        });
      case ApiKey.Metadata: {
        const body = req.body;
        const names = body.topics === null ? [...topicIds.keys()] : body.topics.map((t) => t.name ?? "");
        const topics: MetadataResponseMetadataResponseTopic[] = names.map((name) => ({
          errorCode: 0,
          name,
          topicId: topicId(name),
          isInternal: false,
          partitions: Array.from({ length: partitions }, (_, i) => ({
            errorCode: 0,
            partitionIndex: i,
            leaderId: NODE_ID,
            leaderEpoch: 0,
            replicaNodes: [NODE_ID],
            isrNodes: [NODE_ID],
            offlineReplicas: [],
          })),
          topicAuthorizedOperations: -2147483648,
        }));
        return encodeResponse(ApiKey.Metadata, apiVersion, corr, {
          throttleTimeMs: 0,
          brokers: [{ nodeId: NODE_ID, host: "127.0.0.1", port, rack: null }],
          clusterId: "capture-cluster",
          controllerId: NODE_ID,
          topics,
          clusterAuthorizedOperations: -2147483648,
        });
      }
      case ApiKey.InitProducerId:
        return encodeResponse(ApiKey.InitProducerId, apiVersion, corr, {
          throttleTimeMs: 0,
          errorCode: 0,
          producerId: 4000n,
          producerEpoch: 0,
        });
      case ApiKey.Produce: {
        const body = req.body;
        const responses: ProduceResponseTopicProduceResponse[] = body.topicData.map((t) => ({
          name: t.name,
          partitionResponses: t.partitionData.map((p) => {
            const key = `${t.name}-${p.index}`;
            const base = nextOffset.get(key) ?? 0n;
            let count = 0n;
            for (const { at } of batchesIn(p.records ?? Buffer.alloc(0))) {
              count += BigInt(readBatchHeader(p.records!, at).lastOffsetDelta + 1);
            }
            nextOffset.set(key, base + count);
            return {
              index: p.index,
              errorCode: 0,
              baseOffset: base,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: -1, leaderEpoch: -1 },
            };
          }),
        }));
        if (body.acks === 0) return null;
        return encodeResponse(ApiKey.Produce, apiVersion, corr, {
          responses,
          throttleTimeMs: 0,
          nodeEndpoints: [],
        });
      }
      default:
        throw new Error(`capture server does not answer api key ${req.apiKey}`);
    }
  };

  const onFrame = (socket: Socket, frame: Buffer): void => {
    let req: AnyDecodedRequest;
    try {
      req = decodeRequest(frame);
    } catch (e) {
      if (e instanceof UnsupportedRequestError && e.apiKey === ApiKey.ApiVersions) {
        // KIP-511: answer a too-new ApiVersions with v0 and UNSUPPORTED_VERSION plus our ranges.
        rejected.push(e);
        socket.write(
          encodeResponse(ApiKey.ApiVersions, 0, e.correlationId, {
            errorCode: UNSUPPORTED_VERSION,
            apiKeys: kafka39ApiVersions(),
            throttleTimeMs: 0,
            supportedFeatures: [],
            finalizedFeaturesEpoch: -1n,
            finalizedFeatures: [],
            zkMigrationReady: false,
          }),
        );
        return;
      }
      if (e instanceof UnsupportedRequestError) rejected.push(e);
      socket.destroy();
      return;
    }
    requests.push(req);
    try {
      const out = answer(req);
      if (out) socket.write(out);
    } catch {
      socket.destroy();
    }
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    let pending: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= 4) {
        const size = pending.readInt32BE(0);
        if (pending.length < 4 + size) break;
        // Copy: recorded requests keep views into the frame after this buffer is gone.
        const frame = Buffer.from(pending.subarray(4, 4 + size));
        pending = pending.subarray(4 + size);
        onFrame(socket, frame);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("capture server has no port");
  port = addr.port;

  return {
    port,
    requests,
    rejected,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
