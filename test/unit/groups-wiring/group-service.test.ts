import { afterEach, describe, expect, it } from "vitest";
import { clientHostOf } from "../../../broker/api/join-group.js";
import { decodeRecord } from "../../../broker/coordinator/group/index.js";
import {
  GROUP_METADATA_TOPIC,
  groupConfigFromProps,
  partitionRecords,
} from "../../../broker/coordinator/group-service.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { buildControlBatch, ControlType } from "../../../protocol/records/control.js";
import { gatedLogs, openStack, removeDir, type Stack } from "./stack.js";

/**
 * GroupService on the broker's real storage and controller: topic creation on first lookup,
 * records appended to __consumer_offsets and read back after a restart, the loading window
 * (COORDINATOR_LOAD_IN_PROGRESS), and unloading when the topic goes away.
 */
const open: Stack[] = [];
const dirs: string[] = [];

async function stack(...args: Parameters<typeof openStack>): Promise<Stack> {
  const s = await openStack(...args);
  open.push(s);
  if (!dirs.includes(s.dir)) dirs.push(s.dir);
  return s;
}

async function closeAll(): Promise<void> {
  for (const s of open.splice(0)) await s.close();
}

afterEach(async () => {
  await closeAll();
  for (const d of dirs.splice(0)) removeDir(d);
});

const PROTOCOLS = [{ name: "range", metadata: Buffer.from([0, 0, 0, 0, 0, 0]) }];

function simpleCommit(groupId: string, offset: bigint) {
  return {
    groupId,
    generationId: -1,
    memberId: "",
    groupInstanceId: null,
    topics: [
      {
        name: "t",
        partitions: [
          { partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: "m" },
        ],
      },
    ],
  };
}

describe("GroupService", () => {
  it("creates a compacted __consumer_offsets on the first coordinator lookup and owns its partitions", async () => {
    const s = await stack();
    expect(s.controller.image.topic(GROUP_METADATA_TOPIC)).toBeUndefined();
    // Before the topic exists nothing is owned: requests get NOT_COORDINATOR.
    expect(
      (await s.groups.coordinator.fetchOffsets({ groupId: "g", topics: null, requireStable: false }))
        .errorCode,
    ).toBe(ErrorCode.NOT_COORDINATOR);
    const [a, b] = await Promise.all([s.groups.findCoordinator("g"), s.groups.findCoordinator("h")]);
    expect(a).toEqual({ errorCode: 0, nodeId: 1 });
    expect(b).toEqual({ errorCode: 0, nodeId: 1 });
    const topic = s.controller.image.topic(GROUP_METADATA_TOPIC)!;
    expect(topic.partitions.size).toBe(4);
    expect(topic.configs.get("cleanup.policy")).toBe("compact");
    for (let p = 0; p < 4; p++) expect(s.groups.coordinator.ownsPartition(p)).toBe(true);
  });

  it("writes Kafka's record schemas and reloads groups and offsets after a restart", async () => {
    const s = await stack();
    await s.groups.ensureTopic();
    const coord = s.groups.coordinator;
    const joining = coord.joinGroup({
      apiVersion: 5,
      groupId: "g",
      memberId: "",
      groupInstanceId: "inst",
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: "consumer",
      protocols: PROTOCOLS,
      clientId: "c",
      clientHost: "/127.0.0.1",
    });
    s.time.advance(5_000); // the initial rebalance delay
    const j = await joining;
    expect(j.errorCode).toBe(0);
    const sync = await coord.syncGroup({
      apiVersion: 5,
      groupId: "g",
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: "inst",
      protocolType: "consumer",
      protocolName: "range",
      assignments: [{ memberId: j.memberId, assignment: Buffer.from("A") }],
    });
    expect(sync.errorCode).toBe(0);
    const commit = await coord.commitOffsets({
      ...simpleCommit("g", 42n),
      generationId: j.generationId,
      memberId: j.memberId,
    });
    expect(commit.topics[0]!.partitions[0]!.errorCode).toBe(0);

    // The group's partition holds a group record (key v2) and an offset record (key v1).
    const log = s.store.getLog(GROUP_METADATA_TOPIC, coord.partitionFor("g"))!;
    const kinds: string[] = [];
    for await (const r of partitionRecords(log)) kinds.push(decodeRecord(r.key!, r.value).kind);
    expect(kinds).toContain("group");
    expect(kinds).toContain("offset");

    const dir = s.dir;
    await closeAll();
    const again = await stack(dir);
    await again.groups.whenLoaded();
    const fetched = await again.groups.coordinator.fetchOffsets({
      groupId: "g",
      topics: [{ name: "t", partitionIndexes: [0] }],
      requireStable: false,
    });
    expect(fetched.topics[0]!.partitions[0]).toMatchObject({
      committedOffset: 42n,
      metadata: "m",
      errorCode: 0,
    });
    const [described] = await again.groups.coordinator.describeGroups(["g"]);
    expect(described!.groupState).toBe("Stable");
    expect(described!.members.map((m) => [m.memberId, m.groupInstanceId])).toEqual([[j.memberId, "inst"]]);
    expect(described!.members[0]!.memberAssignment.toString()).toBe("A");
  });

  it("answers COORDINATOR_LOAD_IN_PROGRESS while a partition is loading", async () => {
    const s = await stack();
    await s.groups.ensureTopic();
    await s.groups.coordinator.commitOffsets(simpleCommit("g", 7n));
    const dir = s.dir;
    await closeAll();

    let gate!: ReturnType<typeof gatedLogs>;
    const again = await stack(dir, {}, (store) => {
      gate = gatedLogs(store);
      return gate.logs;
    });
    const coord = again.groups.coordinator;
    const p = coord.partitionFor("g");
    expect(coord.isLoading(p)).toBe(true);
    expect((await coord.fetchOffsets({ groupId: "g", topics: null, requireStable: false })).errorCode).toBe(
      ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
    );
    const join = await coord.joinGroup({
      apiVersion: 5,
      groupId: "g",
      memberId: "",
      groupInstanceId: null,
      sessionTimeoutMs: 10_000,
      rebalanceTimeoutMs: 10_000,
      protocolType: "consumer",
      protocols: PROTOCOLS,
      clientId: "c",
      clientHost: "/127.0.0.1",
    });
    expect(join.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    expect((await coord.listGroups()).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);

    gate.release();
    await again.groups.whenLoaded();
    expect(coord.isLoading(p)).toBe(false);
    const fetched = await coord.fetchOffsets({ groupId: "g", topics: null, requireStable: false });
    expect(fetched.errorCode).toBe(0);
    expect(fetched.topics[0]!.partitions[0]!.committedOffset).toBe(7n);
  });

  it("uses the existing topic's partition count over a changed config", async () => {
    const s = await stack();
    await s.groups.ensureTopic();
    const dir = s.dir;
    await closeAll();
    const again = await stack(dir, { "offsets.topic.num.partitions": "10" });
    expect(again.groups.coordinator.config["offsets.topic.num.partitions"]).toBe(4);
  });

  it("unloads every partition when __consumer_offsets is deleted", async () => {
    const s = await stack();
    await s.groups.ensureTopic();
    await s.groups.coordinator.commitOffsets(simpleCommit("g", 1n));
    await s.controller.deleteTopic(s.controller.image.topic(GROUP_METADATA_TOPIC)!.id);
    for (let p = 0; p < 4; p++) expect(s.groups.coordinator.ownsPartition(p)).toBe(false);
    const r = await s.groups.coordinator.fetchOffsets({ groupId: "g", topics: null, requireStable: false });
    expect(r.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    // The next lookup recreates it, empty.
    expect((await s.groups.findCoordinator("g")).errorCode).toBe(0);
    const fresh = await s.groups.coordinator.fetchOffsets({
      groupId: "g",
      topics: null,
      requireStable: false,
    });
    expect(fresh).toMatchObject({ errorCode: 0, topics: [] });
  });

  it("replays committed transactions and drops aborted ones", async () => {
    const s = await stack();
    await s.groups.ensureTopic();
    const log = s.store.getLog(GROUP_METADATA_TOPIC, 0)!;
    const rec = (k: string) => ({ key: Buffer.from(k), value: Buffer.from("v") });
    const append = async (b: Buffer) => log.append(b, { leaderEpoch: 0, assignOffsets: true });
    await append(await buildBatch({ records: [rec("plain")] }));
    await append(
      await buildBatch({
        records: [rec("tx-commit")],
        transactional: true,
        producerId: 7n,
        producerEpoch: 0,
      }),
    );
    await append(
      await buildBatch({ records: [rec("tx-abort")], transactional: true, producerId: 8n, producerEpoch: 0 }),
    );
    await append(
      await buildControlBatch({
        type: ControlType.Abort,
        coordinatorEpoch: 0,
        producerId: 8n,
        producerEpoch: 0,
      }),
    );
    await append(
      await buildControlBatch({
        type: ControlType.Commit,
        coordinatorEpoch: 0,
        producerId: 7n,
        producerEpoch: 0,
      }),
    );
    await append(
      await buildBatch({ records: [rec("tx-open")], transactional: true, producerId: 9n, producerEpoch: 0 }),
    );
    const keys: string[] = [];
    for await (const r of partitionRecords(log)) keys.push(r.key!.toString());
    expect(keys).toEqual(["plain", "tx-commit"]);
  });
});

describe("group wiring helpers", () => {
  it("reads coordinator settings from server.properties keys with Kafka's defaults", () => {
    const c = groupConfigFromProps(
      new Map([
        ["group.initial.rebalance.delay.ms", "0"],
        ["offsets.retention.minutes", "60"],
        ["group.max.session.timeout.ms", "not-a-number"],
      ]),
    );
    expect(c["group.initial.rebalance.delay.ms"]).toBe(0);
    expect(c["offsets.retention.minutes"]).toBe(60);
    expect(c["group.max.session.timeout.ms"]).toBe(1_800_000);
    expect(c["offsets.topic.num.partitions"]).toBe(50);
  });

  it("formats member hosts like Kafka (InetAddress.toString)", () => {
    expect(clientHostOf("127.0.0.1:5555")).toBe("/127.0.0.1");
    expect(clientHostOf("::ffff:10.0.0.2:1234")).toBe("/10.0.0.2");
    expect(clientHostOf("::1:9")).toBe("/::1");
  });
});
