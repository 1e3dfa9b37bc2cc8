import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { flush, joinReq, setup, stableSingle, subscription, syncReq, track } from "./harness.js";

const G = "my-group";

describe("join and sync flows", () => {
  it("a single member becomes leader of generation 1 and gets its assignment", async () => {
    const h = await setup();
    const j = await h.coord.joinGroup(joinReq(G));
    expect(j.errorCode).toBe(ErrorCode.NONE);
    expect(j.generationId).toBe(1);
    expect(j.leader).toBe(j.memberId);
    expect(j.protocolType).toBe("consumer");
    expect(j.protocolName).toBe("range");
    expect(j.members.map((m) => m.memberId)).toEqual([j.memberId]);
    const s = await h.coord.syncGroup(
      syncReq(G, j, { assignments: [{ memberId: j.memberId, assignment: Buffer.from("A") }] }),
    );
    expect(s).toMatchObject({ errorCode: 0, protocolType: "consumer", protocolName: "range" });
    expect(s.assignment.toString()).toBe("A");
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 1, memberId: j.memberId, groupInstanceId: null }),
    ).toBe(0);
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("Stable");
  });

  it("MEMBER_ID_REQUIRED only from JoinGroup v4", async () => {
    const h = await setup();
    const v3 = await h.coord.joinGroup(joinReq("g3", { apiVersion: 3 }));
    expect(v3.errorCode).toBe(ErrorCode.NONE);
    const first = await h.coord.joinGroup(joinReq("g4", { apiVersion: 4 }));
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).not.toBe("");
    expect(first.generationId).toBe(-1);
    const second = await h.coord.joinGroup(joinReq("g4", { apiVersion: 4, memberId: first.memberId }));
    expect(second.errorCode).toBe(ErrorCode.NONE);
    expect(second.memberId).toBe(first.memberId);
    expect(second.generationId).toBe(1);
    // A static member never needs the extra round trip.
    const st = await h.coord.joinGroup(joinReq("g5", { apiVersion: 9, groupInstanceId: "i1" }));
    expect(st.errorCode).toBe(ErrorCode.NONE);
  });

  it("a pending member id expires after the session timeout", async () => {
    const h = await setup();
    const first = await h.coord.joinGroup(joinReq(G, { apiVersion: 5 }));
    h.time.advance(10_000);
    const late = await h.coord.joinGroup(joinReq(G, { apiVersion: 5, memberId: first.memberId }));
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("a second member triggers a rebalance; the leader assigns for both", async () => {
    const h = await setup();
    const a = await stableSingle(h, G);
    const bJoin = track(h.coord.joinGroup(joinReq(G, { clientId: "b" })));
    await flush();
    expect(bJoin.settled).toBe(false);
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: null }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const aJoin = await h.coord.joinGroup(joinReq(G, { memberId: a.memberId }));
    const b = await bJoin.promise;
    expect(aJoin.generationId).toBe(2);
    expect(b.generationId).toBe(2);
    expect(aJoin.leader).toBe(a.memberId);
    expect(b.leader).toBe(a.memberId);
    expect(aJoin.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(b.members).toEqual([]);
    // The follower's sync waits for the leader's assignment.
    const bSync = track(h.coord.syncGroup(syncReq(G, b)));
    await flush();
    expect(bSync.settled).toBe(false);
    const aSync = await h.coord.syncGroup(
      syncReq(G, aJoin, {
        assignments: [
          { memberId: a.memberId, assignment: Buffer.from("for-a") },
          { memberId: b.memberId, assignment: Buffer.from("for-b") },
        ],
      }),
    );
    expect(aSync.assignment.toString()).toBe("for-a");
    expect((await bSync.promise).assignment.toString()).toBe("for-b");
  });

  it("three members: the protocol with most votes among the common ones wins", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 100 });
    const m = (name: string) => ({ name, metadata: Buffer.from(name) });
    const p1 = track(
      h.coord.joinGroup(
        joinReq(G, { clientId: "c1", protocols: [m("range"), m("roundrobin"), m("sticky")] }),
      ),
    );
    const p2 = track(
      h.coord.joinGroup(joinReq(G, { clientId: "c2", protocols: [m("roundrobin"), m("range")] })),
    );
    const p3 = track(
      h.coord.joinGroup(joinReq(G, { clientId: "c3", protocols: [m("range"), m("roundrobin")] })),
    );
    h.time.advance(100);
    await flush();
    // Members arrived during the initial delay, so it runs one more round.
    expect(p1.settled).toBe(false);
    h.time.advance(100);
    await flush();
    const [r1, r2, r3] = [p1.value!, p2.value!, p3.value!];
    for (const r of [r1, r2, r3]) {
      expect(r.errorCode).toBe(0);
      expect(r.protocolName).toBe("range");
      expect(r.generationId).toBe(1);
      expect(r.leader).toBe(r1.memberId);
    }
    // The leader sees each member's metadata for the selected protocol.
    expect(r1.members.map((x) => x.metadata.toString())).toEqual(["range", "range", "range"]);
  });

  it("rejects members whose protocols do not fit the group", async () => {
    const h = await setup();
    await stableSingle(h, G);
    const otherType = await h.coord.joinGroup(joinReq(G, { protocolType: "connect" }));
    expect(otherType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const noCommon = await h.coord.joinGroup(
      joinReq(G, { protocols: [{ name: "sticky", metadata: Buffer.alloc(0) }] }),
    );
    expect(noCommon.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const emptyType = await h.coord.joinGroup(joinReq("fresh", { protocolType: "" }));
    expect(emptyType.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const noProtocols = await h.coord.joinGroup(joinReq("fresh2", { protocols: [] }));
    expect(noProtocols.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it("validates the session timeout and the group id", async () => {
    const h = await setup();
    expect((await h.coord.joinGroup(joinReq(G, { sessionTimeoutMs: 5999 }))).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect((await h.coord.joinGroup(joinReq(G, { sessionTimeoutMs: 1_800_001 }))).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect(await h.coord.joinGroup(joinReq("")).then((r) => r.errorCode)).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await h.coord.joinGroup(joinReq("nope", { memberId: "ghost" }))).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
  });

  it("enforces group.max.size", async () => {
    const h = await setup({ "group.max.size": 1 });
    await stableSingle(h, G);
    const r = await h.coord.joinGroup(joinReq(G, { clientId: "b" }));
    expect(r.errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
  });
});

describe("leaving, leader election and timeouts", () => {
  async function twoMembers() {
    const h = await setup();
    const a0 = await stableSingle(h, G);
    const bJoin = h.coord.joinGroup(joinReq(G, { clientId: "b" }));
    const a = await h.coord.joinGroup(joinReq(G, { memberId: a0.memberId }));
    const b = await bJoin;
    const bSync = h.coord.syncGroup(syncReq(G, b));
    await h.coord.syncGroup(syncReq(G, a, { assignments: [] }));
    await bSync;
    return { h, a, b };
  }

  it("LeaveGroup of the leader rebalances and elects the remaining member", async () => {
    const { h, a, b } = await twoMembers();
    const leave = await h.coord.leaveGroup({
      groupId: G,
      members: [{ memberId: a.memberId, groupInstanceId: null }],
    });
    expect(leave).toEqual({
      errorCode: 0,
      members: [{ memberId: a.memberId, groupInstanceId: null, errorCode: 0 }],
    });
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 2, memberId: b.memberId, groupInstanceId: null }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const rb = await h.coord.joinGroup(joinReq(G, { memberId: b.memberId }));
    expect(rb.generationId).toBe(3);
    expect(rb.leader).toBe(b.memberId);
    expect(rb.members.map((m) => m.memberId)).toEqual([b.memberId]);
  });

  it("LeaveGroup v3 takes several members and reports each", async () => {
    const { h, a, b } = await twoMembers();
    const leave = await h.coord.leaveGroup({
      groupId: G,
      members: [
        { memberId: a.memberId, groupInstanceId: null },
        { memberId: "ghost", groupInstanceId: null },
        { memberId: b.memberId, groupInstanceId: null },
      ],
    });
    expect(leave.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID, 0]);
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("Empty");
    // The emptied group was persisted (a group record with no members).
    expect(h.log.all().length).toBeGreaterThan(0);
    const missing = await h.coord.leaveGroup({
      groupId: "none",
      members: [{ memberId: "x", groupInstanceId: null }],
    });
    expect(missing.members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("a member whose session expires is removed and the group rebalances", async () => {
    const { h, a, b } = await twoMembers();
    h.time.advance(6000);
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 2, memberId: a.memberId, groupInstanceId: null }),
    ).toBe(0);
    h.time.advance(4000); // b silent for 10 s = its session timeout
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 2, memberId: a.memberId, groupInstanceId: null }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 2, memberId: b.memberId, groupInstanceId: null }),
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const ra = await h.coord.joinGroup(joinReq(G, { memberId: a.memberId }));
    expect(ra.generationId).toBe(3);
    expect(ra.members.map((m) => m.memberId)).toEqual([a.memberId]);
  });

  it("the last member's expiry leaves the group Empty", async () => {
    const h = await setup();
    await stableSingle(h, G);
    h.time.advance(9999);
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("Stable");
    h.time.advance(1);
    await flush();
    const d = (await h.coord.describeGroups([G]))[0]!;
    expect(d.groupState).toBe("Empty");
    expect(d.members).toEqual([]);
  });

  it("the rebalance timeout drops a member that does not rejoin", async () => {
    const { h, a, b } = await twoMembers();
    const aJoin = track(h.coord.joinGroup(joinReq(G, { memberId: a.memberId }))); // leader forces a rebalance
    // b keeps its session alive with heartbeats but never rejoins.
    for (let t = 0; t < 5; t++) {
      h.time.advance(5000);
      await flush();
      expect(aJoin.settled).toBe(false);
      expect(
        await h.coord.heartbeat({ groupId: G, generationId: 2, memberId: b.memberId, groupInstanceId: null }),
      ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    h.time.advance(5000); // 30 s = rebalance timeout
    await flush();
    expect(aJoin.settled).toBe(true);
    expect(aJoin.value!.generationId).toBe(3);
    expect(aJoin.value!.members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 3, memberId: b.memberId, groupInstanceId: null }),
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("a leader that never syncs is removed after the rebalance timeout; waiting followers must rejoin", async () => {
    const h = await setup();
    const a0 = await stableSingle(h, G);
    const bJoin = h.coord.joinGroup(joinReq(G, { clientId: "b" }));
    await h.coord.joinGroup(joinReq(G, { memberId: a0.memberId }));
    const b = await bJoin;
    const a = (await h.coord.describeGroups([G]))[0]!.members.find((m) => m.memberId !== b.memberId)!;
    const bSync = track(h.coord.syncGroup(syncReq(G, b)));
    // The leader keeps its session alive but never sends SyncGroup.
    for (let t = 0; t < 5; t++) {
      h.time.advance(5000);
      expect(
        await h.coord.heartbeat({ groupId: G, generationId: 2, memberId: a.memberId, groupInstanceId: null }),
      ).toBe(0);
    }
    h.time.advance(4999);
    await flush();
    expect(bSync.settled).toBe(false);
    h.time.advance(1);
    await flush();
    expect(bSync.value!.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(bSync.value!.assignment).toEqual(Buffer.alloc(0));
    const d = (await h.coord.describeGroups([G]))[0]!;
    expect(d.groupState).toBe("PreparingRebalance");
    expect(d.members.map((m) => m.memberId)).toEqual([b.memberId]);
  });

  it("delays the first generation by group.initial.rebalance.delay.ms, extended while members arrive", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const a = track(h.coord.joinGroup(joinReq(G, { rebalanceTimeoutMs: 10_000 })));
    h.time.advance(1000);
    const b = track(h.coord.joinGroup(joinReq(G, { clientId: "b", rebalanceTimeoutMs: 10_000 })));
    h.time.advance(1999);
    await flush();
    expect(a.settled).toBe(false);
    h.time.advance(1); // t = 3000: a member arrived during the delay, so wait another round
    await flush();
    expect(a.settled).toBe(false);
    h.time.advance(2999);
    await flush();
    expect(a.settled).toBe(false);
    h.time.advance(1); // t = 6000
    await flush();
    expect(a.value!.generationId).toBe(1);
    expect(b.value!.generationId).toBe(1);
    expect(a.value!.members).toHaveLength(2);
  });

  it("a lone first member waits exactly the initial delay", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const a = track(h.coord.joinGroup(joinReq(G)));
    h.time.advance(2999);
    await flush();
    expect(a.settled).toBe(false);
    h.time.advance(1);
    await flush();
    expect(a.value!.generationId).toBe(1);
  });

  it("a new member that never completes its join is dropped after 5 minutes", async () => {
    const h = await setup();
    const { a } = await twoMembersLikeStatic(h);
    // a static member a is Stable; a dynamic newcomer joins while a keeps heartbeating but never rejoins
    const n = track(
      h.coord.joinGroup(
        joinReq(G, { clientId: "n", rebalanceTimeoutMs: 600_000, sessionTimeoutMs: 600_000 }),
      ),
    );
    for (let t = 0; t < 35; t++) {
      h.time.advance(9000);
      await h.coord.heartbeat({
        groupId: G,
        generationId: a.generationId,
        memberId: a.memberId,
        groupInstanceId: "ia",
      });
      await flush();
      if (t < 33) expect(n.settled).toBe(false); // 33 * 9 s < 300 s
    }
    await flush();
    expect(n.settled).toBe(true);
    expect(n.value!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

async function twoMembersLikeStatic(h: Awaited<ReturnType<typeof setup>>) {
  const a = await stableSingle(h, G, { groupInstanceId: "ia", apiVersion: 5 });
  return { a };
}

describe("sync and heartbeat errors", () => {
  it("SyncGroup: ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, protocol checks only from v5", async () => {
    const h = await setup();
    const a = await stableSingle(h, G);
    expect((await h.coord.syncGroup(syncReq(G, a, { generationId: 7 }))).errorCode).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect((await h.coord.syncGroup(syncReq(G, a, { memberId: "ghost" }))).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    expect((await h.coord.syncGroup(syncReq("none", a))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const wrongName = { protocolType: "consumer", protocolName: "roundrobin" };
    expect((await h.coord.syncGroup(syncReq(G, a, { apiVersion: 5, ...wrongName }))).errorCode).toBe(
      ErrorCode.INCONSISTENT_GROUP_PROTOCOL,
    );
    expect(
      (await h.coord.syncGroup(syncReq(G, a, { apiVersion: 5, protocolType: "connect" }))).errorCode,
    ).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const v4 = await h.coord.syncGroup(syncReq(G, a, { apiVersion: 4, ...wrongName }));
    expect(v4.errorCode).toBe(0);
    expect(v4.assignment.toString()).toBe("a1");
    const v5 = await h.coord.syncGroup(
      syncReq(G, a, { apiVersion: 5, protocolType: "consumer", protocolName: "range" }),
    );
    expect(v5.errorCode).toBe(0);
  });

  it("SyncGroup during a rebalance answers REBALANCE_IN_PROGRESS", async () => {
    const h = await setup();
    const a = await stableSingle(h, G);
    void h.coord.joinGroup(joinReq(G, { clientId: "b" }));
    expect((await h.coord.syncGroup(syncReq(G, a))).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it("Heartbeat: unknown group, unknown member, illegal generation", async () => {
    const h = await setup();
    const a = await stableSingle(h, G);
    const hb = (over: object) =>
      h.coord.heartbeat({
        groupId: G,
        generationId: 1,
        memberId: a.memberId,
        groupInstanceId: null,
        ...over,
      });
    expect(await hb({ groupId: "none" })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await hb({ memberId: "ghost" })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await hb({ generationId: 0 })).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await hb({})).toBe(0);
  });

  it("a follower rejoining with unchanged metadata in Stable gets the current generation, no rebalance", async () => {
    const h = await setup();
    const a0 = await stableSingle(h, G);
    const bJoin = h.coord.joinGroup(joinReq(G, { clientId: "b" }));
    const a = await h.coord.joinGroup(joinReq(G, { memberId: a0.memberId }));
    const b = await bJoin;
    const bs = h.coord.syncGroup(syncReq(G, b));
    await h.coord.syncGroup(syncReq(G, a));
    await bs;
    const again = await h.coord.joinGroup(joinReq(G, { clientId: "b", memberId: b.memberId }));
    expect(again).toMatchObject({ errorCode: 0, generationId: 2, leader: a.memberId, members: [] });
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("Stable");
    // Changed metadata forces a rebalance.
    const changed = track(
      h.coord.joinGroup(
        joinReq(G, {
          clientId: "b",
          memberId: b.memberId,
          protocols: [{ name: "range", metadata: subscription(["t2"]) }],
        }),
      ),
    );
    await flush();
    expect(changed.settled).toBe(false);
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("PreparingRebalance");
  });
});
