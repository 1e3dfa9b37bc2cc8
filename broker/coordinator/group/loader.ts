/**
 * Rebuilds groups from the records of one __consumer_offsets partition: the last record per key
 * wins, tombstones delete. Groups come back Stable (with members) or Empty; offsets without group
 * metadata become offsets-only (simple consumer) groups.
 */
import { ClassicGroup } from "./group.js";
import { Member } from "./member.js";
import type { CommittedOffset } from "./offsets.js";
import { decodeRecord, type GroupMetadataValue } from "./records.js";
import type { LogRecord } from "./types.js";

export interface LoadStats {
  records: number;
  /** Records that could not be decoded (skipped, not fatal). */
  corrupt: number;
  /** Records of other coordinators' schemas (new consumer/share groups), skipped. */
  ignored: number;
}

export class PartitionReplay {
  private readonly offsets = new Map<
    string,
    Map<string, { topic: string; partition: number; value: CommittedOffset }>
  >();
  private readonly groups = new Map<string, GroupMetadataValue | null>();
  readonly stats: LoadStats = { records: 0, corrupt: 0, ignored: 0 };

  apply(rec: LogRecord): void {
    this.stats.records++;
    if (rec.key === null) {
      this.stats.corrupt++;
      return;
    }
    let d: ReturnType<typeof decodeRecord>;
    try {
      d = decodeRecord(rec.key, rec.value);
    } catch {
      this.stats.corrupt++;
      return;
    }
    if (d.kind === "other") {
      this.stats.ignored++;
    } else if (d.kind === "group") {
      this.groups.set(d.group, d.value);
    } else {
      const tpKey = `${d.partition}:${d.topic}`;
      let m = this.offsets.get(d.group);
      if (d.value === null) {
        m?.delete(tpKey);
        return;
      }
      if (!m) {
        m = new Map();
        this.offsets.set(d.group, m);
      }
      m.set(tpKey, { topic: d.topic, partition: d.partition, value: d.value });
    }
  }

  /** The loaded groups (without timers; the coordinator starts their session timers). */
  result(): ClassicGroup[] {
    const out = new Map<string, ClassicGroup>();
    for (const [groupId, value] of this.groups) {
      if (value !== null) out.set(groupId, groupFromValue(groupId, value));
    }
    for (const [groupId, offsets] of this.offsets) {
      if (offsets.size === 0) continue;
      let group = out.get(groupId);
      if (!group) {
        group = new ClassicGroup(groupId, "Empty", null);
        out.set(groupId, group);
      }
      for (const o of offsets.values())
        group.offsets.load({ topic: o.topic, partition: o.partition }, o.value);
    }
    return [...out.values()];
  }
}

function groupFromValue(groupId: string, v: GroupMetadataValue): ClassicGroup {
  const group = new ClassicGroup(groupId, v.members.length > 0 ? "Stable" : "Empty", null);
  group.generationId = v.generation;
  group.protocolType = v.protocolType === "" ? null : v.protocolType;
  group.protocolName = v.protocol;
  group.currentStateTimestamp = v.currentStateTimestamp === -1n ? null : Number(v.currentStateTimestamp);
  for (const mv of v.members) {
    const member = new Member({
      memberId: mv.memberId,
      groupInstanceId: mv.groupInstanceId,
      clientId: mv.clientId,
      clientHost: mv.clientHost,
      // Version 0 records have no rebalance timeout; Kafka uses the session timeout.
      rebalanceTimeoutMs: mv.rebalanceTimeout === -1 ? mv.sessionTimeout : mv.rebalanceTimeout,
      sessionTimeoutMs: mv.sessionTimeout,
      protocolType: v.protocolType,
      protocols: [{ name: v.protocol ?? "", metadata: mv.subscription }],
    });
    member.assignment = mv.assignment;
    group.add(member, null);
  }
  group.leaderId = v.leader;
  group.subscribedTopics = group.computeSubscribedTopics();
  return group;
}

/** The GroupMetadataValue that persists a group with the given assignments. */
export function groupToValue(group: ClassicGroup, assignment: Map<string, Buffer>): GroupMetadataValue {
  return {
    protocolType: group.protocolType ?? "",
    generation: group.generationId,
    protocol: group.protocolName,
    leader: group.leaderId,
    currentStateTimestamp: BigInt(group.currentStateTimestamp ?? -1),
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.metadata(group.protocolName),
      assignment: assignment.get(m.memberId) ?? m.assignment,
    })),
  };
}
