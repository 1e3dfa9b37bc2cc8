import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
  type FetchRequest,
} from "../../../protocol/generated/messages/FetchRequest.js";
import { batchesIn, decodeBatch } from "../../../protocol/records/batch.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";
import { RawClient } from "./raw-client.js";

/**
 * Fetch semantics at the protocol level against a broker process: long polls woken by appends,
 * max_wait_ms, whole batches from an offset inside a batch, byte limits, KIP-227 incremental
 * sessions, and in-order responses behind a long poll. Data is written with kcat.
 */
let broker: BrokerProcess;
let client: RawClient;

beforeAll(async () => {
  broker = await startBroker({ overrides: { "num.partitions": "2" } });
  client = await RawClient.open(broker.port);
});

afterAll(async () => {
  client?.close();
  await broker?.stop();
  broker?.cleanup();
});

async function produce(topic: string, partition: number, values: string[]): Promise<void> {
  await kcat(
    ["-b", broker.bootstrap, "-P", "-t", topic, "-p", String(partition), "-X", "linger.ms=50"],
    values.join("\n") + "\n",
  );
}

function fetchReq(
  topic: string,
  parts: [number, bigint][],
  over: Partial<FetchRequest> = {},
  pmax = 1 << 20,
): FetchRequest {
  return {
    ...defaultFetchRequest(),
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 50 << 20,
    sessionEpoch: -1,
    topics: [
      {
        topic,
        topicId: "AAAAAAAAAAAAAAAAAAAAAA",
        partitions: parts.map(([partition, fetchOffset]) => ({
          ...defaultFetchRequestFetchPartition(),
          partition,
          fetchOffset,
          partitionMaxBytes: pmax,
        })),
      },
    ],
    ...over,
  };
}

async function values(records: Buffer | null): Promise<string[]> {
  const out: string[] = [];
  if (!records) return out;
  for (const { at } of batchesIn(records)) {
    for (const r of (await decodeBatch(records, at)).records) out.push(`${r.offset}:${r.value?.toString()}`);
  }
  return out;
}

describe("fetch", () => {
  it("long-polls until an append arrives", async () => {
    await produce("lp", 0, ["first"]);
    const started = Date.now();
    const pending = client.send(1, 11, fetchReq("lp", [[0, 1n]], { maxWaitMs: 8000, minBytes: 1 }));
    await new Promise((r) => setTimeout(r, 300));
    await produce("lp", 0, ["second"]);
    const res = await pending;
    const elapsed = Date.now() - started;
    expect(await values(res.responses[0]!.partitions[0]!.records)).toEqual(["1:second"]);
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5000);
  });

  it("waits for min_bytes across several appends", async () => {
    await produce("minb", 0, ["start"]);
    const started = Date.now();
    const pending = client.send(1, 11, fetchReq("minb", [[0, 1n]], { maxWaitMs: 8000, minBytes: 3000 }));
    await new Promise((r) => setTimeout(r, 200));
    await produce("minb", 0, ["small"]); // not enough yet
    await new Promise((r) => setTimeout(r, 300));
    await produce("minb", 0, ["z".repeat(4000)]);
    const res = await pending;
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    const got = await values(res.responses[0]!.partitions[0]!.records);
    expect(got.map((v) => v.slice(0, 7))).toEqual(["1:small", "2:zzzzz"]);
  });

  it("answers after max_wait_ms when nothing arrives", async () => {
    await produce("idle", 0, ["only"]);
    const started = Date.now();
    const res = await client.send(1, 11, fetchReq("idle", [[0, 1n]], { maxWaitMs: 400, minBytes: 1 }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    const p = res.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    expect(p.highWatermark).toBe(1n);
    expect(p.records?.length ?? 0).toBe(0);
  });

  it("returns the whole batch holding an offset inside it, and at least one batch over the limits", async () => {
    await produce("inside", 0, ["a", "b", "c", "d"]);
    const res = await client.send(1, 11, fetchReq("inside", [[0, 2n]], {}, 1));
    const recs = res.responses[0]!.partitions[0]!.records!;
    const batches = [...batchesIn(recs)];
    expect(batches).toHaveLength(1);
    expect(await values(recs)).toEqual(["0:a", "1:b", "2:c", "3:d"]);
  });

  it("reports OFFSET_OUT_OF_RANGE and respects max_bytes across partitions", async () => {
    await produce("multi", 0, ["x".repeat(1000)]);
    await produce("multi", 1, ["y".repeat(1000)]);
    const oor = await client.send(1, 11, fetchReq("multi", [[0, 99n]]));
    expect(oor.responses[0]!.partitions[0]!.errorCode).toBe(1);
    const res = await client.send(
      1,
      11,
      fetchReq(
        "multi",
        [
          [0, 0n],
          [1, 0n],
        ],
        { maxBytes: 10 },
      ),
    );
    const [p0, p1] = res.responses[0]!.partitions;
    expect((await values(p0!.records)).length).toBe(1); // first partition: one batch despite max_bytes
    expect(p1!.records?.length ?? 0).toBe(0); // budget used up
  });

  it("runs an incremental fetch session (KIP-227)", async () => {
    await produce("sess", 0, ["s0"]);
    await produce("sess", 1, ["t0"]);
    const full = await client.send(
      1,
      12,
      fetchReq(
        "sess",
        [
          [0, 0n],
          [1, 0n],
        ],
        { sessionId: 0, sessionEpoch: 0 },
      ),
    );
    expect(full.sessionId).toBeGreaterThan(0);
    expect(full.responses[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0, 1]);
    const sid = full.sessionId;
    // Client advanced partition 0 past its data; nothing new anywhere -> empty incremental response.
    const inc1 = await client.send(1, 12, fetchReq("sess", [[0, 1n]], { sessionId: sid, sessionEpoch: 1 }));
    expect(inc1.errorCode).toBe(0);
    expect(inc1.sessionId).toBe(sid);
    const p1Again = inc1.responses.flatMap((t) => t.partitions).map((p) => p.partitionIndex);
    expect(p1Again).toEqual([1]); // partition 1 still has unread data at offset 0
    await produce("sess", 0, ["s1"]);
    const inc2 = await client.send(1, 12, {
      ...fetchReq("sess", []),
      topics: [],
      sessionId: sid,
      sessionEpoch: 2,
    });
    const parts = inc2.responses.flatMap((t) => t.partitions);
    const p0 = parts.find((p) => p.partitionIndex === 0)!;
    expect(await values(p0.records)).toEqual(["1:s1"]);
    const bad = await client.send(1, 12, fetchReq("sess", [], { sessionId: sid, sessionEpoch: 7 }));
    expect(bad.errorCode).toBe(71); // INVALID_FETCH_SESSION_EPOCH
    const gone = await client.send(1, 12, fetchReq("sess", [], { sessionId: 123456, sessionEpoch: 1 }));
    expect(gone.errorCode).toBe(70); // FETCH_SESSION_ID_NOT_FOUND
  });

  it("keeps responses in request order behind a long poll", async () => {
    await produce("order", 0, ["o"]);
    const c = await RawClient.open(broker.port);
    try {
      const a = c.send(1, 11, fetchReq("order", [[0, 1n]], { maxWaitMs: 600, minBytes: 1 }));
      const b = c.send(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
      const m = c.send(3, 12, {
        topics: null,
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      });
      await Promise.all([a, b, m]);
      expect(c.arrivals).toEqual([1, 2, 3]);
    } finally {
      c.close();
    }
  });
});
