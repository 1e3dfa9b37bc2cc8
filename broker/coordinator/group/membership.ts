/** SyncGroup, Heartbeat and LeaveGroup against a group that exists and is owned by this coordinator. */
import { ErrorCode } from "../../../protocol/errors/index.js";
import { type ClassicGroup, errorSyncResult } from "./group.js";
import { validateCurrentMember } from "./join.js";
import { EMPTY_BUFFER } from "./member.js";
import type { Rebalancer } from "./rebalance.js";
import type {
  HeartbeatInput,
  LeaveGroupInput,
  LeaveGroupResult,
  SyncGroupInput,
  SyncGroupResult,
} from "./types.js";

export interface MembershipContext {
  readonly rebalancer: Rebalancer;
  storeGroup(group: ClassicGroup, assignment: Map<string, Buffer>): Promise<number>;
}

function validateSync(group: ClassicGroup, req: SyncGroupInput): number {
  if (group.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const err = validateCurrentMember(group, req.memberId, req.groupInstanceId);
  if (err !== ErrorCode.NONE) return err;
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  if (req.apiVersion >= 5) {
    if (req.protocolType !== null && req.protocolType !== group.protocolType)
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
    if (req.protocolName !== null && req.protocolName !== group.protocolName)
      return ErrorCode.INCONSISTENT_GROUP_PROTOCOL;
  }
  return ErrorCode.NONE;
}

export function handleSync(
  ctx: MembershipContext,
  group: ClassicGroup,
  req: SyncGroupInput,
  respond: (r: SyncGroupResult) => void,
): void {
  const err = validateSync(group, req);
  if (err !== ErrorCode.NONE) {
    respond(errorSyncResult(err));
    return;
  }
  switch (group.state) {
    case "Empty":
      respond(errorSyncResult(ErrorCode.UNKNOWN_MEMBER_ID));
      return;
    case "PreparingRebalance":
      respond(errorSyncResult(ErrorCode.REBALANCE_IN_PROGRESS));
      return;
    case "CompletingRebalance": {
      const member = group.get(req.memberId);
      // A repeated SyncGroup replaces the parked one; answer the old one so it is not lost.
      group.invokeSync(member, errorSyncResult(ErrorCode.REBALANCE_IN_PROGRESS));
      member.awaitingSync = respond;
      group.pendingSyncMembers.delete(req.memberId);
      ctx.rebalancer.tryCompletePendingSync(group);
      if (group.isLeader(req.memberId)) completeSyncFromLeader(ctx, group, req);
      return;
    }
    case "Stable": {
      group.pendingSyncMembers.delete(req.memberId);
      ctx.rebalancer.tryCompletePendingSync(group);
      const member = group.get(req.memberId);
      respond({
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      });
      ctx.rebalancer.scheduleHeartbeat(group, member);
      return;
    }
    default:
      respond(errorSyncResult(ErrorCode.COORDINATOR_NOT_AVAILABLE));
  }
}

/** The leader's assignments are persisted, then fanned out; members it forgot get empty bytes. */
function completeSyncFromLeader(ctx: MembershipContext, group: ClassicGroup, req: SyncGroupInput): void {
  const assignment = new Map<string, Buffer>();
  for (const a of req.assignments) if (group.has(a.memberId)) assignment.set(a.memberId, a.assignment);
  for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, EMPTY_BUFFER);
  const generation = group.generationId;
  void ctx.storeGroup(group, assignment).then((err) => {
    // Someone may have joined (or the group was unloaded) while the write was in flight.
    if (!group.is("CompletingRebalance") || group.generationId !== generation) return;
    if (err !== ErrorCode.NONE) {
      ctx.rebalancer.resetAndPropagateAssignmentError(group, err);
      ctx.rebalancer.maybePrepareRebalance(group);
    } else {
      ctx.rebalancer.setAndPropagateAssignment(group, assignment);
      group.transitionTo("Stable");
    }
  });
}

export function handleHeartbeat(ctx: MembershipContext, group: ClassicGroup, req: HeartbeatInput): number {
  if (group.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  const err = validateCurrentMember(group, req.memberId, req.groupInstanceId);
  if (err !== ErrorCode.NONE) return err;
  if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
  switch (group.state) {
    case "Empty":
      return ErrorCode.UNKNOWN_MEMBER_ID;
    case "CompletingRebalance":
    case "Stable":
      ctx.rebalancer.scheduleHeartbeat(group, group.get(req.memberId));
      return ErrorCode.NONE;
    case "PreparingRebalance":
      ctx.rebalancer.scheduleHeartbeat(group, group.get(req.memberId));
      return ErrorCode.REBALANCE_IN_PROGRESS;
    default:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  }
}

export function handleLeave(
  ctx: MembershipContext,
  group: ClassicGroup,
  req: LeaveGroupInput,
): LeaveGroupResult {
  if (group.is("Dead")) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
  const members = req.members.map((m) => {
    const out = { memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: ErrorCode.NONE };
    if (m.memberId === "") {
      // Administrative removal of a static member by instance id (kafka-consumer-groups, Streams).
      const current = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
      if (current === undefined) out.errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      else ctx.rebalancer.removeMemberAndUpdateGroup(group, group.get(current));
    } else if (group.isPendingMember(m.memberId)) {
      ctx.rebalancer.removePendingMember(group, m.memberId);
    } else {
      out.errorCode = validateCurrentMember(group, m.memberId, m.groupInstanceId);
      if (out.errorCode === ErrorCode.NONE)
        ctx.rebalancer.removeMemberAndUpdateGroup(group, group.get(m.memberId));
    }
    return out;
  });
  return { errorCode: ErrorCode.NONE, members };
}
