import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUuid } from "../../../broker/metadata/uuid.js";
import {
  defaultFetchRequest,
  defaultFetchRequestFetchPartition,
} from "../../../protocol/generated/messages/FetchRequest.js";
import { defaultListOffsetsRequestListOffsetsPartition } from "../../../protocol/generated/messages/ListOffsetsRequest.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";
import { RawClient } from "./raw-client.js";

/** Version-specific behaviour: topic ids (Metadata v12, Fetch v13+), ListOffsets specials and v0, old versions. */
let broker: BrokerProcess;
let c: RawClient;
let topicId = "";

beforeAll(async () => {
  broker = await startBroker();
  c = await RawClient.open(broker.port);
  await kcat(["-b", broker.bootstrap, "-P", "-t", "ids", "-K:"], "a:1\nb:2\n");
  const md = await c.send(3, 12, {
    topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: "ids" }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  topicId = md.topics[0]!.topicId;
});

afterAll(async () => {
  c?.close();
  await broker?.stop();
  broker?.cleanup();
});

const mdReq = (topics: { topicId: string; name: string | null }[] | null, allowAuto = false) => ({
  topics,
  allowAutoTopicCreation: allowAuto,
  includeClusterAuthorizedOperations: false,
  includeTopicAuthorizedOperations: false,
});

describe("protocol versions", () => {
  it("looks topics up by id in Metadata v12 and answers UNKNOWN_TOPIC_ID", async () => {
    expect(topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const res = await c.send(
      3,
      12,
      mdReq([
        { topicId, name: null },
        { topicId: randomUuid(), name: null },
      ]),
    );
    expect(res.topics.map((t) => [t.name, t.errorCode])).toEqual([
      ["ids", 0],
      [null, 100],
    ]);
    expect(res.controllerId).toBe(1);
  });

  it("serves Metadata v0 (empty list = all topics) and v1 (empty list = none)", async () => {
    const v0 = await c.send(3, 0, mdReq([], true));
    expect(v0.topics.map((t) => t.name)).toContain("ids");
    const v1 = await c.send(3, 1, mdReq([], true));
    expect(v1.topics).toEqual([]);
  });

  it("fetches by topic id in Fetch v13+ and reports unknown ids", async () => {
    const req = (id: string) => ({
      ...defaultFetchRequest(),
      replicaId: -1,
      maxBytes: 1 << 20,
      sessionEpoch: -1,
      topics: [
        {
          topic: "",
          topicId: id,
          partitions: [{ ...defaultFetchRequestFetchPartition(), partition: 0, partitionMaxBytes: 1 << 20 }],
        },
      ],
    });
    const ok = await c.send(1, 16, req(topicId));
    expect(ok.responses[0]!.topicId).toBe(topicId);
    expect(ok.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
    const bad = await c.send(1, 13, req(randomUuid()));
    expect(bad.responses[0]!.partitions[0]!.errorCode).toBe(100);
  });

  it("lists offsets: earliest, latest, max timestamp (v7+), v0 old-style", async () => {
    const lo = (ts: bigint, maxNumOffsets = 1) => ({
      replicaId: -1,
      isolationLevel: 0,
      timeoutMs: 0,
      topics: [
        {
          name: "ids",
          partitions: [
            {
              ...defaultListOffsetsRequestListOffsetsPartition(),
              partitionIndex: 0,
              timestamp: ts,
              maxNumOffsets,
            },
          ],
        },
      ],
    });
    const get = async (v: number, ts: bigint) => (await c.send(2, v, lo(ts))).topics[0]!.partitions[0]!;
    expect((await get(9, -2n)).offset).toBe(0n);
    expect((await get(9, -1n)).offset).toBe(2n); // before the batch below
    // Distinct timestamps, later than kcat's: the largest is in the middle record.
    const now = BigInt(Date.now());
    const batch = await buildBatch({
      records: [now + 1000n, now + 3000n, now + 2000n].map((timestamp) => ({
        value: Buffer.from("t"),
        timestamp,
      })),
    });
    const pr = await c.send(0, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 1000,
      topicData: [{ name: "ids", partitionData: [{ index: 0, records: batch }] }],
    });
    expect(pr.responses[0]!.partitionResponses[0]!.baseOffset).toBe(2n);
    const max = await get(9, -3n);
    expect([max.offset, max.timestamp]).toEqual([3n, now + 3000n]);
    expect((await get(5, -3n)).errorCode).toBe(35);
    expect((await get(0, -1n)).oldStyleOffsets).toEqual([5n]);
    expect((await get(9, 0n)).offset).toBe(0n);
    expect((await get(9, BigInt(Date.now() + 3_600_000))).offset).toBe(-1n);
  });

  it("answers ApiVersions v0 and v3 with the same table", async () => {
    const v0 = await c.send(18, 0, { clientSoftwareName: "", clientSoftwareVersion: "" });
    const v3 = await c.send(18, 3, { clientSoftwareName: "raw", clientSoftwareVersion: "1.0" });
    expect(v0.apiKeys).toEqual(v3.apiKeys);
    const bad = await c.send(18, 3, { clientSoftwareName: "bad name!", clientSoftwareVersion: "1.0" });
    expect(bad.errorCode).toBe(42);
  });
});
