import { describe, expect, it } from "vitest";
import type { BrokerServices, RequestContext } from "../../../broker/api/context.js";
import { describeTopicPartitionsHandler } from "../../../broker/api/describe-topic-partitions.js";
import { MetadataImage } from "../../../broker/metadata/image.js";
import type { MetadataRecord } from "../../../broker/metadata/records.js";
import type { DescribeTopicPartitionsRequest } from "../../../protocol/generated/messages/DescribeTopicPartitionsRequest.js";
import type { DescribeTopicPartitionsResponse } from "../../../protocol/generated/messages/DescribeTopicPartitionsResponse.js";

/** Paging rules of DescribeTopicPartitions, on a metadata image built from real metadata records. */
function imageWith(topics: Record<string, number>): MetadataImage {
  const records: MetadataRecord[] = [];
  let n = 0;
  for (const [name, count] of Object.entries(topics)) {
    const topicId = `topic-id-${n++}`.padEnd(22, "A");
    records.push({ type: "TopicRecord", data: { name, topicId } });
    for (let partitionId = 0; partitionId < count; partitionId++) {
      records.push({
        type: "PartitionRecord",
        data: {
          partitionId,
          topicId,
          replicas: [1],
          isr: [1],
          removingReplicas: [],
          addingReplicas: [],
          leader: 1,
          leaderRecoveryState: 0,
          leaderEpoch: 3,
          partitionEpoch: 0,
          directories: [],
          eligibleLeaderReplicas: null,
          lastKnownElr: null,
        },
      });
    }
  }
  return MetadataImage.EMPTY.apply(records, BigInt(records.length - 1));
}

function ask(image: MetadataImage, req: Partial<DescribeTopicPartitionsRequest>) {
  const broker = { controller: { image } } as unknown as BrokerServices;
  const res = describeTopicPartitionsHandler.handle(
    { topics: [], responsePartitionLimit: 2000, cursor: null, ...req },
    {} as RequestContext,
    broker,
  ) as DescribeTopicPartitionsResponse;
  return {
    topics: res.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]),
    next: res.nextCursor,
  };
}

const image = imageWith({ zeta: 2, alpha: 3, mid: 1 });

describe("DescribeTopicPartitions paging", () => {
  it("answers all topics in name order when none are named", () => {
    expect(ask(image, {})).toEqual({
      topics: [
        ["alpha", 0, [0, 1, 2]],
        ["mid", 0, [0]],
        ["zeta", 0, [0, 1]],
      ],
      next: null,
    });
  });

  it("cuts inside a topic and resumes from the cursor", () => {
    const first = ask(image, { responsePartitionLimit: 4 });
    expect(first).toEqual({
      topics: [
        ["alpha", 0, [0, 1, 2]],
        ["mid", 0, [0]],
      ],
      next: { topicName: "zeta", partitionIndex: 0 },
    });
    expect(ask(image, { responsePartitionLimit: 4, cursor: first.next })).toEqual({
      topics: [["zeta", 0, [0, 1]]],
      next: null,
    });
    expect(
      ask(image, { responsePartitionLimit: 2, cursor: { topicName: "alpha", partitionIndex: 1 } }),
    ).toEqual({
      topics: [["alpha", 0, [1, 2]]],
      next: { topicName: "mid", partitionIndex: 0 },
    });
  });

  it("reports unknown and invalid names in place, sorted with the rest", () => {
    expect(ask(image, { topics: [{ name: "zeta" }, { name: "nope" }, { name: "bad name" }] })).toEqual({
      topics: [
        ["bad name", 17, []],
        ["nope", 3, []],
        ["zeta", 0, [0, 1]],
      ],
      next: null,
    });
  });

  it("a cursor naming a topic outside the request is INVALID_REQUEST for every topic", () => {
    expect(
      ask(image, { topics: [{ name: "zeta" }], cursor: { topicName: "alpha", partitionIndex: 0 } }),
    ).toEqual({
      topics: [["zeta", 42, []]],
      next: null,
    });
  });

  it("caps the page at 2000 partitions", () => {
    const big = imageWith({ huge: 2500 });
    const r = ask(big, { responsePartitionLimit: 100000 });
    expect((r.topics[0]![2] as number[]).length).toBe(2000);
    expect(r.next).toEqual({ topicName: "huge", partitionIndex: 2000 });
  });
});
