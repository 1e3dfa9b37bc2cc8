/**
 * The classic group coordinator facade: routes each call to the group's __consumer_offsets
 * partition, answers COORDINATOR_LOAD_IN_PROGRESS / NOT_COORDINATOR for partitions that are loading
 * or not owned, persists group metadata and offsets through the injected writer, and loads/unloads
 * partition state on leadership changes. All timing goes through the injected clock and scheduler.
 */
import { randomUUID } from "node:crypto";
import { ErrorCode } from "../../../protocol/errors/index.js";
import type { Logger } from "../../logger.js";
import { GROUP_METADATA_TOO_LARGE, mapAppendError } from "../append-errors.js";
import { type GroupCoordinatorConfig, resolveGroupConfig } from "./config.js";
import { ClassicGroup, errorJoinResult, errorSyncResult } from "./group.js";
import { handleJoin } from "./join.js";
import { groupToValue, PartitionReplay } from "./loader.js";
import { handleHeartbeat, handleLeave, handleSync } from "./membership.js";
import * as ops from "./offset-ops.js";
import { partitionFor } from "./partitioner.js";
import { Rebalancer } from "./rebalance.js";
import { groupMetadataKey, groupMetadataValue } from "./records.js";
import { type Cancel, systemTime, type Time } from "./time.js";
import * as txnOffsets from "./txn-offsets.js";
import type {
  DescribedGroup,
  GroupLogWriter,
  HeartbeatInput,
  JoinGroupInput,
  JoinGroupResult,
  LeaveGroupInput,
  LeaveGroupResult,
  ListGroupsInput,
  ListGroupsResult,
  LogRecord,
  OffsetCommitInput,
  OffsetCommitResult,
  OffsetDeleteInput,
  OffsetDeleteResult,
  OffsetFetchInput,
  OffsetFetchResult,
  SyncGroupInput,
  SyncGroupResult,
} from "./types.js";

export interface GroupCoordinatorOptions {
  writer: GroupLogWriter;
  config?: Partial<GroupCoordinatorConfig>;
  time?: Time;
  logger?: Logger;
  /** Member id generator; Kafka uses `${groupInstanceId ?? clientId}-${uuid}`. */
  newMemberId?: (clientId: string, groupInstanceId: string | null) => string;
}

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly time: Time;
  private readonly writer: GroupLogWriter;
  private readonly logger: Logger | undefined;
  private readonly newMemberId: (clientId: string, groupInstanceId: string | null) => string;
  private readonly rebalancer: Rebalancer;
  private readonly groups = new Map<string, ClassicGroup>();
  private readonly owned = new Set<number>();
  /** Partitions being loaded, with the load attempt that owns the slot. */
  private readonly loading = new Map<number, number>();
  private loadSeq = 0;
  private active = true;
  private cancelExpiry: Cancel | null = null;
  private readonly opsCtx: ops.OffsetOpsContext;
  /** TxnOffsetCommits waiting for their transaction's marker (txn-offsets.ts). */
  private readonly pendingTxnOffsets = new txnOffsets.PendingTxnOffsets();

  constructor(opts: GroupCoordinatorOptions) {
    this.config = resolveGroupConfig(opts.config);
    this.time = opts.time ?? systemTime;
    this.writer = opts.writer;
    this.logger = opts.logger;
    this.newMemberId =
      opts.newMemberId ?? ((clientId, instanceId) => `${instanceId ?? clientId}-${randomUUID()}`);
    this.rebalancer = new Rebalancer({
      time: this.time,
      config: this.config,
      storeGroup: (g, a) => this.storeGroup(g, a),
      onBackgroundError: (g, what, code) => this.logger?.warn({ group: g.groupId, errorCode: code }, what),
    });
    this.opsCtx = {
      time: this.time,
      config: this.config,
      rebalancer: this.rebalancer,
      groups: this.groups,
      validate: (groupId, api) => this.validateStatus(groupId, api),
      partitionFor: (groupId) => this.partitionFor(groupId),
      append: (partition, records) => this.append(partition, records),
    };
    this.scheduleExpiry();
  }

  /** The __consumer_offsets partition that owns the group. */
  partitionFor(groupId: string): number {
    return partitionFor(groupId, this.config["offsets.topic.num.partitions"]);
  }

  isLoading(partition: number): boolean {
    return this.loading.has(partition);
  }

  ownsPartition(partition: number): boolean {
    return this.owned.has(partition);
  }

  // ---- group membership -------------------------------------------------------------------------

  joinGroup(req: JoinGroupInput): Promise<JoinGroupResult> {
    return new Promise((resolve) => {
      const status = this.validateStatus(req.groupId, "join");
      if (status !== ErrorCode.NONE) return resolve(errorJoinResult(req.memberId, status));
      const min = this.config["group.min.session.timeout.ms"];
      const max = this.config["group.max.session.timeout.ms"];
      if (req.sessionTimeoutMs < min || req.sessionTimeoutMs > max) {
        return resolve(errorJoinResult(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
      }
      let group = this.groups.get(req.groupId);
      if (!group) {
        // Only a member without id may create a group.
        if (req.memberId !== "") return resolve(errorJoinResult(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
        group = this.createGroup(req.groupId);
      }
      handleJoin(
        {
          rebalancer: this.rebalancer,
          config: this.config,
          storeGroup: (g, a) => this.storeGroup(g, a),
          newMemberId: this.newMemberId,
        },
        group,
        req,
        resolve,
      );
    });
  }

  syncGroup(req: SyncGroupInput): Promise<SyncGroupResult> {
    return new Promise((resolve) => {
      const status = this.validateStatus(req.groupId, "join");
      // While loading the rebalance state is lost anyway: make the member rejoin (older clients do
      // not know COORDINATOR_LOAD_IN_PROGRESS on SyncGroup).
      if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS)
        return resolve(errorSyncResult(ErrorCode.REBALANCE_IN_PROGRESS));
      if (status !== ErrorCode.NONE) return resolve(errorSyncResult(status));
      const group = this.groups.get(req.groupId);
      if (!group) return resolve(errorSyncResult(ErrorCode.UNKNOWN_MEMBER_ID));
      handleSync(
        { rebalancer: this.rebalancer, storeGroup: (g, a) => this.storeGroup(g, a) },
        group,
        req,
        resolve,
      );
    });
  }

  /** Resolves to the Heartbeat error code. */
  async heartbeat(req: HeartbeatInput): Promise<number> {
    const status = this.validateStatus(req.groupId, "join");
    // Kafka answers heartbeats blindly while loading; the member learns of trouble when it rejoins.
    if (status === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return ErrorCode.NONE;
    if (status !== ErrorCode.NONE) return status;
    const group = this.groups.get(req.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    return handleHeartbeat(
      { rebalancer: this.rebalancer, storeGroup: (g, a) => this.storeGroup(g, a) },
      group,
      req,
    );
  }

  async leaveGroup(req: LeaveGroupInput): Promise<LeaveGroupResult> {
    const status = this.validateStatus(req.groupId, "join");
    if (status !== ErrorCode.NONE) return { errorCode: status, members: [] };
    const group = this.groups.get(req.groupId);
    if (!group) {
      return {
        errorCode: ErrorCode.NONE,
        members: req.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          errorCode: ErrorCode.UNKNOWN_MEMBER_ID,
        })),
      };
    }
    return handleLeave(
      { rebalancer: this.rebalancer, storeGroup: (g, a) => this.storeGroup(g, a) },
      group,
      req,
    );
  }

  // ---- offsets and administration ---------------------------------------------------------------

  commitOffsets(req: OffsetCommitInput): Promise<OffsetCommitResult> {
    return ops.commitOffsets(this.opsCtx, req);
  }

  async fetchOffsets(req: OffsetFetchInput): Promise<OffsetFetchResult> {
    return ops.fetchOffsets(this.opsCtx, req);
  }

  /** OffsetFetch v8+: several groups in one request, each answered on its own. */
  async fetchOffsetsForGroups(reqs: OffsetFetchInput[]): Promise<OffsetFetchResult[]> {
    return reqs.map((r) => ops.fetchOffsets(this.opsCtx, r));
  }

  deleteOffsets(req: OffsetDeleteInput): Promise<OffsetDeleteResult> {
    return ops.deleteOffsets(this.opsCtx, req);
  }

  deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    return ops.deleteGroups(this.opsCtx, groupIds);
  }

  async describeGroups(groupIds: string[]): Promise<DescribedGroup[]> {
    return groupIds.map((groupId) => this.describe(groupId));
  }

  private describe(groupId: string): DescribedGroup {
    const status = this.validateStatus(groupId, "describe");
    const base = {
      groupId,
      errorCode: status,
      groupState: "",
      protocolType: "",
      protocolData: "",
      members: [],
    };
    if (status !== ErrorCode.NONE) return base;
    const group = this.groups.get(groupId);
    if (!group) return { ...base, groupState: "Dead" };
    const stable = group.is("Stable");
    return {
      groupId,
      errorCode: ErrorCode.NONE,
      groupState: group.state,
      protocolType: group.protocolType ?? "",
      protocolData: stable ? (group.protocolName ?? "") : "",
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadata(group.protocolName) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  async listGroups(req: ListGroupsInput = {}): Promise<ListGroupsResult> {
    if (!this.active) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
    const states = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()));
    const types = new Set((req.typesFilter ?? []).map((s) => s.toLowerCase()));
    const groups = [...this.groups.values()]
      .filter((g) => !g.is("Dead"))
      .filter((g) => states.size === 0 || states.has(g.state.toLowerCase()))
      .filter(() => types.size === 0 || types.has("classic"))
      .map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType ?? "",
        groupState: g.state,
        groupType: "classic" as const,
      }));
    const errorCode = this.loading.size > 0 ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE;
    return { errorCode, groups };
  }

  /** One pass of offset retention (also runs every offsets.retention.check.interval.ms). */
  async expireOffsets(): Promise<number> {
    const now = this.time.now();
    const retentionMs = this.config["offsets.retention.minutes"] * 60_000;
    let removed = 0;
    for (const group of [...this.groups.values()]) {
      if (!this.owned.has(this.partitionFor(group.groupId))) continue;
      removed += await ops.cleanupGroup(this.opsCtx, group, (g) =>
        g.offsets.remove(ops.expiredOffsets(g, now, retentionMs)),
      );
    }
    return removed;
  }

  // ---- transactional offset commits (txn-offsets.ts) ---------------------------------------------

  /** TxnOffsetCommit checks: coordinator status for the group, then the KIP-447 member check. */
  txnOffsetCommitStatus(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
  ): number {
    const status = this.validateStatus(groupId, "offsets");
    if (status !== ErrorCode.NONE) return status;
    return txnOffsets.validateTxnOffsetCommitMember(
      this.groups.get(groupId),
      generationId,
      memberId,
      groupInstanceId,
    );
  }

  /** A TxnOffsetCommit was appended: its offsets are pending until the transaction ends. */
  stageTxnOffsets(producerId: bigint, records: readonly LogRecord[]): void {
    this.pendingTxnOffsets.stage(this.groups, producerId, records, this.time.now());
  }

  /**
   * The producer's transaction ended on a __consumer_offsets partition: on commit its offset
   * records (read back from the log) take effect; either way nothing of it stays pending.
   */
  completeTxnOffsets(producerId: bigint, committed: boolean, records: readonly LogRecord[]): number {
    this.pendingTxnOffsets.clear(this.groups, producerId);
    if (!committed) return 0;
    return txnOffsets.applyTxnOffsets(
      this.groups,
      (g) => this.owned.has(this.partitionFor(g)),
      records,
      this.time.now(),
    );
  }

  // ---- partition ownership ----------------------------------------------------------------------

  /**
   * This broker became leader of a __consumer_offsets partition: replay its records (requests for
   * its groups get COORDINATOR_LOAD_IN_PROGRESS meanwhile), then serve its groups.
   */
  async onPartitionLoad(
    partition: number,
    records: Iterable<LogRecord> | AsyncIterable<LogRecord>,
  ): Promise<void> {
    this.dropGroupsOf(partition);
    this.owned.delete(partition);
    const attempt = ++this.loadSeq;
    this.loading.set(partition, attempt);
    const replay = new PartitionReplay();
    try {
      if (Symbol.iterator in records) {
        for (const rec of records) replay.apply(rec); // in memory: no await per record
      } else {
        for await (const rec of records) {
          if (this.loading.get(partition) !== attempt) return; // unloaded (or reloaded) meanwhile
          replay.apply(rec);
        }
      }
    } catch (err) {
      if (this.loading.get(partition) === attempt) this.loading.delete(partition);
      throw err;
    }
    if (this.loading.get(partition) !== attempt) return;
    for (const group of replay.result()) {
      if (this.partitionFor(group.groupId) !== partition) continue; // not ours: ignore stray records
      this.groups.set(group.groupId, group);
      for (const m of group.members.values()) this.rebalancer.scheduleHeartbeat(group, m);
      if (group.size > this.config["group.max.size"]) this.rebalancer.prepareRebalance(group);
    }
    this.loading.delete(partition);
    this.owned.add(partition);
    const { records: n, corrupt, ignored } = replay.stats;
    if (corrupt > 0)
      this.logger?.warn({ partition, corrupt }, "skipped undecodable __consumer_offsets records");
    this.logger?.info({ partition, records: n, ignored }, "loaded group coordinator partition");
  }

  /** This broker is no longer leader of the partition: drop its groups, answering parked requests. */
  onPartitionUnload(partition: number): void {
    this.loading.delete(partition);
    this.owned.delete(partition);
    this.dropGroupsOf(partition);
  }

  /** Stops the coordinator: every partition is unloaded and further requests get COORDINATOR_NOT_AVAILABLE. */
  shutdown(): void {
    this.active = false;
    this.cancelExpiry?.();
    this.cancelExpiry = null;
    for (const p of [...this.owned, ...this.loading.keys()]) this.onPartitionUnload(p);
  }

  private dropGroupsOf(partition: number): void {
    for (const group of [...this.groups.values()]) {
      if (this.partitionFor(group.groupId) !== partition) continue;
      this.groups.delete(group.groupId);
      this.rebalancer.cancelAll(group);
      group.state = "Dead";
      for (const m of group.members.values()) {
        group.invokeJoin(m, errorJoinResult(m.memberId, ErrorCode.NOT_COORDINATOR));
        group.invokeSync(m, errorSyncResult(ErrorCode.NOT_COORDINATOR));
      }
    }
  }

  // ---- internals --------------------------------------------------------------------------------

  private createGroup(groupId: string): ClassicGroup {
    const group = new ClassicGroup(groupId, "Empty", this.time.now());
    this.groups.set(groupId, group);
    return group;
  }

  private validateStatus(groupId: string, api: ops.StatusApi): number {
    const emptyOk = api !== "join";
    if (typeof groupId !== "string" || (!emptyOk && groupId === "")) return ErrorCode.INVALID_GROUP_ID;
    if (!this.active) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const partition = this.partitionFor(groupId);
    if (this.loading.has(partition)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!this.owned.has(partition)) return ErrorCode.NOT_COORDINATOR;
    return ErrorCode.NONE;
  }

  private async append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<number> {
    if (!this.owned.has(partition)) return ErrorCode.NOT_LEADER_OR_FOLLOWER;
    try {
      await this.writer.append(partition, records);
      return ErrorCode.NONE;
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      this.logger?.warn({ partition, err }, "append to __consumer_offsets failed");
      return typeof code === "number" ? code : ErrorCode.UNKNOWN_SERVER_ERROR;
    }
  }

  private async storeGroup(group: ClassicGroup, assignment: Map<string, Buffer>): Promise<number> {
    const partition = this.partitionFor(group.groupId);
    const record = {
      key: groupMetadataKey(group.groupId),
      value: groupMetadataValue(groupToValue(group, assignment)),
    };
    return mapAppendError(await this.append(partition, [record]), GROUP_METADATA_TOO_LARGE);
  }

  private scheduleExpiry(): void {
    this.cancelExpiry = this.time.schedule(this.config["offsets.retention.check.interval.ms"], () => {
      if (!this.active) return;
      this.scheduleExpiry();
      void this.expireOffsets().catch((err) => this.logger?.error({ err }, "offset expiration failed"));
    });
  }
}
