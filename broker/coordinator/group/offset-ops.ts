/**
 * OffsetCommit, OffsetFetch, OffsetDelete, DeleteGroups and offset retention, against the groups
 * of the coordinator. Commits are answered only after their records are appended.
 */
import { ErrorCode } from "../../../protocol/errors/index.js";
import { mapAppendError, OFFSET_COMMIT_TOO_LARGE } from "../append-errors.js";
import type { GroupCoordinatorConfig } from "./config.js";
import { ClassicGroup } from "./group.js";
import { validateCurrentMember } from "./join.js";
import type { CommittedOffset, TopicPartition } from "./offsets.js";
import type { Rebalancer } from "./rebalance.js";
import { groupMetadataKey, offsetCommitKey, offsetCommitValue } from "./records.js";
import type { Time } from "./time.js";
import type {
  FetchedOffset,
  OffsetCommitInput,
  OffsetCommitResult,
  OffsetDeleteInput,
  OffsetDeleteResult,
  OffsetFetchInput,
  OffsetFetchResult,
  TopicPartitionErrors,
} from "./types.js";

export type StatusApi = "join" | "offsets" | "describe" | "delete";

export interface OffsetOpsContext {
  readonly time: Time;
  readonly config: GroupCoordinatorConfig;
  readonly rebalancer: Rebalancer;
  readonly groups: Map<string, ClassicGroup>;
  /** Kafka's validateGroupStatus: INVALID_GROUP_ID, COORDINATOR_NOT_AVAILABLE, *_LOAD_IN_PROGRESS, NOT_COORDINATOR. */
  validate(groupId: string, api: StatusApi): number;
  partitionFor(groupId: string): number;
  /** Appends to __consumer_offsets; resolves to the raw append error code (0 = ok). */
  append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<number>;
}

/** How an append error reaches an OffsetCommit client (Kafka's mapping). */
export function commitAppendError(code: number): number {
  return mapAppendError(code, OFFSET_COMMIT_TOO_LARGE);
}

function allPartitions(req: OffsetCommitInput, errorCode: number): OffsetCommitResult {
  return {
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
    })),
  };
}

function validateOffsetCommit(group: ClassicGroup, req: OffsetCommitInput): number {
  if (group.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (req.generationId >= 0 || req.memberId !== "" || req.groupInstanceId !== null) {
    const err = validateCurrentMember(group, req.memberId, req.groupInstanceId);
    if (err !== ErrorCode.NONE) return err;
    return req.generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
  }
  // Without generation and member id (simple consumers) only an empty group takes commits.
  return group.is("Empty") ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

export async function commitOffsets(
  ctx: OffsetOpsContext,
  req: OffsetCommitInput,
): Promise<OffsetCommitResult> {
  const status = ctx.validate(req.groupId, "offsets");
  if (status !== ErrorCode.NONE) return allPartitions(req, status);
  let group = ctx.groups.get(req.groupId);
  if (!group) {
    // Not managed by the coordinator: a generation means a stale member, otherwise a simple consumer.
    if (req.generationId >= 0) return allPartitions(req, ErrorCode.ILLEGAL_GENERATION);
    group = new ClassicGroup(req.groupId, "Empty", ctx.time.now());
    ctx.groups.set(req.groupId, group);
  }
  const err = validateOffsetCommit(group, req);
  if (err !== ErrorCode.NONE) return allPartitions(req, err);
  switch (group.state) {
    case "Empty":
      break;
    case "Stable":
    case "PreparingRebalance":
      // A commit proves liveness; the rebalance itself is signalled through heartbeats.
      ctx.rebalancer.scheduleHeartbeat(group, group.get(req.memberId));
      break;
    case "CompletingRebalance":
      return allPartitions(req, ErrorCode.REBALANCE_IN_PROGRESS);
    default:
      return allPartitions(req, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  }
  return storeOffsets(ctx, group, req);
}

async function storeOffsets(
  ctx: OffsetOpsContext,
  group: ClassicGroup,
  req: OffsetCommitInput,
): Promise<OffsetCommitResult> {
  const now = ctx.time.now();
  const retention = req.retentionTimeMs ?? -1;
  const maxMetadata = ctx.config["offset.metadata.max.bytes"];
  const result = allPartitions(req, ErrorCode.NONE);
  const staged: { tp: TopicPartition; seq: number; out: { errorCode: number } }[] = [];
  const records: { key: Buffer; value: Buffer }[] = [];
  req.topics.forEach((t, ti) => {
    t.partitions.forEach((p, pi) => {
      const out = result.topics[ti]!.partitions[pi]!;
      const metadata = p.committedMetadata ?? "";
      if (metadata.length > maxMetadata) {
        out.errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        return;
      }
      const ts = p.commitTimestamp;
      const value: CommittedOffset = {
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata,
        commitTimestamp: ts === undefined || ts === -1 ? now : ts,
        expireTimestamp: retention === -1 ? null : now + retention,
      };
      const tp = { topic: t.name, partition: p.partitionIndex };
      records.push({
        key: offsetCommitKey(group.groupId, tp.topic, tp.partition),
        value: offsetCommitValue(value),
      });
      staged.push({ tp, seq: group.offsets.stage(tp, value), out });
    });
  });
  if (records.length === 0) return result;
  const appendErr = await ctx.append(ctx.partitionFor(group.groupId), records);
  const code = commitAppendError(appendErr);
  for (const s of staged) {
    if (code === ErrorCode.NONE) group.offsets.complete(s.tp, s.seq);
    else group.offsets.fail(s.tp, s.seq);
    s.out.errorCode = code;
  }
  return result;
}

function noOffset(partitionIndex: number, errorCode: number = ErrorCode.NONE): FetchedOffset {
  return { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: "", errorCode };
}

export function fetchOffsets(ctx: OffsetOpsContext, req: OffsetFetchInput): OffsetFetchResult {
  const status = ctx.validate(req.groupId, "offsets");
  if (status !== ErrorCode.NONE) return { groupId: req.groupId, errorCode: status, topics: [] };
  const group = ctx.groups.get(req.groupId);
  if (!group || group.is("Dead")) {
    const topics = (req.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((p) => noOffset(p)),
    }));
    return { groupId: req.groupId, errorCode: ErrorCode.NONE, topics };
  }
  let wanted = req.topics;
  if (wanted === null) {
    const byTopic = new Map<string, number[]>();
    for (const tp of group.offsets.partitions()) {
      const list = byTopic.get(tp.topic) ?? [];
      list.push(tp.partition);
      byTopic.set(tp.topic, list);
    }
    wanted = [...byTopic].map(([name, ps]) => ({ name, partitionIndexes: ps.sort((a, b) => a - b) }));
  }
  const topics = wanted.map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((p): FetchedOffset => {
      if (req.requireStable && group.offsets.hasPending(t.name, p))
        return noOffset(p, ErrorCode.UNSTABLE_OFFSET_COMMIT);
      const o = group.offsets.get(t.name, p);
      if (!o) return noOffset(p);
      return {
        partitionIndex: p,
        committedOffset: o.offset,
        committedLeaderEpoch: o.leaderEpoch,
        metadata: o.metadata,
        errorCode: ErrorCode.NONE,
      };
    }),
  }));
  return { groupId: req.groupId, errorCode: ErrorCode.NONE, topics };
}

/**
 * Removes offsets with `remove` (which returns the partitions that had an offset), turns an empty group without offsets Dead, and writes the
 * tombstones. Returns how many offsets were removed. Groups that never had a generation (offsets
 * only) get no group tombstone since no group metadata was ever written for them.
 */
export async function cleanupGroup(
  ctx: OffsetOpsContext,
  group: ClassicGroup,
  remove: (g: ClassicGroup) => TopicPartition[],
): Promise<number> {
  const removed = remove(group);
  if (group.is("Empty") && !group.offsets.hasOffsets()) group.transitionTo("Dead");
  const tombstones = removed.map((tp) => ({
    key: offsetCommitKey(group.groupId, tp.topic, tp.partition),
    value: null,
  }));
  if (group.is("Dead") && ctx.groups.get(group.groupId) === group) {
    ctx.groups.delete(group.groupId);
    ctx.rebalancer.cancelAll(group);
    if (group.generationId > 0) tombstones.push({ key: groupMetadataKey(group.groupId), value: null });
  }
  // Like Kafka, a lost tombstone is not an error: expiry or deletion simply runs again.
  if (tombstones.length > 0) await ctx.append(ctx.partitionFor(group.groupId), tombstones);
  return removed.length;
}

export async function deleteOffsets(
  ctx: OffsetOpsContext,
  req: OffsetDeleteInput,
): Promise<OffsetDeleteResult> {
  const status = ctx.validate(req.groupId, "join");
  if (status !== ErrorCode.NONE) return { errorCode: status, topics: [] };
  const group = ctx.groups.get(req.groupId);
  if (!group || group.is("Dead")) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
  const consumerGroup = group.protocolType === "consumer";
  if (!group.is("Empty") && !consumerGroup) return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
  const eligible: TopicPartition[] = [];
  const topics: TopicPartitionErrors[] = req.topics.map((t) => {
    const subscribed = !group.is("Empty") && group.isSubscribedToTopic(t.name);
    return {
      name: t.name,
      partitions: t.partitionIndexes.map((p) => {
        if (subscribed) return { partitionIndex: p, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        eligible.push({ topic: t.name, partition: p });
        return { partitionIndex: p, errorCode: ErrorCode.NONE };
      }),
    };
  });
  if (eligible.length > 0) await cleanupGroup(ctx, group, (g) => g.offsets.remove(eligible));
  return { errorCode: ErrorCode.NONE, topics };
}

export async function deleteGroups(
  ctx: OffsetOpsContext,
  groupIds: string[],
): Promise<{ groupId: string; errorCode: number }[]> {
  const results = groupIds.map((groupId) => {
    const status = ctx.validate(groupId, "delete");
    if (status !== ErrorCode.NONE) return { groupId, errorCode: status, group: null };
    const group = ctx.groups.get(groupId);
    if (!group || group.is("Dead")) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, group: null };
    if (!group.is("Empty")) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP, group: null };
    group.transitionTo("Dead");
    return { groupId, errorCode: ErrorCode.NONE, group };
  });
  await Promise.all(
    results.map((r) => (r.group ? cleanupGroup(ctx, r.group, (g) => g.offsets.removeAll()) : 0)),
  );
  return results.map(({ groupId, errorCode }) => ({ groupId, errorCode }));
}

/** Offsets past offsets.retention.minutes, by Kafka's rules for each kind of group. */
export function expiredOffsets(group: ClassicGroup, now: number, retentionMs: number): TopicPartition[] {
  if (group.protocolType === null) {
    // Offsets-only group (simple consumers): retention counts from each commit.
    return group.offsets.expired(now, retentionMs, (o) => o.commitTimestamp);
  }
  if (group.is("Empty")) {
    // Retention counts from the moment the group became empty (or the commit, if unknown).
    const since = group.currentStateTimestamp;
    return group.offsets.expired(now, retentionMs, (o) => since ?? o.commitTimestamp);
  }
  if (group.protocolType === "consumer" && group.subscribedTopics !== null && group.is("Stable")) {
    // Active consumer group: only offsets of topics nobody subscribes to any more expire.
    return group.offsets.expired(now, retentionMs, (o) => o.commitTimestamp, group.subscribedTopics);
  }
  return [];
}
