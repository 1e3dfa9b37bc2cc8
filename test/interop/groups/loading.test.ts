import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { RawClient } from "../broker/raw-client.js";

/**
 * COORDINATOR_LOAD_IN_PROGRESS at the wire: a __consumer_offsets partition with 600k offset
 * records takes a moment to load after a restart; requests for its group get error 14 until the
 * load finishes, then the committed offsets. (One offsets partition, so the group's is the big one.)
 */
const OVERRIDES = { "offsets.topic.num.partitions": "1", "num.partitions": "1" };
const BATCHES = 60;
const PER_BATCH = 10_000;
let owner: BrokerProcess | undefined;
let broker: BrokerProcess | undefined;

afterAll(async () => {
  await broker?.stop();
  owner?.cleanup();
});

describe("coordinator loading after a restart", () => {
  it("answers COORDINATOR_LOAD_IN_PROGRESS (14) while loading, then the offsets", async () => {
    owner = await startBroker({ overrides: OVERRIDES });
    broker = owner;
    let raw = await RawClient.open(owner.port);
    await raw.send(3, 12, {
      topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: "load-t" }],
      allowAutoTopicCreation: true,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(
      (await raw.send(10, 4, { key: "", keyType: 0, coordinatorKeys: ["load-g"] })).coordinators[0]!
        .errorCode,
    ).toBe(0);
    // Kafka checks that the topic exists, not each partition: one commit carries 10k records.
    for (let i = 0; i < BATCHES; i++) {
      const r = await raw.send(8, 8, {
        groupId: "load-g",
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [
          {
            name: "load-t",
            partitions: Array.from({ length: PER_BATCH }, (_, p) => ({
              partitionIndex: p,
              committedOffset: BigInt(i),
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: "",
            })),
          },
        ],
      });
      expect(r.topics[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
    }
    raw.close();
    await owner.stop();

    broker = await startBroker({ dataDir: owner.dataDir, overrides: OVERRIDES });
    raw = await RawClient.open(broker.port);
    const codes: number[] = [];
    const deadline = Date.now() + 30_000;
    let last: Awaited<ReturnType<typeof raw.send<9>>> | undefined;
    while (Date.now() < deadline) {
      last = await raw.send(9, 7, {
        groupId: "load-g",
        topics: [{ name: "load-t", partitionIndexes: [0, PER_BATCH - 1] }],
        groups: [],
        requireStable: false,
      });
      codes.push(last.errorCode);
      if (last.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    raw.close();
    expect(codes[0]).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect(codes.at(-1)).toBe(ErrorCode.NONE);
    expect(last!.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([
      BigInt(BATCHES - 1),
      BigInt(BATCHES - 1),
    ]);
  });
});
