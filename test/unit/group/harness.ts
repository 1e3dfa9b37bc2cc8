/** Test harness for the group coordinator: manual time, an in-memory log, request builders. */

import type { GroupCoordinatorConfig } from "../../../broker/coordinator/group/config.js";
import { GroupCoordinator } from "../../../broker/coordinator/group/coordinator.js";
import { ManualTime } from "../../../broker/coordinator/group/time.js";
import type {
  GroupLogWriter,
  JoinGroupInput,
  JoinGroupResult,
  LogRecord,
  SyncGroupInput,
} from "../../../broker/coordinator/group/types.js";
import { flushImmediates, MemoryCoordinatorLog } from "../../harness/memory-log.js";

/** __consumer_offsets in memory; can fail appends or hold them in flight. */
export class MemoryLog extends MemoryCoordinatorLog implements GroupLogWriter {
  all(): LogRecord[] {
    return [...this.partitions.values()].flat();
  }
}

export interface Harness {
  time: ManualTime;
  log: MemoryLog;
  coord: GroupCoordinator;
}

export async function setup(
  config: Partial<GroupCoordinatorConfig> = {},
  log = new MemoryLog(),
): Promise<Harness> {
  const time = new ManualTime();
  let n = 0;
  const coord = new GroupCoordinator({
    writer: log,
    time,
    config: { "group.initial.rebalance.delay.ms": 0, ...config },
    newMemberId: (clientId, instanceId) => `${instanceId ?? clientId}-${++n}`,
  });
  const partitions = coord.config["offsets.topic.num.partitions"];
  for (let p = 0; p < partitions; p++) await coord.onPartitionLoad(p, log.records(p));
  return { time, log, coord };
}

/** Lets promise callbacks (and in-memory appends) run. */
export function flush(): Promise<void> {
  return flushImmediates(5);
}

export interface Tracked<T> {
  settled: boolean;
  value: T | undefined;
  promise: Promise<T>;
}

export function track<T>(promise: Promise<T>): Tracked<T> {
  const t: Tracked<T> = { settled: false, value: undefined, promise };
  promise.then((v) => {
    t.settled = true;
    t.value = v;
  });
  return t;
}

/** A "consumer" protocol subscription (ConsumerProtocolSubscription v0) for the given topics. */
export function subscription(topics: string[]): Buffer {
  const parts: Buffer[] = [Buffer.from([0, 0])];
  const n = Buffer.alloc(4);
  n.writeInt32BE(topics.length);
  parts.push(n);
  for (const t of topics) {
    const len = Buffer.alloc(2);
    len.writeInt16BE(Buffer.byteLength(t));
    parts.push(len, Buffer.from(t));
  }
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff])); // null user data
  return Buffer.concat(parts);
}

export function joinReq(groupId: string, over: Partial<JoinGroupInput> = {}): JoinGroupInput {
  return {
    apiVersion: 3,
    groupId,
    memberId: "",
    groupInstanceId: null,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 30_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: subscription(["t1"]) }],
    clientId: "client",
    clientHost: "/127.0.0.1",
    ...over,
  };
}

export function syncReq(
  groupId: string,
  join: JoinGroupResult,
  over: Partial<SyncGroupInput> = {},
): SyncGroupInput {
  return {
    apiVersion: 3,
    groupId,
    generationId: join.generationId,
    memberId: join.memberId,
    groupInstanceId: null,
    protocolType: null,
    protocolName: null,
    assignments: [],
    ...over,
  };
}

/** Joins a one-member group and syncs it to Stable; returns the join result. */
export async function stableSingle(
  h: Harness,
  groupId: string,
  over: Partial<JoinGroupInput> = {},
): Promise<JoinGroupResult> {
  const j = await h.coord.joinGroup(joinReq(groupId, over));
  if (j.errorCode !== 0) throw new Error(`join failed: ${j.errorCode}`);
  const s = await h.coord.syncGroup(
    syncReq(groupId, j, {
      groupInstanceId: over.groupInstanceId ?? null,
      assignments: [{ memberId: j.memberId, assignment: Buffer.from("a1") }],
    }),
  );
  if (s.errorCode !== 0) throw new Error(`sync failed: ${s.errorCode}`);
  return j;
}
