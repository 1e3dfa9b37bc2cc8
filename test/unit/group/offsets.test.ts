import { describe, expect, it } from "vitest";
import type { OffsetCommitInput } from "../../../broker/coordinator/group/types.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import {
  flush,
  type Harness,
  joinReq,
  setup,
  stableSingle,
  subscription,
  syncReq,
  track,
} from "./harness.js";

const G = "offsets-group";

function commit(
  groupId: string,
  offsets: [string, number, bigint, (string | null)?][],
  over: Partial<OffsetCommitInput> = {},
) {
  const topics = new Map<string, OffsetCommitInput["topics"][number]>();
  for (const [topic, partition, offset, metadata] of offsets) {
    const t = topics.get(topic) ?? { name: topic, partitions: [] };
    t.partitions.push({
      partitionIndex: partition,
      committedOffset: offset,
      committedLeaderEpoch: 3,
      committedMetadata: metadata ?? null,
    });
    topics.set(topic, t);
  }
  return {
    groupId,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [...topics.values()],
    ...over,
  };
}

function codes(r: { topics: { partitions: { errorCode: number }[] }[] }): number[] {
  return r.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

async function fetchOne(
  h: Harness,
  groupId: string,
  topic: string,
  partition: number,
  requireStable = false,
) {
  const r = await h.coord.fetchOffsets({
    groupId,
    topics: [{ name: topic, partitionIndexes: [partition] }],
    requireStable,
  });
  if (r.errorCode !== 0) throw new Error(`group error ${r.errorCode}`);
  return r.topics[0]!.partitions[0]!;
}

describe("OffsetCommit and OffsetFetch", () => {
  it("a simple consumer (generation -1, no member id) commits and fetches; metadata kept verbatim", async () => {
    const h = await setup();
    const r = await h.coord.commitOffsets(
      commit("simple", [
        ["t1", 0, 42n, "meta data ✓"],
        ["t1", 1, 7n, null],
        ["t2", 0, 0n, ""],
      ]),
    );
    expect(codes(r)).toEqual([0, 0, 0]);
    expect(await fetchOne(h, "simple", "t1", 0)).toEqual({
      errorCode: 0,
      partitionIndex: 0,
      committedOffset: 42n,
      committedLeaderEpoch: 3,
      metadata: "meta data ✓",
    });
    expect((await fetchOne(h, "simple", "t1", 1)).metadata).toBe("");
    expect(await fetchOne(h, "simple", "t9", 0)).toMatchObject({
      committedOffset: -1n,
      metadata: "",
      errorCode: 0,
    });
    // All partitions when no topics are given.
    const all = await h.coord.fetchOffsets({ groupId: "simple", topics: null, requireStable: false });
    expect(
      all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]),
    ).toEqual([
      [
        "t1",
        [
          [0, 42n],
          [1, 7n],
        ],
      ],
      ["t2", [[0, 0n]]],
    ]);
    // Unknown group: requested partitions with -1, or nothing.
    expect(await fetchOne(h, "nobody", "t1", 0)).toMatchObject({ committedOffset: -1n, errorCode: 0 });
    expect(
      (await h.coord.fetchOffsets({ groupId: "nobody", topics: null, requireStable: false })).topics,
    ).toEqual([]);
    expect((await h.coord.describeGroups(["simple"]))[0]).toMatchObject({
      groupState: "Empty",
      protocolType: "",
    });
  });

  it("commits from group members are checked against generation and member id", async () => {
    const h = await setup();
    const a = await stableSingle(h, G);
    const member = { generationId: 1, memberId: a.memberId, groupInstanceId: null };
    expect(codes(await h.coord.commitOffsets(commit(G, [["t1", 0, 1n]], member)))).toEqual([0]);
    expect(
      codes(await h.coord.commitOffsets(commit(G, [["t1", 0, 1n]], { ...member, generationId: 2 }))),
    ).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(
      codes(await h.coord.commitOffsets(commit(G, [["t1", 0, 1n]], { ...member, memberId: "ghost" }))),
    ).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    // A simple commit into a group with members is refused.
    expect(codes(await h.coord.commitOffsets(commit(G, [["t1", 0, 1n]])))).toEqual([
      ErrorCode.UNKNOWN_MEMBER_ID,
    ]);
    // Unknown group with a generation: a stale member.
    expect(codes(await h.coord.commitOffsets(commit("unknown", [["t1", 0, 1n]], member)))).toEqual([
      ErrorCode.ILLEGAL_GENERATION,
    ]);
  });

  it("commits during a rebalance: allowed while preparing, REBALANCE_IN_PROGRESS while completing", async () => {
    const h = await setup();
    const a = await stableSingle(h, G);
    const bJoin = h.coord.joinGroup(joinReq(G, { clientId: "b" }));
    const member = { generationId: 1, memberId: a.memberId, groupInstanceId: null };
    expect(codes(await h.coord.commitOffsets(commit(G, [["t1", 0, 5n]], member)))).toEqual([0]); // PreparingRebalance
    const a2 = await h.coord.joinGroup(joinReq(G, { memberId: a.memberId }));
    await bJoin;
    expect(
      codes(await h.coord.commitOffsets(commit(G, [["t1", 0, 6n]], { ...member, generationId: 2 }))),
    ).toEqual([ErrorCode.REBALANCE_IN_PROGRESS]);
    expect(a2.generationId).toBe(2);
    expect((await fetchOne(h, G, "t1", 0)).committedOffset).toBe(5n);
  });

  it("rejects metadata over offset.metadata.max.bytes per partition", async () => {
    const h = await setup({ "offset.metadata.max.bytes": 4 });
    const r = await h.coord.commitOffsets(
      commit("g", [
        ["t", 0, 1n, "1234"],
        ["t", 1, 1n, "12345"],
      ]),
    );
    expect(codes(r)).toEqual([0, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  });

  it("answers only after the append; require_stable sees the commit in flight", async () => {
    const h = await setup();
    await h.coord.commitOffsets(commit("g", [["t", 0, 1n]]));
    h.log.hold();
    const pending = track(h.coord.commitOffsets(commit("g", [["t", 0, 2n]])));
    await flush();
    expect(pending.settled).toBe(false);
    expect(await fetchOne(h, "g", "t", 0, true)).toMatchObject({
      errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT,
      committedOffset: -1n,
    });
    expect((await fetchOne(h, "g", "t", 0, false)).committedOffset).toBe(1n);
    h.log.release();
    await flush();
    expect(codes(pending.value!)).toEqual([0]);
    expect((await fetchOne(h, "g", "t", 0, true)).committedOffset).toBe(2n);
  });

  it("a failed append is reported with Kafka's mapping and leaves the old offset", async () => {
    const h = await setup();
    await h.coord.commitOffsets(commit("g", [["t", 0, 1n]]));
    h.log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    expect(codes(await h.coord.commitOffsets(commit("g", [["t", 0, 2n]])))).toEqual([
      ErrorCode.NOT_COORDINATOR,
    ]);
    h.log.failWith = ErrorCode.MESSAGE_TOO_LARGE;
    expect(codes(await h.coord.commitOffsets(commit("g", [["t", 0, 2n]])))).toEqual([
      ErrorCode.INVALID_COMMIT_OFFSET_SIZE,
    ]);
    h.log.failWith = null;
    expect((await fetchOne(h, "g", "t", 0)).committedOffset).toBe(1n);
  });

  it("OffsetFetch v8+: several groups at once", async () => {
    const h = await setup();
    await h.coord.commitOffsets(commit("g1", [["t", 0, 11n]]));
    await h.coord.commitOffsets(commit("g2", [["t", 0, 22n]]));
    const r = await h.coord.fetchOffsetsForGroups([
      { groupId: "g1", topics: null, requireStable: true },
      { groupId: "g2", topics: [{ name: "t", partitionIndexes: [0] }], requireStable: true },
    ]);
    expect(r.map((g) => [g.groupId, g.topics[0]!.partitions[0]!.committedOffset])).toEqual([
      ["g1", 11n],
      ["g2", 22n],
    ]);
  });
});

describe("retention", () => {
  const DAY = 24 * 3600_000;

  it("offsets of a simple consumer expire offsets.retention.minutes after their commit", async () => {
    const h = await setup({ "offsets.retention.minutes": 60 });
    await h.coord.commitOffsets(commit("simple", [["t", 0, 1n]]));
    h.time.advance(30 * 60_000);
    await h.coord.commitOffsets(commit("simple", [["t", 1, 1n]]));
    h.time.advance(30 * 60_000); // the check runs every 10 minutes
    await flush();
    expect((await fetchOne(h, "simple", "t", 0)).committedOffset).toBe(-1n);
    expect((await fetchOne(h, "simple", "t", 1)).committedOffset).toBe(1n);
    h.time.advance(30 * 60_000);
    await flush();
    expect((await fetchOne(h, "simple", "t", 1)).committedOffset).toBe(-1n);
    // With no offsets left the group is gone, and tombstones were written.
    expect((await h.coord.describeGroups(["simple"]))[0]!.groupState).toBe("Dead");
    expect(h.log.all().filter((r) => r.value === null)).toHaveLength(2);
  });

  it("offsets of an empty consumer group expire counting from when it became empty", async () => {
    const h = await setup();
    const a = await stableSingle(h, G);
    await h.coord.commitOffsets(commit(G, [["t1", 0, 9n]], { generationId: 1, memberId: a.memberId }));
    // No heartbeats: the session expires at 10 s and the group is Empty from then on.
    h.time.advance(7 * DAY); // the check at exactly 7 days: empty for 7 days minus 10 s
    await flush();
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("Empty");
    expect((await fetchOne(h, G, "t1", 0)).committedOffset).toBe(9n);
    h.time.advance(10 * 60_000); // next check
    await flush();
    expect((await fetchOne(h, G, "t1", 0)).committedOffset).toBe(-1n);
  });

  it("a Stable consumer group keeps offsets of subscribed topics and expires the others", async () => {
    const h = await setup({ "offsets.retention.minutes": 60 });
    const a = await stableSingle(h, G, {
      protocols: [{ name: "range", metadata: subscription(["t1"]) }],
      sessionTimeoutMs: 60_000,
    });
    const m = { generationId: 1, memberId: a.memberId };
    await h.coord.commitOffsets(
      commit(
        G,
        [
          ["t1", 0, 1n],
          ["old", 0, 1n],
        ],
        m,
      ),
    );
    for (let i = 0; i < 160; i++) {
      h.time.advance(30_000);
      expect(await h.coord.heartbeat({ groupId: G, ...m, groupInstanceId: null })).toBe(0);
      await flush();
    }
    expect((await fetchOne(h, G, "t1", 0)).committedOffset).toBe(1n);
    expect((await fetchOne(h, G, "old", 0)).committedOffset).toBe(-1n);
  });

  it("an explicit retention_time_ms (OffsetCommit v2-4) sets the expiry", async () => {
    const h = await setup();
    await h.coord.commitOffsets(commit("g", [["t", 0, 1n]], { retentionTimeMs: 5 * 60_000 }));
    h.time.advance(10 * 60_000);
    await flush();
    expect((await fetchOne(h, "g", "t", 0)).committedOffset).toBe(-1n);
  });
});

describe("OffsetDelete and DeleteGroups", () => {
  it("OffsetDelete removes offsets of an empty group and refuses subscribed topics of an active one", async () => {
    const h = await setup();
    await h.coord.commitOffsets(
      commit("empty", [
        ["t", 0, 1n],
        ["t", 1, 1n],
      ]),
    );
    const r = await h.coord.deleteOffsets({
      groupId: "empty",
      topics: [{ name: "t", partitionIndexes: [0] }],
    });
    expect(r).toEqual({
      errorCode: 0,
      topics: [{ name: "t", partitions: [{ partitionIndex: 0, errorCode: 0 }] }],
    });
    expect((await fetchOne(h, "empty", "t", 0)).committedOffset).toBe(-1n);
    expect((await fetchOne(h, "empty", "t", 1)).committedOffset).toBe(1n);

    const a = await stableSingle(h, G);
    await h.coord.commitOffsets(
      commit(
        G,
        [
          ["t1", 0, 1n],
          ["x", 0, 1n],
        ],
        { generationId: 1, memberId: a.memberId },
      ),
    );
    const r2 = await h.coord.deleteOffsets({
      groupId: G,
      topics: [
        { name: "t1", partitionIndexes: [0] },
        { name: "x", partitionIndexes: [0] },
      ],
    });
    expect(codes(r2)).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0]);
    expect((await h.coord.deleteOffsets({ groupId: "nobody", topics: [] })).errorCode).toBe(
      ErrorCode.GROUP_ID_NOT_FOUND,
    );

    const c = await stableSingle(h, "connect-like", { protocolType: "connect" });
    expect(c.errorCode).toBe(0);
    expect((await h.coord.deleteOffsets({ groupId: "connect-like", topics: [] })).errorCode).toBe(
      ErrorCode.NON_EMPTY_GROUP,
    );
  });

  it("DeleteGroups: NON_EMPTY_GROUP while members exist, GROUP_ID_NOT_FOUND for unknown groups", async () => {
    const h = await setup();
    const a = await stableSingle(h, G);
    await h.coord.commitOffsets(commit(G, [["t1", 0, 1n]], { generationId: 1, memberId: a.memberId }));
    await h.coord.commitOffsets(commit("simple", [["t1", 0, 1n]]));
    const r = await h.coord.deleteGroups([G, "simple", "nobody"]);
    expect(r).toEqual([
      { groupId: G, errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: "simple", errorCode: 0 },
      { groupId: "nobody", errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect((await fetchOne(h, "simple", "t1", 0)).committedOffset).toBe(-1n);
    await h.coord.leaveGroup({ groupId: G, members: [{ memberId: a.memberId, groupInstanceId: null }] });
    await flush();
    expect(await h.coord.deleteGroups([G])).toEqual([{ groupId: G, errorCode: 0 }]);
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("Dead");
    expect((await fetchOne(h, G, "t1", 0)).committedOffset).toBe(-1n);
  });
});

describe("DescribeGroups and ListGroups", () => {
  it("describes members and lists groups by state", async () => {
    const h = await setup();
    const a = await stableSingle(h, G, { clientId: "cli", clientHost: "/10.0.0.1" });
    await h.coord.commitOffsets(commit("simple", [["t", 0, 1n]]));
    const [d] = await h.coord.describeGroups([G]);
    expect(d).toMatchObject({
      errorCode: 0,
      groupState: "Stable",
      protocolType: "consumer",
      protocolData: "range",
    });
    expect(d!.members).toEqual([
      {
        memberId: a.memberId,
        groupInstanceId: null,
        clientId: "cli",
        clientHost: "/10.0.0.1",
        memberMetadata: subscription(["t1"]),
        memberAssignment: Buffer.from("a1"),
      },
    ]);
    const all = await h.coord.listGroups();
    expect(all.groups.map((g) => [g.groupId, g.groupState, g.protocolType]).sort()).toEqual([
      [G, "Stable", "consumer"],
      ["simple", "Empty", ""],
    ]);
    expect((await h.coord.listGroups({ statesFilter: ["empty"] })).groups.map((g) => g.groupId)).toEqual([
      "simple",
    ]);
    expect((await h.coord.listGroups({ typesFilter: ["consumer"] })).groups).toEqual([]);
    expect((await h.coord.listGroups({ typesFilter: ["Classic"] })).groups).toHaveLength(2);
    void syncReq;
  });
});
