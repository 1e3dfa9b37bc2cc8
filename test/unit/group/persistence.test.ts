import { describe, expect, it } from "vitest";
import { GroupCoordinator } from "../../../broker/coordinator/group/coordinator.js";
import {
  decodeRecord,
  groupMetadataKey,
  groupMetadataValue,
  offsetCommitKey,
  offsetCommitValue,
} from "../../../broker/coordinator/group/records.js";
import { ManualTime } from "../../../broker/coordinator/group/time.js";
import type { LogRecord } from "../../../broker/coordinator/group/types.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { flush, joinReq, MemoryLog, setup, stableSingle, syncReq, track } from "./harness.js";

const hex = (b: Buffer) => b.toString("hex");

describe("record layout in __consumer_offsets", () => {
  it("offset commit key: int16 version 1, group, topic, partition", () => {
    expect(hex(offsetCommitKey("g", "tp", 3))).toBe(
      "0001" + "0001" + hex(Buffer.from("g")) + "0002" + hex(Buffer.from("tp")) + "00000003",
    );
  });

  it("group metadata key: int16 version 2, group", () => {
    expect(hex(groupMetadataKey("grp"))).toBe("0002" + "0003" + hex(Buffer.from("grp")));
  });

  it("offset commit value: v3 normally, v1 when an expire timestamp is set", () => {
    const v3 = offsetCommitValue({
      offset: 5n,
      leaderEpoch: 2,
      metadata: "m",
      commitTimestamp: 1000,
      expireTimestamp: null,
    });
    expect(hex(v3)).toBe("0003" + "0000000000000005" + "00000002" + "0001" + "6d" + "00000000000003e8");
    const v1 = offsetCommitValue({
      offset: 5n,
      leaderEpoch: 2,
      metadata: "",
      commitTimestamp: 1000,
      expireTimestamp: 2000,
    });
    expect(hex(v1)).toBe("0001" + "0000000000000005" + "0000" + "00000000000003e8" + "00000000000007d0");
  });

  it("decodes offset values of every version Kafka wrote (v0 hand-built)", () => {
    const v0 = Buffer.from(
      "0000" + "000000000000002a" + "0002" + hex(Buffer.from("hi")) + "0000000000000064",
      "hex",
    );
    const d = decodeRecord(offsetCommitKey("g", "t", 0), v0);
    expect(d).toEqual({
      kind: "offset",
      group: "g",
      topic: "t",
      partition: 0,
      value: { offset: 42n, leaderEpoch: -1, metadata: "hi", commitTimestamp: 100, expireTimestamp: null },
    });
    // Key version 0 is an offset key too.
    const k0 = Buffer.from("0000" + "0001" + "67" + "0001" + "74" + "00000001", "hex");
    expect(decodeRecord(k0, null)).toEqual({
      kind: "offset",
      group: "g",
      topic: "t",
      partition: 1,
      value: null,
    });
  });

  it("decodes a group metadata value v0 (no rebalance timeout, no instance id)", () => {
    const str = (s: string) => Buffer.concat([Buffer.from([0, Buffer.byteLength(s)]), Buffer.from(s)]);
    const bytes = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const v0 = Buffer.concat([
      Buffer.from([0, 0]), // version
      str("consumer"),
      Buffer.from([0, 0, 0, 4]), // generation
      str("range"),
      str("m1"), // leader
      Buffer.from([0, 0, 0, 1]), // one member
      str("m1"),
      str("cid"),
      str("/h"),
      Buffer.from([0, 0, 0x27, 0x10]), // session 10000
      bytes(Buffer.from("sub")),
      bytes(Buffer.from("asg")),
    ]);
    const d = decodeRecord(groupMetadataKey("g"), v0);
    expect(d.kind).toBe("group");
    if (d.kind !== "group") return;
    expect(d.value).toMatchObject({
      protocolType: "consumer",
      generation: 4,
      protocol: "range",
      leader: "m1",
      currentStateTimestamp: -1n,
    });
    expect(d.value!.members[0]).toMatchObject({
      memberId: "m1",
      groupInstanceId: null,
      rebalanceTimeout: -1,
      sessionTimeout: 10000,
    });
  });

  it("round-trips a group metadata value v3", () => {
    const value = {
      protocolType: "consumer",
      generation: 3,
      protocol: "range",
      leader: "m",
      currentStateTimestamp: 123n,
      members: [
        {
          memberId: "m",
          groupInstanceId: "i",
          clientId: "c",
          clientHost: "/h",
          rebalanceTimeout: 300000,
          sessionTimeout: 45000,
          subscription: Buffer.from("s"),
          assignment: Buffer.from("a"),
        },
      ],
    };
    const buf = groupMetadataValue(value);
    expect(buf.readInt16BE(0)).toBe(3);
    expect(decodeRecord(groupMetadataKey("g"), buf)).toEqual({ kind: "group", group: "g", value });
  });

  it("ignores keys of the new group protocols", () => {
    expect(decodeRecord(Buffer.from([0, 3, 0, 1, 0x67]), Buffer.from([0, 0]))).toEqual({
      kind: "other",
      keyVersion: 3,
    });
  });
});

async function reload(log: MemoryLog, time = new ManualTime()) {
  const coord = new GroupCoordinator({
    writer: log,
    time,
    config: { "group.initial.rebalance.delay.ms": 0 },
  });
  for (let p = 0; p < 50; p++) await coord.onPartitionLoad(p, [...log.records(p)]);
  return { coord, time };
}

describe("loading state from __consumer_offsets", () => {
  it("a fresh coordinator replaying the log has the same offsets and groups", async () => {
    const h = await setup();
    const a = await stableSingle(h, "stable", {
      groupInstanceId: "inst",
      apiVersion: 5,
      sessionTimeoutMs: 30_000,
    });
    const m = { generationId: 1, memberId: a.memberId, groupInstanceId: "inst" };
    const topics = (offs: [string, number, bigint, string][]) =>
      offs.map(([name, partitionIndex, committedOffset, committedMetadata]) => ({
        name,
        partitions: [{ partitionIndex, committedOffset, committedLeaderEpoch: 7, committedMetadata }],
      }));
    await h.coord.commitOffsets({
      groupId: "stable",
      ...m,
      topics: topics([
        ["t1", 0, 100n, "x"],
        ["t1", 1, 200n, ""],
      ]),
    });
    await h.coord.commitOffsets({ groupId: "stable", ...m, topics: topics([["t1", 0, 150n, "y"]]) });
    const simple = { generationId: -1, memberId: "", groupInstanceId: null };
    await h.coord.commitOffsets({
      groupId: "simple",
      ...simple,
      topics: topics([
        ["t2", 0, 5n, "s"],
        ["t2", 1, 6n, ""],
      ]),
    });
    await h.coord.deleteOffsets({ groupId: "simple", topics: [{ name: "t2", partitionIndexes: [1] }] });
    await h.coord.commitOffsets({ groupId: "gone", ...simple, topics: topics([["t3", 0, 1n, ""]]) });
    await h.coord.deleteGroups(["gone"]);

    const { coord } = await reload(h.log);
    const fetch = (groupId: string) => coord.fetchOffsets({ groupId, topics: null, requireStable: true });
    expect((await fetch("stable")).topics).toEqual([
      {
        name: "t1",
        partitions: [
          { partitionIndex: 0, committedOffset: 150n, committedLeaderEpoch: 7, metadata: "y", errorCode: 0 },
          { partitionIndex: 1, committedOffset: 200n, committedLeaderEpoch: 7, metadata: "", errorCode: 0 },
        ],
      },
    ]);
    expect((await fetch("simple")).topics.map((t) => t.partitions.map((p) => p.committedOffset))).toEqual([
      [5n],
    ]);
    expect((await fetch("gone")).topics).toEqual([]);
    expect(await coord.describeGroups(["stable", "gone"])).toEqual(
      await h.coord.describeGroups(["stable", "gone"]),
    );
    expect((await coord.listGroups()).groups.map((g) => [g.groupId, g.groupState]).sort()).toEqual([
      ["simple", "Empty"],
      ["stable", "Stable"],
    ]);
    // The loaded member carries on in its generation without rejoining.
    expect(await coord.heartbeat({ groupId: "stable", ...m })).toBe(0);
    const s = await coord.syncGroup(syncReq("stable", a, { groupInstanceId: "inst" }));
    expect(s.assignment.toString()).toBe("a1");
    // And the static member can restart against the loaded group without a rebalance.
    const again = await coord.joinGroup(joinReq("stable", { apiVersion: 5, groupInstanceId: "inst" }));
    expect(again).toMatchObject({ errorCode: 0, generationId: 1 });
  });

  it("loaded members must heartbeat within their session timeout", async () => {
    const h = await setup();
    const a = await stableSingle(h, "g", { sessionTimeoutMs: 30_000 });
    const { coord, time } = await reload(h.log);
    time.advance(30_000);
    await flush();
    expect(
      await coord.heartbeat({ groupId: "g", generationId: 1, memberId: a.memberId, groupInstanceId: null }),
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await coord.describeGroups(["g"]))[0]!.groupState).toBe("Empty");
  });

  it("skips undecodable records instead of failing the load", async () => {
    const log = new MemoryLog();
    const good = {
      key: offsetCommitKey("g", "t", 0),
      value: offsetCommitValue({
        offset: 3n,
        leaderEpoch: -1,
        metadata: "",
        commitTimestamp: 1,
        expireTimestamp: null,
      }),
    };
    const p = new GroupCoordinator({ writer: log }).partitionFor("g");
    log.partitions.set(p, [
      { key: Buffer.from([0, 1, 0]), value: Buffer.from([1]) },
      { key: null, value: null },
      good,
    ]);
    const { coord } = await reload(log);
    const r = await coord.fetchOffsets({ groupId: "g", topics: null, requireStable: false });
    expect(r.topics[0]!.partitions[0]!.committedOffset).toBe(3n);
  });

  it("COORDINATOR_LOAD_IN_PROGRESS while loading, NOT_COORDINATOR when not owned", async () => {
    const time = new ManualTime();
    const log = new MemoryLog();
    const coord = new GroupCoordinator({
      writer: log,
      time,
      config: { "group.initial.rebalance.delay.ms": 0 },
    });
    const p = coord.partitionFor("g");
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* records(): AsyncGenerator<LogRecord> {
      await gate;
      yield {
        key: offsetCommitKey("g", "t", 0),
        value: offsetCommitValue({
          offset: 77n,
          leaderEpoch: -1,
          metadata: "",
          commitTimestamp: 1,
          expireTimestamp: null,
        }),
      };
    }
    const loading = coord.onPartitionLoad(p, records());
    const member = { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null };
    expect(coord.isLoading(p)).toBe(true);
    expect((await coord.joinGroup(joinReq("g"))).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    const commit = await coord.commitOffsets({
      ...member,
      topics: [
        {
          name: "t",
          partitions: [
            { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await coord.fetchOffsets({ groupId: "g", topics: null, requireStable: false })).errorCode).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    );
    expect((await coord.describeGroups(["g"]))[0]!.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await coord.deleteGroups(["g"]))[0]!.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await coord.leaveGroup({ groupId: "g", members: [] })).errorCode).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    );
    expect((await coord.listGroups()).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    // Kafka's choices for these two: rejoin (SyncGroup) and a blind success (Heartbeat).
    expect(
      (
        await coord.syncGroup({
          ...member,
          apiVersion: 3,
          protocolType: null,
          protocolName: null,
          assignments: [],
        })
      ).errorCode,
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await coord.heartbeat(member)).toBe(ErrorCode.NONE);
    // Another partition is simply not ours.
    const other = ["a", "b", "c", "d"].find((id) => coord.partitionFor(id) !== p)!;
    expect((await coord.joinGroup(joinReq(other))).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(await coord.heartbeat({ ...member, groupId: other })).toBe(ErrorCode.NOT_COORDINATOR);
    release();
    await loading;
    expect(coord.isLoading(p)).toBe(false);
    const fetched = await coord.fetchOffsets({ groupId: "g", topics: null, requireStable: false });
    expect(fetched.topics[0]!.partitions[0]!.committedOffset).toBe(77n);
    expect((await coord.joinGroup(joinReq("g"))).errorCode).toBe(0);
  });

  it("unloading a partition while it loads abandons the load", async () => {
    const coord = new GroupCoordinator({ writer: new MemoryLog(), time: new ManualTime() });
    const p = coord.partitionFor("g");
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* records(): AsyncGenerator<LogRecord> {
      await gate;
      yield { key: offsetCommitKey("g", "t", 0), value: null };
    }
    const loading = coord.onPartitionLoad(p, records());
    coord.onPartitionUnload(p);
    release();
    await loading;
    expect(coord.isLoading(p)).toBe(false);
    expect(coord.ownsPartition(p)).toBe(false);
    expect((await coord.fetchOffsets({ groupId: "g", topics: null, requireStable: false })).errorCode).toBe(
      ErrorCode.NOT_COORDINATOR,
    );
  });

  it("unloading answers parked requests with NOT_COORDINATOR; shutdown makes the coordinator unavailable", async () => {
    const h = await setup();
    const a = await stableSingle(h, "g");
    const b = track(h.coord.joinGroup(joinReq("g", { clientId: "b" })));
    await flush();
    h.coord.onPartitionUnload(h.coord.partitionFor("g"));
    await flush();
    expect(b.value!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(
      await h.coord.heartbeat({ groupId: "g", generationId: 1, memberId: a.memberId, groupInstanceId: null }),
    ).toBe(ErrorCode.NOT_COORDINATOR);
    h.coord.shutdown();
    expect((await h.coord.joinGroup(joinReq("x"))).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect((await h.coord.listGroups()).errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(h.time.pendingTasks()).toBe(0);
  });
});
