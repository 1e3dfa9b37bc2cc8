import { describe, expect, it } from "vitest";
import { subscribedTopics } from "../../../broker/coordinator/group/consumer-protocol.js";
import { ManualTime } from "../../../broker/coordinator/group/time.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { flush, joinReq, setup, stableSingle, subscription, syncReq, track } from "./harness.js";

describe("persistence failures", () => {
  it("a failed assignment write fails every waiting SyncGroup and restarts the rebalance", async () => {
    const h = await setup();
    const a0 = await stableSingle(h, "g");
    const bJoin = h.coord.joinGroup(joinReq("g", { clientId: "b" }));
    const a = await h.coord.joinGroup(joinReq("g", { memberId: a0.memberId }));
    const b = await bJoin;
    const bSync = track(h.coord.syncGroup(syncReq("g", b)));
    h.log.failWith = ErrorCode.NOT_LEADER_OR_FOLLOWER;
    const aSync = await h.coord.syncGroup(
      syncReq("g", a, { assignments: [{ memberId: a.memberId, assignment: Buffer.from("x") }] }),
    );
    await flush();
    expect(aSync.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(bSync.value!.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect((await h.coord.describeGroups(["g"]))[0]!.groupState).toBe("PreparingRebalance");
  });

  it("a failed write of a restarted static member keeps the old member id", async () => {
    const h = await setup();
    const a = await stableSingle(h, "g", { apiVersion: 5, groupInstanceId: "i" });
    h.log.failWith = ErrorCode.NOT_ENOUGH_REPLICAS;
    const r = await h.coord.joinGroup(joinReq("g", { apiVersion: 5, groupInstanceId: "i" }));
    expect(r.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(r.memberId).toBe("");
    h.log.failWith = null;
    expect(
      await h.coord.heartbeat({ groupId: "g", generationId: 1, memberId: a.memberId, groupInstanceId: "i" }),
    ).toBe(0);
  });

  it("a writer error without a Kafka code is an UNKNOWN_SERVER_ERROR for commits", async () => {
    const h = await setup();
    h.log.append = async () => {
      throw new Error("disk on fire");
    };
    const r = await h.coord.commitOffsets({
      groupId: "g",
      generationId: -1,
      memberId: "",
      groupInstanceId: null,
      topics: [
        {
          name: "t",
          partitions: [
            { partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        },
      ],
    });
    expect(r.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  });
});

describe("ManualTime", () => {
  it("runs due tasks in time order, including tasks scheduled by tasks, and honours cancel", () => {
    const t = new ManualTime(0);
    const seen: string[] = [];
    t.schedule(20, () => seen.push(`b@${t.now()}`));
    t.schedule(10, () => {
      seen.push(`a@${t.now()}`);
      t.schedule(5, () => seen.push(`a2@${t.now()}`));
    });
    const cancel = t.schedule(12, () => seen.push("never"));
    cancel();
    t.advance(9);
    expect(seen).toEqual([]);
    t.advance(100);
    expect(seen).toEqual(["a@10", "a2@15", "b@20"]);
    expect(t.now()).toBe(109);
    expect(t.pendingTasks()).toBe(0);
  });
});

describe("consumer protocol subscription", () => {
  it("reads subscribed topics and rejects garbage", () => {
    expect(subscribedTopics(subscription(["a", "bb"]))).toEqual(["a", "bb"]);
    expect(subscribedTopics(Buffer.from([0, 1, 0, 0, 0, 9]))).toBeNull();
    expect(subscribedTopics(Buffer.alloc(0))).toBeNull();
    expect(subscribedTopics(Buffer.from([0xff, 0xff, 0, 0, 0, 0]))).toBeNull();
  });
});
