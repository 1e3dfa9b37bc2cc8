import { randomBytes } from "node:crypto";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeResponse, encodeRequest } from "../../../protocol/framing.js";
import {
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
} from "../../../protocol/generated/messages/FetchRequest.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";

/**
 * Bad input on the wire: random frames, truncated frames, oversized frames, garbage after a
 * valid header, unknown API keys and versions. Each bad connection is closed (or answered as
 * Kafka answers), and the broker keeps serving a well-behaved client on another connection.
 */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ overrides: { "socket.request.max.bytes": "1048576" } });
  await kcat(["-b", broker.bootstrap, "-P", "-t", "healthy"], "seed\n");
});

afterAll(async () => {
  await broker?.stop();
  broker?.cleanup();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: "127.0.0.1", port: broker.port }, () => resolve(s));
    s.on("error", reject);
  });
}

/** Write bytes; resolve with everything received until the broker closes (or the timeout). */
function sendAndCollect(bytes: Buffer[], waitMs = 3000): Promise<{ data: Buffer; closed: boolean }> {
  return open().then(
    (s) =>
      new Promise((resolve) => {
        const chunks: Buffer[] = [];
        s.on("data", (d: Buffer) => chunks.push(d));
        s.on("error", () => undefined);
        const timer = setTimeout(() => {
          s.destroy();
          resolve({ data: Buffer.concat(chunks), closed: false });
        }, waitMs);
        s.on("close", () => {
          clearTimeout(timer);
          resolve({ data: Buffer.concat(chunks), closed: true });
        });
        for (const b of bytes) s.write(b);
      }),
  );
}

function frame(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length);
  return Buffer.concat([len, body]);
}

async function healthy(): Promise<void> {
  const out = await kcat([
    "-b",
    broker.bootstrap,
    "-C",
    "-t",
    "healthy",
    "-o",
    "beginning",
    "-e",
    "-q",
    "-f",
    "%s\\n",
  ]);
  expect(out).toBe("seed\n");
  expect(broker.child.exitCode).toBeNull();
}

describe("bad input on the wire", () => {
  it("closes a connection that sends random frames", async () => {
    for (let i = 0; i < 20; i++) {
      const r = await sendAndCollect([frame(randomBytes(8 + Math.floor(Math.random() * 200)))], 2000);
      // Random bytes are an unknown API, a bad version or undecodable: never a crash.
      expect(r.closed || r.data.length > 0).toBe(true);
    }
    await healthy();
  });

  it("closes a connection announcing an oversized frame without reading it", async () => {
    const len = Buffer.alloc(4);
    len.writeInt32BE(200 * 1024 * 1024);
    const r = await sendAndCollect([len, randomBytes(1000)]);
    expect(r.closed).toBe(true);
    expect(r.data.length).toBe(0);
    await healthy();
  });

  it("closes a connection with a negative frame size", async () => {
    const r = await sendAndCollect([Buffer.from([0xff, 0xff, 0xff, 0xf0]), randomBytes(64)]);
    expect(r.closed).toBe(true);
    await healthy();
  });

  it("survives a truncated frame followed by a disconnect", async () => {
    const s = await open();
    const len = Buffer.alloc(4);
    len.writeInt32BE(1000);
    s.write(Buffer.concat([len, randomBytes(100)]));
    await new Promise((r) => setTimeout(r, 100));
    s.destroy();
    await healthy();
  });

  it("closes a connection that sends garbage after a valid Metadata header", async () => {
    const valid = encodeRequest(3, 9, 7, "bad-client", {
      topics: null,
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    // Keep the header (size, key, version, correlation id, client id, tagged fields) and replace the body.
    const headerLen = 4 + 2 + 2 + 4 + 2 + "bad-client".length + 1;
    const body = Buffer.concat([
      valid.subarray(4, headerLen),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x7f, 0x01]),
    ]);
    const r = await sendAndCollect([frame(body)]);
    expect(r.closed).toBe(true);
    await healthy();
  });

  it("closes a connection using an unknown API key", async () => {
    const body = Buffer.alloc(12);
    body.writeInt16BE(999, 0);
    body.writeInt16BE(0, 2);
    body.writeInt32BE(1, 4);
    body.writeInt16BE(-1, 8);
    const r = await sendAndCollect([frame(body)]);
    expect(r.closed).toBe(true);
    await healthy();
  });

  it("answers ApiVersions at an unsupported version with v0 and UNSUPPORTED_VERSION", async () => {
    const body = Buffer.alloc(10);
    body.writeInt16BE(18, 0);
    body.writeInt16BE(99, 2);
    body.writeInt32BE(42, 4);
    body.writeInt16BE(-1, 8);
    const r = await sendAndCollect([frame(body)], 1500);
    const size = r.data.readInt32BE(0);
    const resp = decodeResponse(18, 0, r.data.subarray(4, 4 + size));
    expect(resp.correlationId).toBe(42);
    expect(resp.body.errorCode).toBe(35);
    expect(resp.body.apiKeys.map((k) => k.apiKey)).toEqual(expect.arrayContaining([0, 1, 2, 3, 18]));
  });

  it("survives valid requests with random bytes changed (reaching the handlers)", async () => {
    await kcat(["-b", broker.bootstrap, "-P", "-t", "fuzz"], "x\n");
    const batch = await buildBatch({ records: [{ key: Buffer.from("k"), value: Buffer.from("v") }] });
    const seeds = [
      ...[3, 9, 11].map((v) =>
        encodeRequest(0, v, 1, "fz", {
          transactionalId: null,
          acks: 1,
          timeoutMs: 100,
          topicData: [{ name: "fuzz", partitionData: [{ index: 0, records: batch }] }],
        }),
      ),
      ...[4, 12, 16].map((v) =>
        encodeRequest(1, v, 2, "fz", {
          ...defaultFetchRequest(),
          maxWaitMs: 10,
          maxBytes: 100000,
          sessionEpoch: v >= 7 ? 0 : -1,
          topics: [
            {
              topic: "fuzz",
              topicId: "AAAAAAAAAAAAAAAAAAAAAA",
              partitions: [{ ...defaultFetchRequestFetchPartition(), partitionMaxBytes: 1000 }],
            },
          ],
        }),
      ),
      ...[1, 9].map((v) =>
        encodeRequest(2, v, 3, "fz", {
          replicaId: -1,
          isolationLevel: 0,
          timeoutMs: 0,
          topics: [
            {
              name: "fuzz",
              partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
            },
          ],
        }),
      ),
    ];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 15; round++) {
      await Promise.all(
        Array.from({ length: 20 }, () => {
          const f = Buffer.from(seeds[rand(seeds.length)]!);
          for (let i = 1 + rand(3); i > 0; i--) f[4 + rand(f.length - 4)] = rand(256);
          return sendAndCollect([f], 300);
        }),
      );
    }
    expect(broker.output()).not.toContain("request handler failed");
    await healthy();
  });

  it("keeps serving a pipelining client while others misbehave", async () => {
    const good = await open();
    const received: Buffer[] = [];
    good.on("data", (d: Buffer) => received.push(d));
    const reqs = Array.from({ length: 5 }, (_, i) =>
      encodeRequest(18, 3, 100 + i, "good", { clientSoftwareName: "test", clientSoftwareVersion: "1.0" }),
    );
    const bad = Array.from({ length: 10 }, () => sendAndCollect([frame(randomBytes(50))], 1000));
    good.write(Buffer.concat(reqs));
    await Promise.all(bad);
    await new Promise((r) => setTimeout(r, 300));
    const all = Buffer.concat(received);
    const ids: number[] = [];
    for (let at = 0; at + 4 <= all.length; ) {
      const size = all.readInt32BE(at);
      ids.push(decodeResponse(18, 3, all.subarray(at + 4, at + 4 + size)).correlationId);
      at += 4 + size;
    }
    expect(ids).toEqual([100, 101, 102, 103, 104]);
    good.destroy();
    await healthy();
  });
});
