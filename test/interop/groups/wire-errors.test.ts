import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode } from "../../../protocol/errors/index.js";
import type { ApiKeyNumber, RequestByKey, ResponseByKey } from "../../../protocol/framing.js";
import type { BrokerProcess } from "../../harness/broker-process.js";
import { RawClient } from "../broker/raw-client.js";
import { kafkaFor, produceSpread, startGroupBroker } from "./helpers.js";

/**
 * The group APIs at the wire level, with exact Kafka error codes: unknown member, illegal
 * generation, fenced static instance, MEMBER_ID_REQUIRED (v4+), batched FindCoordinator, the
 * old-version shapes (LeaveGroup v0, OffsetFetch v1) and the admin APIs' error answers.
 */
let broker: BrokerProcess;
let client: RawClient;

/** RawClient with a deadline per call, so a closed connection fails the test instead of hanging it. */
const raw = {
  send<K extends ApiKeyNumber>(apiKey: K, version: number, body: RequestByKey[K]): Promise<ResponseByKey[K]> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`api ${apiKey} v${version}: no response`)), 15_000);
    });
    return Promise.race([client.send(apiKey, version, body), deadline]).finally(() => clearTimeout(timer));
  },
};

beforeAll(async () => {
  broker = await startGroupBroker({ "num.partitions": "2" });
  await produceSpread(kafkaFor(broker.bootstrap), "wire-t", 2, 4);
  client = await RawClient.open(broker.port);
});

afterAll(async () => {
  client?.close();
  await broker?.stop();
  broker?.cleanup();
});

const PROTOCOLS = [{ name: "range", metadata: Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]) }];

function join(groupId: string, memberId: string, groupInstanceId: string | null = null, version = 5) {
  return raw.send(11, version, {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    memberId,
    groupInstanceId,
    protocolType: "consumer",
    protocols: PROTOCOLS,
    reason: null,
  });
}

function heartbeat(
  groupId: string,
  generationId: number,
  memberId: string,
  groupInstanceId: string | null = null,
) {
  return raw.send(12, 4, { groupId, generationId, memberId, groupInstanceId });
}

/** Join (two steps from v4: MEMBER_ID_REQUIRED first) and sync as the only member. */
async function joinAndSync(groupId: string, groupInstanceId: string | null = null) {
  let j = await join(groupId, "", groupInstanceId);
  if (j.errorCode === ErrorCode.MEMBER_ID_REQUIRED) j = await join(groupId, j.memberId, groupInstanceId);
  expect(j.errorCode).toBe(ErrorCode.NONE);
  const s = await raw.send(14, 5, {
    groupId,
    generationId: j.generationId,
    memberId: j.memberId,
    groupInstanceId,
    protocolType: "consumer",
    protocolName: "range",
    assignments: [{ memberId: j.memberId, assignment: Buffer.from("a") }],
  });
  expect(s.errorCode).toBe(ErrorCode.NONE);
  expect(s.assignment.toString()).toBe("a");
  return j;
}

describe("group APIs at the wire level", () => {
  it("FindCoordinator answers single keys (v0, v3) and batched keys (v4+)", async () => {
    const v0 = await raw.send(10, 0, { key: "wire-g", keyType: 0, coordinatorKeys: [] });
    expect(v0).toMatchObject({ errorCode: 0, host: "127.0.0.1", port: broker.port, nodeId: 1 });
    const v3 = await raw.send(10, 3, { key: "wire-g", keyType: 0, coordinatorKeys: [] });
    expect(v3).toMatchObject({ errorCode: 0, port: broker.port });
    const v4 = await raw.send(10, 4, { key: "", keyType: 0, coordinatorKeys: ["a", "b", "c"] });
    expect(v4.coordinators.map((c) => [c.key, c.errorCode, c.port])).toEqual([
      ["a", 0, broker.port],
      ["b", 0, broker.port],
      ["c", 0, broker.port],
    ]);
    // Transactional ids (key type 1) are located the same way, on __transaction_state.
    const txn = await raw.send(10, 4, { key: "", keyType: 1, coordinatorKeys: ["tx-1", ""] });
    expect(txn.coordinators.map((c) => [c.key, c.errorCode, c.port])).toEqual([
      ["tx-1", 0, broker.port],
      ["", ErrorCode.INVALID_REQUEST, -1],
    ]);
    const bad = await raw.send(10, 4, { key: "", keyType: 7, coordinatorKeys: ["a"] });
    expect(bad.coordinators[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it("JoinGroup v4+ asks for a member id first; v0 joins directly", async () => {
    const first = await join("wire-join", "", null, 4);
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).not.toBe("");
    const v0 = await join("wire-join-v0", "", null, 0);
    expect(v0.errorCode).toBe(ErrorCode.NONE);
    expect(v0.leader).toBe(v0.memberId);
    expect(v0.protocolName).toBe("range");
    const bad = await raw.send(11, 5, {
      groupId: "wire-join-bad",
      sessionTimeoutMs: 1,
      rebalanceTimeoutMs: 1000,
      memberId: "",
      groupInstanceId: null,
      protocolType: "consumer",
      protocols: PROTOCOLS,
      reason: null,
    });
    expect(bad.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
  });

  it("Heartbeat: UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, then NONE", async () => {
    const j = await joinAndSync("wire-hb");
    expect((await heartbeat("wire-hb", j.generationId, "nobody")).errorCode).toBe(
      ErrorCode.UNKNOWN_MEMBER_ID,
    );
    expect((await heartbeat("wire-hb", j.generationId + 5, j.memberId)).errorCode).toBe(
      ErrorCode.ILLEGAL_GENERATION,
    );
    expect((await heartbeat("wire-hb", j.generationId, j.memberId)).errorCode).toBe(ErrorCode.NONE);
    // OffsetCommit with a stale generation is refused the same way.
    const c = await raw.send(8, 8, {
      groupId: "wire-hb",
      generationIdOrMemberEpoch: j.generationId + 1,
      memberId: j.memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: "wire-t",
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: null,
            },
          ],
        },
      ],
    });
    expect(c.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
  });

  it("a static member replaced by a new join of its instance id is fenced", async () => {
    const old = await joinAndSync("wire-static", "inst-1");
    const again = await join("wire-static", "", "inst-1");
    expect(again.errorCode).toBe(ErrorCode.NONE);
    expect(again.memberId).not.toBe(old.memberId);
    // Same generation: a known static member rejoining does not rebalance the group.
    expect(again.generationId).toBe(old.generationId);
    const fenced = await heartbeat("wire-static", old.generationId, old.memberId, "inst-1");
    expect(fenced.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it("LeaveGroup v0 reports the member's error on top; v3 per member", async () => {
    const v0 = await raw.send(13, 0, { groupId: "wire-hb", memberId: "nobody", members: [] });
    expect(v0.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const v3 = await raw.send(13, 3, {
      groupId: "wire-hb",
      memberId: "",
      members: [{ memberId: "nobody", groupInstanceId: null, reason: null }],
    });
    expect(v3.errorCode).toBe(ErrorCode.NONE);
    expect(v3.members).toEqual([
      { memberId: "nobody", groupInstanceId: null, errorCode: ErrorCode.UNKNOWN_MEMBER_ID },
    ]);
  });

  it("commits and fetches offsets across versions; unknown topics are refused", async () => {
    const part = (partitionIndex: number, committedOffset: bigint) => ({
      partitionIndex,
      committedOffset,
      committedLeaderEpoch: -1,
      commitTimestamp: -1n,
      committedMetadata: "meta",
    });
    // v0: a simple commit (no generation, no member) into a group nobody joined.
    const c0 = await raw.send(8, 0, {
      groupId: "wire-simple",
      generationIdOrMemberEpoch: -1,
      memberId: "",
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        { name: "wire-t", partitions: [part(0, 3n), part(1, 1n)] },
        { name: "no-such-topic", partitions: [part(0, 1n)] },
      ],
    });
    expect(c0.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)])).toEqual([
      ["wire-t", [0, 0]],
      ["no-such-topic", [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]],
    ]);
    const f1 = await raw.send(9, 1, {
      groupId: "wire-simple",
      topics: [{ name: "wire-t", partitionIndexes: [0, 1] }],
      groups: [],
      requireStable: false,
    });
    expect(f1.topics[0]!.partitions.map((p) => [p.committedOffset, p.metadata])).toEqual([
      [3n, "meta"],
      [1n, "meta"],
    ]);
    // v7 with null topics: every partition with an offset; require_stable accepted.
    const f7 = await raw.send(9, 7, {
      groupId: "wire-simple",
      topics: null,
      groups: [],
      requireStable: true,
    });
    expect(f7.errorCode).toBe(0);
    expect(
      f7.topics
        .flatMap((t) => t.partitions.map((p) => `${t.name}-${p.partitionIndex}:${p.committedOffset}`))
        .sort(),
    ).toEqual(["wire-t-0:3", "wire-t-1:1"]);
    // v8: several groups in one request; a group without offsets answers -1 with "" metadata.
    const f8 = await raw.send(9, 8, {
      groupId: "",
      topics: [],
      groups: [
        {
          groupId: "wire-simple",
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: "wire-t", partitionIndexes: [0] }],
        },
        {
          groupId: "wire-nothing",
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: "wire-t", partitionIndexes: [0] }],
        },
      ],
      requireStable: false,
    });
    expect(
      f8.groups.map((g) => [g.groupId, g.errorCode, g.topics[0]!.partitions[0]!.committedOffset]),
    ).toEqual([
      ["wire-simple", 0, 3n],
      ["wire-nothing", 0, -1n],
    ]);
    expect(f8.groups[1]!.topics[0]!.partitions[0]!.metadata).toBe("");
  });

  it("OffsetDelete, DeleteGroups, DescribeGroups and ListGroups answer like Kafka", async () => {
    const del = await raw.send(47, 0, {
      groupId: "wire-simple",
      topics: [
        { name: "wire-t", partitions: [{ partitionIndex: 1 }, { partitionIndex: 9 }] },
        { name: "no-such-topic", partitions: [{ partitionIndex: 0 }] },
      ],
    });
    expect(del.errorCode).toBe(0);
    expect(del.topics.map((t) => t.partitions.map((p) => p.errorCode))).toEqual([
      [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const left = await raw.send(9, 7, {
      groupId: "wire-simple",
      topics: null,
      groups: [],
      requireStable: false,
    });
    expect(left.topics.flatMap((t) => t.partitions.map((p) => p.partitionIndex))).toEqual([0]);

    const dg = await raw.send(42, 2, { groupsNames: ["wire-simple", "wire-hb", "never-existed"] });
    expect(dg.results.map((r) => [r.groupId, r.errorCode])).toEqual([
      ["wire-simple", 0],
      ["wire-hb", ErrorCode.NON_EMPTY_GROUP],
      ["never-existed", ErrorCode.GROUP_ID_NOT_FOUND],
    ]);

    const d = await raw.send(15, 5, {
      groups: ["wire-hb", "wire-simple"],
      includeAuthorizedOperations: true,
    });
    expect(d.groups.map((g) => [g.groupId, g.groupState, g.members.length])).toEqual([
      ["wire-hb", "Stable", 1],
      ["wire-simple", "Dead", 0],
    ]);
    expect(d.groups[0]!.protocolData).toBe("range");
    expect(d.groups[0]!.members[0]!.memberAssignment.toString()).toBe("a");

    const stable = await raw.send(16, 5, { statesFilter: ["stable"], typesFilter: [] });
    const ids = stable.groups.map((g) => g.groupId);
    expect(ids).toContain("wire-hb");
    expect(ids).not.toContain("wire-simple");
    expect(stable.groups.every((g) => g.groupState === "Stable" && g.groupType === "classic")).toBe(true);
  });

  it("Metadata lists __consumer_offsets as an internal topic", async () => {
    const m = await raw.send(3, 12, {
      topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name: "__consumer_offsets" }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(m.topics[0]).toMatchObject({ name: "__consumer_offsets", isInternal: true, errorCode: 0 });
    expect(m.topics[0]!.partitions).toHaveLength(10);
  });
});
