/**
 * The baseline for bench/broker.ts: the least a TCP server must do to take the same Kafka frames
 * from the same client. It answers ApiVersions/Metadata/ListOffsets, appends each produced
 * partition's record bytes to one file (patching base offsets so the file is a readable log) and
 * serves Fetch by reading whole batches back from that file. No validation, no indexes on disk,
 * no metadata log, no metrics: the gap to Gregor is the broker's own cost.
 *
 *   tsx bench/broker-baseline.ts PORT DIR      prints "listening PORT" when ready
 */
import { closeSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { FrameReader } from "../broker/network/frame-reader.js";
import { decodeRequest, encodeResponse } from "../protocol/framing.js";
import type { FetchResponsePartitionData } from "../protocol/generated/messages/FetchResponse.js";
import { BATCH } from "../protocol/records/header.js";

const port = Number(process.argv[2] ?? 0);
const dir = process.argv[3] ?? "/tmp/gregor-baseline";
mkdirSync(dir, { recursive: true });

/** One file per topic (the bench uses one partition per topic), with an in-memory batch index. */
interface TopicLog {
  fd: number;
  size: number;
  next: bigint;
  bases: bigint[];
  positions: number[];
}
const logs = new Map<string, TopicLog>();

function logOf(topic: string): TopicLog {
  let l = logs.get(topic);
  if (!l) {
    l = { fd: openSync(join(dir, `${topic}.log`), "w+"), size: 0, next: 0n, bases: [], positions: [] };
    logs.set(topic, l);
  }
  return l;
}

const API_RANGES: [number, number, number][] = [
  [0, 0, 11],
  [1, 0, 17],
  [2, 0, 9],
  [3, 0, 12],
  [18, 0, 4],
];
const topics = new Set<string>();

function append(l: TopicLog, records: Buffer): bigint {
  const first = l.next;
  for (let at = 0; at + BATCH.HEADER_SIZE <= records.length; ) {
    const len = records.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
    records.writeBigInt64BE(l.next, at);
    l.bases.push(l.next);
    l.positions.push(l.size + at);
    l.next += BigInt(records.readInt32BE(at + BATCH.LAST_OFFSET_DELTA) + 1);
    at += len;
  }
  writeSync(l.fd, records, 0, records.length, l.size);
  l.size += records.length;
  return first;
}

function read(l: TopicLog, offset: bigint, max: number): Buffer {
  const { bases, positions } = l;
  let lo = 0;
  let hi = bases.length - 1;
  let idx = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (bases[mid]! <= offset) {
      idx = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (idx < 0 || offset >= l.next) return Buffer.alloc(0);
  const start = positions[idx]!;
  let end = start;
  for (let i = idx; i < bases.length; i++) {
    const stop = i + 1 < bases.length ? positions[i + 1]! : l.size;
    if (end > start && stop - start > max) break;
    end = stop;
  }
  const buf = Buffer.allocUnsafe(end - start);
  readSync(l.fd, buf, 0, buf.length, start);
  return buf;
}

function handle(frame: Buffer, localPort: number): Buffer | null {
  const req = decodeRequest(frame);
  const { apiKey: key, apiVersion: v } = req;
  const cid = req.header.correlationId;
  const b = req.body as never as Record<string, unknown>;
  switch (key) {
    case 18:
      return encodeResponse(18, v, cid, {
        errorCode: 0,
        apiKeys: API_RANGES.map(([apiKey, minVersion, maxVersion]) => ({ apiKey, minVersion, maxVersion })),
        throttleTimeMs: 0,
        supportedFeatures: [],
        finalizedFeaturesEpoch: -1n,
        finalizedFeatures: [],
        zkMigrationReady: false,
      });
    case 3: {
      const wanted = (b.topics as { name: string }[] | null)?.map((t) => t.name) ?? [...topics];
      for (const t of wanted) topics.add(t);
      return encodeResponse(3, v, cid, {
        throttleTimeMs: 0,
        brokers: [{ nodeId: 1, host: "127.0.0.1", port: localPort, rack: null }],
        clusterId: "baseline",
        controllerId: 1,
        topics: wanted.map((name) => ({
          errorCode: 0,
          name,
          topicId: "AAAAAAAAAAAAAAAAAAAAAQ",
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              leaderEpoch: 0,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
          topicAuthorizedOperations: -2147483648,
        })),
        clusterAuthorizedOperations: -2147483648,
      });
    }
    case 0: {
      const body = b as {
        acks: number;
        topicData: { name: string; partitionData: { index: number; records: Buffer }[] }[];
      };
      const responses = body.topicData.map((t) => ({
        name: t.name,
        partitionResponses: t.partitionData.map((p) => ({
          index: p.index,
          errorCode: 0,
          baseOffset: append(logOf(t.name), p.records),
          logAppendTimeMs: -1n,
          logStartOffset: 0n,
          recordErrors: [],
          errorMessage: null,
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
        })),
      }));
      return body.acks === 0
        ? null
        : encodeResponse(0, v, cid, { responses, throttleTimeMs: 0, nodeEndpoints: [] });
    }
    case 2: {
      const body = b as {
        topics: { name: string; partitions: { partitionIndex: number; timestamp: bigint }[] }[];
      };
      return encodeResponse(2, v, cid, {
        throttleTimeMs: 0,
        topics: body.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            errorCode: 0,
            oldStyleOffsets: [],
            timestamp: -1n,
            offset: p.timestamp === -2n ? 0n : logOf(t.name).next,
            leaderEpoch: -1,
          })),
        })),
      });
    }
    case 1: {
      const body = b as {
        maxBytes: number;
        topics: {
          topic: string;
          topicId: string;
          partitions: { partition: number; fetchOffset: bigint; partitionMaxBytes: number }[];
        }[];
      };
      const responses = body.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map(
          (p): FetchResponsePartitionData => ({
            partitionIndex: p.partition,
            errorCode: 0,
            highWatermark: logOf(t.topic).next,
            lastStableOffset: logOf(t.topic).next,
            logStartOffset: 0n,
            divergingEpoch: { epoch: -1, endOffset: -1n },
            currentLeader: { leaderId: -1, leaderEpoch: -1 },
            snapshotId: { endOffset: -1n, epoch: -1 },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: read(logOf(t.topic), p.fetchOffset, Math.min(p.partitionMaxBytes, body.maxBytes)),
          }),
        ),
      }));
      return encodeResponse(1, v, cid, {
        throttleTimeMs: 0,
        errorCode: 0,
        sessionId: 0,
        responses,
        nodeEndpoints: [],
      });
    }
    default:
      throw new Error(`baseline does not serve api key ${key}`);
  }
}

const server = createServer({ noDelay: true }, (socket) => {
  // Same frame splitter as the broker, so both sides pay the same for framing.
  const frames = new FrameReader(100 * 1024 * 1024);
  socket.on("error", () => socket.destroy());
  socket.on("data", (d: Buffer) => {
    socket.cork();
    try {
      frames.push(d, (frame) => {
        const out = handle(frame, (socket.address() as { port: number }).port);
        if (out) socket.write(out);
      });
    } catch (err) {
      process.stderr.write(`baseline: ${(err as Error).message}\n`);
      socket.destroy();
      return;
    }
    socket.uncork();
  });
});
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  for (const l of logs.values()) closeSync(l.fd);
  process.exit(0);
});
