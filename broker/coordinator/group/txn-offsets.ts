/**
 * Transactional offset commits (TxnOffsetCommit, KIP-98/447) on the group side. The commit is
 * written to __consumer_offsets as part of the producer's transaction and only becomes a group's
 * committed offset when the transaction's COMMIT marker lands on that partition (an ABORT drops
 * it). The records stay pending in the log until then, so a coordinator restart in between loses
 * nothing: the marker writer reads them back from the log and hands them to `applyTxnOffsets`.
 * While pending they are also staged in the group's OffsetStore, so OffsetFetch with
 * require_stable answers UNSTABLE_OFFSET_COMMIT for them (not after a restart: the staging is
 * in memory only, and comes back with the next TxnOffsetCommit).
 */
import { ErrorCode } from "../../../protocol/errors/index.js";
import { ClassicGroup } from "./group.js";
import { validateCurrentMember } from "./join.js";
import type { CommittedOffset } from "./offsets.js";
import { decodeRecord, offsetCommitKey, offsetCommitValue } from "./records.js";
import type { LogRecord } from "./types.js";

export interface TxnOffsetCommitPartition {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface TxnOffsetCommitTopic {
  name: string;
  partitions: TxnOffsetCommitPartition[];
}

/**
 * KIP-447 member check (TxnOffsetCommit v3+ carries the consumer's generation and member id). A
 * request without them (older producers, or a group not managed by the coordinator) is accepted.
 */
export function validateTxnOffsetCommitMember(
  group: ClassicGroup | undefined,
  generationId: number,
  memberId: string,
  groupInstanceId: string | null,
): number {
  if (!group) return ErrorCode.NONE;
  if (group.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (generationId < 0 && memberId === "" && groupInstanceId === null) return ErrorCode.NONE;
  const err = validateCurrentMember(group, memberId, groupInstanceId);
  if (err !== ErrorCode.NONE) return err;
  return generationId === group.generationId ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
}

export interface BuiltTxnOffsets {
  records: { key: Buffer; value: Buffer }[];
  /** Per partition, in request order: NONE, or OFFSET_METADATA_TOO_LARGE (not written). */
  errors: number[][];
}

/** The offset commit records of a TxnOffsetCommit (Kafka's schemas, as OffsetCommit writes them). */
export function buildTxnOffsetRecords(
  groupId: string,
  topics: readonly TxnOffsetCommitTopic[],
  now: number,
  maxMetadataBytes: number,
): BuiltTxnOffsets {
  const records: { key: Buffer; value: Buffer }[] = [];
  const errors = topics.map((t) =>
    t.partitions.map((p) => {
      const metadata = p.committedMetadata ?? "";
      if (metadata.length > maxMetadataBytes) return ErrorCode.OFFSET_METADATA_TOO_LARGE;
      const value: CommittedOffset = {
        offset: p.committedOffset,
        leaderEpoch: p.committedLeaderEpoch,
        metadata,
        commitTimestamp: now,
        expireTimestamp: null,
      };
      records.push({
        key: offsetCommitKey(groupId, t.name, p.partitionIndex),
        value: offsetCommitValue(value),
      });
      return ErrorCode.NONE;
    }),
  );
  return { records, errors };
}

/**
 * A committed transaction's offset records become committed offsets of their groups (groups the
 * coordinator does not know yet are created Empty, like simple-consumer commits). Records of
 * groups this coordinator does not own are skipped. Returns the number of offsets applied.
 */
export function applyTxnOffsets(
  groups: Map<string, ClassicGroup>,
  owns: (groupId: string) => boolean,
  records: readonly LogRecord[],
  now: number,
): number {
  let applied = 0;
  for (const rec of records) {
    if (rec.key === null) continue;
    let d: ReturnType<typeof decodeRecord>;
    try {
      d = decodeRecord(rec.key, rec.value);
    } catch {
      continue;
    }
    if (d.kind !== "offset" || !owns(d.group)) continue;
    let group = groups.get(d.group);
    if (!group) {
      if (d.value === null) continue;
      group = new ClassicGroup(d.group, "Empty", now);
      groups.set(d.group, group);
    }
    const tp = { topic: d.topic, partition: d.partition };
    if (d.value === null) group.offsets.remove([tp]);
    else group.offsets.load(tp, d.value);
    applied++;
  }
  return applied;
}

interface StagedTxnOffset {
  groupId: string;
  topic: string;
  partition: number;
  /** OffsetStore staging token. */
  seq: number;
}

/** Staged transactional offsets by producer id, until that producer's marker arrives. */
export class PendingTxnOffsets {
  private readonly byProducer = new Map<bigint, StagedTxnOffset[]>();

  /** Stage `records` (offset commits of one TxnOffsetCommit) in their groups' offset stores. */
  stage(
    groups: Map<string, ClassicGroup>,
    producerId: bigint,
    records: readonly LogRecord[],
    now: number,
  ): void {
    const list = this.byProducer.get(producerId) ?? [];
    for (const rec of records) {
      if (rec.key === null) continue;
      let d: ReturnType<typeof decodeRecord>;
      try {
        d = decodeRecord(rec.key, rec.value);
      } catch {
        continue;
      }
      if (d.kind !== "offset" || d.value === null) continue;
      let group = groups.get(d.group);
      if (!group) {
        group = new ClassicGroup(d.group, "Empty", now);
        groups.set(d.group, group);
      }
      const tp = { topic: d.topic, partition: d.partition };
      list.push({ groupId: d.group, ...tp, seq: group.offsets.stage(tp, d.value) });
    }
    if (list.length > 0) this.byProducer.set(producerId, list);
  }

  /** The producer's transaction ended: unstage its offsets (a commit applies them from the log). */
  clear(groups: Map<string, ClassicGroup>, producerId: bigint): void {
    for (const s of this.byProducer.get(producerId) ?? [])
      groups.get(s.groupId)?.offsets.fail({ topic: s.topic, partition: s.partition }, s.seq);
    this.byProducer.delete(producerId);
  }
}
