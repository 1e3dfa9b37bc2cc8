import { describe, expect, it } from "vitest";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { flush, type Harness, joinReq, setup, syncReq, track } from "./harness.js";

const G = "static-group";

/** Two static members (ia leader, ib follower), Stable at generation 1. */
async function staticPair(h: Harness, apiVersion = 5) {
  const aJ = track(h.coord.joinGroup(joinReq(G, { apiVersion, groupInstanceId: "ia", clientId: "a" })));
  const bJ = track(h.coord.joinGroup(joinReq(G, { apiVersion, groupInstanceId: "ib", clientId: "b" })));
  h.time.advance(3000); // initial delay
  await flush();
  h.time.advance(3000); // second round: b arrived during the first
  await flush();
  const a = aJ.value!;
  const b = bJ.value!;
  expect(a.generationId).toBe(1);
  const bSync = h.coord.syncGroup(syncReq(G, b, { groupInstanceId: "ib" }));
  await h.coord.syncGroup(
    syncReq(G, a, {
      groupInstanceId: "ia",
      assignments: [
        { memberId: a.memberId, assignment: Buffer.from("A") },
        { memberId: b.memberId, assignment: Buffer.from("B") },
      ],
    }),
  );
  await bSync;
  return { a, b };
}

describe("static membership", () => {
  it("a restarted static follower gets a new member id, the same generation and no rebalance", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const { a, b } = await staticPair(h);
    const appended = h.log.all().length;
    const b2 = await h.coord.joinGroup(joinReq(G, { apiVersion: 5, groupInstanceId: "ib", clientId: "b" }));
    expect(b2.errorCode).toBe(0);
    expect(b2.memberId).not.toBe(b.memberId);
    expect(b2.generationId).toBe(1);
    expect(b2.leader).toBe(a.memberId);
    expect(h.log.all().length).toBe(appended + 1); // the new member id was persisted
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("Stable");
    // Its assignment is still there.
    const s = await h.coord.syncGroup(syncReq(G, b2, { groupInstanceId: "ib" }));
    expect(s.assignment.toString()).toBe("B");
    // The leader was not disturbed.
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: "ia" }),
    ).toBe(0);
  });

  it("the old instance is fenced with FENCED_INSTANCE_ID", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const { b } = await staticPair(h);
    await h.coord.joinGroup(joinReq(G, { apiVersion: 5, groupInstanceId: "ib", clientId: "b" }));
    const old = { groupId: G, generationId: 1, memberId: b.memberId, groupInstanceId: "ib" };
    expect(await h.coord.heartbeat(old)).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await h.coord.syncGroup(syncReq(G, b, { groupInstanceId: "ib" }))).errorCode).toBe(
      ErrorCode.FENCED_INSTANCE_ID,
    );
    const commit = await h.coord.commitOffsets({
      ...old,
      topics: [
        {
          name: "t1",
          partitions: [
            { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const rejoin = await h.coord.joinGroup(
      joinReq(G, { apiVersion: 5, groupInstanceId: "ib", memberId: b.memberId }),
    );
    expect(rejoin.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    const leave = await h.coord.leaveGroup({
      groupId: G,
      members: [{ memberId: b.memberId, groupInstanceId: "ib" }],
    });
    expect(leave.members[0]!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    // An instance id the group does not know is an unknown member.
    expect(await h.coord.heartbeat({ ...old, groupInstanceId: "nobody" })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("a duplicate instance fences a parked JoinGroup of the old one", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const { a, b } = await staticPair(h);
    // The leader rejoins (a rebalance starts) and is parked until b rejoins.
    const oldA = track(
      h.coord.joinGroup(joinReq(G, { apiVersion: 5, groupInstanceId: "ia", memberId: a.memberId })),
    );
    await flush();
    expect(oldA.settled).toBe(false);
    // Another process starts with the same group.instance.id.
    const newA = track(
      h.coord.joinGroup(joinReq(G, { apiVersion: 5, groupInstanceId: "ia", clientId: "a2" })),
    );
    await flush();
    expect(oldA.value!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(oldA.value!.memberId).toBe(a.memberId);
    expect(newA.settled).toBe(false);
    const b2 = await h.coord.joinGroup(
      joinReq(G, { apiVersion: 5, groupInstanceId: "ib", memberId: b.memberId }),
    );
    await flush();
    expect(b2.generationId).toBe(2);
    expect(newA.value!.generationId).toBe(2);
    expect(newA.value!.leader).toBe(newA.value!.memberId); // leadership moved with the instance id
    expect(newA.value!.members).toHaveLength(2);
  });

  it("a duplicate during CompletingRebalance restarts the rebalance and fences the waiting sync", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const { a, b } = await staticPair(h);
    const aJ = h.coord.joinGroup(joinReq(G, { apiVersion: 5, groupInstanceId: "ia", memberId: a.memberId }));
    const bJ = await h.coord.joinGroup(
      joinReq(G, { apiVersion: 5, groupInstanceId: "ib", memberId: b.memberId }),
    );
    await aJ;
    const bSync = track(h.coord.syncGroup(syncReq(G, bJ, { groupInstanceId: "ib" })));
    await flush();
    expect(bSync.settled).toBe(false);
    void h.coord.joinGroup(joinReq(G, { apiVersion: 5, groupInstanceId: "ib", clientId: "b2" }));
    await flush();
    expect(bSync.value!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect((await h.coord.describeGroups([G]))[0]!.groupState).toBe("PreparingRebalance");
  });

  it("JoinGroup v9: a restarted static leader is told it leads but must skip the assignment", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const { a, b } = await staticPair(h, 9);
    const a2 = await h.coord.joinGroup(joinReq(G, { apiVersion: 9, groupInstanceId: "ia", clientId: "a" }));
    expect(a2.errorCode).toBe(0);
    expect(a2.memberId).not.toBe(a.memberId);
    expect(a2.skipAssignment).toBe(true);
    expect(a2.leader).toBe(a2.memberId);
    expect(a2.members.map((m) => m.groupInstanceId).sort()).toEqual(["ia", "ib"]);
    expect(a2.generationId).toBe(1);
    // Before v9 the old leader id is returned so the client does not assign.
    const h2 = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const p = await staticPair(h2, 5);
    const a3 = await h2.coord.joinGroup(joinReq(G, { apiVersion: 5, groupInstanceId: "ia", clientId: "a" }));
    expect(a3.skipAssignment).toBe(false);
    expect(a3.leader).toBe(p.a.memberId);
    expect(a3.members).toEqual([]);
    expect(b.memberId).toBeTruthy();
  });

  it("a static member that does not rejoin keeps its place through the rebalance", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const { a, b } = await staticPair(h);
    const aJoin = track(
      h.coord.joinGroup(joinReq(G, { apiVersion: 5, groupInstanceId: "ia", memberId: a.memberId })),
    );
    for (let i = 0; i < 6; i++) {
      h.time.advance(5000);
      await h.coord.heartbeat({ groupId: G, generationId: 1, memberId: b.memberId, groupInstanceId: "ib" });
    }
    await flush();
    expect(aJoin.value!.generationId).toBe(2);
    expect(aJoin.value!.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
  });

  it("a static member whose session expires is removed and triggers a rebalance", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const { a, b } = await staticPair(h);
    for (let i = 0; i < 2; i++) {
      h.time.advance(5000);
      await h.coord.heartbeat({ groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: "ia" });
    }
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: "ia" }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 1, memberId: b.memberId, groupInstanceId: "ib" }),
    ).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("LeaveGroup by instance id alone removes the static member (admin removal)", async () => {
    const h = await setup({ "group.initial.rebalance.delay.ms": 3000 });
    const { a } = await staticPair(h);
    const r = await h.coord.leaveGroup({
      groupId: G,
      members: [
        { memberId: "", groupInstanceId: "ib" },
        { memberId: "", groupInstanceId: "zz" },
      ],
    });
    expect(r.members.map((m) => m.errorCode)).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(
      await h.coord.heartbeat({ groupId: G, generationId: 1, memberId: a.memberId, groupInstanceId: "ia" }),
    ).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });
});
