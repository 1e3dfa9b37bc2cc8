import { afterEach, describe, expect, it } from "vitest";
import type { LogStore, PartitionLogView } from "../../../broker/api/context.js";
import { buildTxnOffsetRecords } from "../../../broker/coordinator/group/txn-offsets.js";
import { GROUP_METADATA_TOPIC } from "../../../broker/coordinator/group-service.js";
import { ErrorCode, KafkaError } from "../../../protocol/errors/index.js";
import { buildBatch } from "../../../protocol/records/batch.js";
import { openTxnStack, removeDir, type TxnStack } from "./stack.js";

/**
 * The transaction service on the broker's real storage and metadata stack: producer id blocks that
 * survive a restart (ProducerIdsRecord in the metadata log), and recovery of a transaction that was
 * PrepareCommit when the broker stopped — the restarted coordinator writes the markers, the data
 * becomes stable and the transaction's offset commits take effect in the group.
 */
const stacks: TxnStack[] = [];
const dirs = new Set<string>();
afterEach(async () => {
  for (const s of stacks.splice(0)) await s.close().catch(() => undefined);
  for (const d of dirs) removeDir(d);
  dirs.clear();
});

async function open(dir?: string, wrap?: (store: LogStore) => Pick<LogStore, "getLog">): Promise<TxnStack> {
  const s = await openTxnStack(dir, wrap);
  stacks.push(s);
  dirs.add(s.dir);
  return s;
}

async function close(s: TxnStack): Promise<void> {
  stacks.splice(stacks.indexOf(s), 1);
  await s.close();
}

/** Markers refused (as if the partition leader were unreachable) while `blocked.on`. */
function blockingMarkers(blocked: { on: boolean }) {
  return (store: LogStore): Pick<LogStore, "getLog"> => ({
    getLog(topic, partition) {
      const log = store.getLog(topic, partition);
      if (!log) return undefined;
      return new Proxy(log, {
        get(target, prop) {
          if (prop === "appendMarker" && blocked.on)
            return () => Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, "blocked"));
          return Reflect.get(target, prop, target);
        },
      }) as PartitionLogView;
    },
  });
}

describe("TxnService", () => {
  it("never hands out a producer id twice across restarts", async () => {
    const s = await open();
    const a = await s.txn.coordinator.initProducerId({ transactionalId: null, transactionTimeoutMs: 1000 });
    const b = await s.txn.coordinator.initProducerId({ transactionalId: null, transactionTimeoutMs: 1000 });
    expect([a.errorCode, b.errorCode]).toEqual([0, 0]);
    expect(b.producerId).toBe(a.producerId + 1n);
    const dir = s.dir;
    await close(s);
    const again = await open(dir);
    const c = await again.txn.coordinator.initProducerId({
      transactionalId: null,
      transactionTimeoutMs: 1000,
    });
    expect(c.errorCode).toBe(0);
    expect(c.producerId).toBeGreaterThanOrEqual(1000n);
  });

  it("a transaction stopped in PrepareCommit is completed after a restart, offsets included", async () => {
    const blocked = { on: true };
    const s = await open(undefined, blockingMarkers(blocked));
    await s.controller.createTopic({ name: "out", numPartitions: 1, replicationFactor: 1 });
    expect(await s.groups.ensureTopic()).toBe(ErrorCode.NONE);
    expect(await s.txn.ensureTopic()).toBe(ErrorCode.NONE);
    await s.txn.whenLoaded();
    const coord = s.txn.coordinator;
    const init = await coord.initProducerId({ transactionalId: "app", transactionTimeoutMs: 60_000 });
    expect(init.errorCode).toBe(0);
    const who = { transactionalId: "app", producerId: init.producerId, producerEpoch: init.producerEpoch };
    expect(
      (await coord.addPartitionsToTxn({ ...who, partitions: [{ topic: "out", partition: 0 }] })).errorCode,
    ).toBe(0);
    expect((await coord.addOffsetsToTxn({ ...who, groupId: "g" })).errorCode).toBe(0);

    const out = s.store.getLog("out", 0)!;
    const data = await buildBatch({
      records: [{ value: Buffer.from("v0") }, { value: Buffer.from("v1") }],
      producerId: init.producerId,
      producerEpoch: init.producerEpoch,
      baseSequence: 0,
      transactional: true,
    });
    await out.appendClient!(data, { leaderEpoch: 0 });
    // What TxnOffsetCommit writes: the offsets as a transactional batch in the group's partition.
    const gp = s.groups.coordinator.partitionFor("g");
    const built = buildTxnOffsetRecords(
      "g",
      [
        {
          name: "in",
          partitions: [
            { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, committedMetadata: "" },
          ],
        },
      ],
      0,
      4096,
    );
    await s.store.getLog(GROUP_METADATA_TOPIC, gp)!.append(
      await buildBatch({
        records: built.records,
        producerId: init.producerId,
        producerEpoch: init.producerEpoch,
        baseSequence: -1,
        transactional: true,
      }),
      { leaderEpoch: 0, assignOffsets: true },
    );
    expect(await coord.endTxn({ ...who, committed: true })).toBe(0);
    expect(coord.describeTransaction("app").state).toBe("PrepareCommit");
    expect(out.lastStableOffset!()).toBe(0n);
    const fetch = () =>
      s.groups.coordinator.fetchOffsets({
        groupId: "g",
        topics: [{ name: "in", partitionIndexes: [0] }],
        requireStable: false,
      });
    expect((await fetch()).topics[0]!.partitions[0]!.committedOffset).toBe(-1n);

    const dir = s.dir;
    await close(s);
    blocked.on = false;
    const again = await open(dir);
    await again.groups.whenLoaded();
    await again.txn.whenLoaded();
    await again.txn.coordinator.settled();
    expect(again.txn.coordinator.describeTransaction("app").state).toBe("CompleteCommit");
    const out2 = again.store.getLog("out", 0)!;
    expect(out2.lastStableOffset!()).toBe(out2.logEndOffset);
    const offsets = await again.groups.coordinator.fetchOffsets({
      groupId: "g",
      topics: [{ name: "in", partitionIndexes: [0] }],
      requireStable: false,
    });
    expect(offsets.topics[0]!.partitions[0]!.committedOffset).toBe(42n);
  });

  it("transactional offsets are unstable until the marker; an abort drops them, a commit applies them", async () => {
    const s = await open();
    expect(await s.groups.ensureTopic()).toBe(ErrorCode.NONE);
    expect(await s.txn.ensureTopic()).toBe(ErrorCode.NONE);
    await s.txn.whenLoaded();
    await s.groups.whenLoaded();
    const coord = s.txn.coordinator;
    const groups = s.groups.coordinator;
    const init = await coord.initProducerId({ transactionalId: "app2", transactionTimeoutMs: 60_000 });
    const who = { transactionalId: "app2", producerId: init.producerId, producerEpoch: init.producerEpoch };
    const gp = groups.partitionFor("g2");
    const commitOffset = async (offset: bigint) => {
      expect((await coord.addOffsetsToTxn({ ...who, groupId: "g2" })).errorCode).toBe(0);
      const built = buildTxnOffsetRecords(
        "g2",
        [
          {
            name: "in",
            partitions: [
              { partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: "" },
            ],
          },
        ],
        0,
        4096,
      );
      await s.store.getLog(GROUP_METADATA_TOPIC, gp)!.append(
        await buildBatch({
          records: built.records,
          producerId: init.producerId,
          producerEpoch: init.producerEpoch,
          baseSequence: -1,
          transactional: true,
        }),
        { leaderEpoch: 0, assignOffsets: true },
      );
      groups.stageTxnOffsets(init.producerId, built.records);
    };
    const fetched = async (requireStable: boolean) =>
      (
        await groups.fetchOffsets({
          groupId: "g2",
          topics: [{ name: "in", partitionIndexes: [0] }],
          requireStable,
        })
      ).topics[0]!.partitions[0]!;

    await commitOffset(7n);
    expect((await fetched(true)).errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    expect((await fetched(false)).committedOffset).toBe(-1n);
    expect(await coord.endTxn({ ...who, committed: false })).toBe(0);
    await coord.settled();
    expect(await fetched(true)).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: -1n });

    await commitOffset(9n);
    expect(await coord.endTxn({ ...who, committed: true })).toBe(0);
    await coord.settled();
    expect(await fetched(true)).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: 9n });

    // Still pending across a restart: the open transaction's offsets are staged again.
    await commitOffset(11n);
    const dir = s.dir;
    await close(s);
    const again = await open(dir);
    await again.groups.whenLoaded();
    await again.txn.restaged;
    const after = await again.groups.coordinator.fetchOffsets({
      groupId: "g2",
      topics: [{ name: "in", partitionIndexes: [0] }],
      requireStable: true,
    });
    expect(after.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNSTABLE_OFFSET_COMMIT);
    await again.txn.whenLoaded();
    expect(await again.txn.coordinator.endTxn({ ...who, committed: true })).toBe(0);
    await again.txn.coordinator.settled();
    const done = await again.groups.coordinator.fetchOffsets({
      groupId: "g2",
      topics: [{ name: "in", partitionIndexes: [0] }],
      requireStable: true,
    });
    expect(done.topics[0]!.partitions[0]).toMatchObject({ errorCode: ErrorCode.NONE, committedOffset: 11n });
  });
});
