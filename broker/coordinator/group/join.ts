/**
 * JoinGroup: new dynamic members (MEMBER_ID_REQUIRED from v4), static members (restart without a
 * rebalance, fencing of the previous instance), and known members rejoining in each group state.
 * Answers go through `respond`, possibly much later (when the join phase completes).
 */
import { ErrorCode } from "../../../protocol/errors/index.js";
import { type GroupCoordinatorConfig, NEW_MEMBER_JOIN_TIMEOUT_MS } from "./config.js";
import { type ClassicGroup, errorJoinResult } from "./group.js";
import { Member } from "./member.js";
import type { Rebalancer } from "./rebalance.js";
import type { JoinGroupInput, JoinGroupResult } from "./types.js";

export interface JoinContext {
  readonly rebalancer: Rebalancer;
  readonly config: GroupCoordinatorConfig;
  storeGroup(group: ClassicGroup, assignment: Map<string, Buffer>): Promise<number>;
  newMemberId(clientId: string, groupInstanceId: string | null): string;
}

type Respond = (r: JoinGroupResult) => void;

export function handleJoin(
  ctx: JoinContext,
  group: ClassicGroup,
  req: JoinGroupInput,
  respond: Respond,
): void {
  if (!acceptJoiningMember(group, req.memberId, ctx.config["group.max.size"])) {
    group.remove(req.memberId);
    respond(errorJoinResult("", ErrorCode.GROUP_MAX_SIZE_REACHED));
  } else if (req.memberId === "") {
    newMemberJoin(ctx, group, req, respond);
  } else {
    currentMemberJoin(ctx, group, req, respond);
  }
  if (group.is("PreparingRebalance")) ctx.rebalancer.tryCompleteJoin(group);
}

function acceptJoiningMember(group: ClassicGroup, memberId: string, maxSize: number): boolean {
  switch (group.state) {
    case "Empty":
    case "Dead":
      return true;
    case "PreparingRebalance":
      // Counting members that already rejoined lets the last rejoiners be kicked out if over size.
      return (
        (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numMembersAwaitingJoin < maxSize
      );
    default:
      return group.has(memberId) || group.size < maxSize;
  }
}

function protocolNames(req: JoinGroupInput): Set<string> {
  return new Set(req.protocols.map((p) => p.name));
}

function newMemberJoin(ctx: JoinContext, group: ClassicGroup, req: JoinGroupInput, respond: Respond): void {
  if (group.is("Dead")) {
    respond(errorJoinResult("", ErrorCode.COORDINATOR_NOT_AVAILABLE));
    return;
  }
  if (!group.supportsProtocols(req.protocolType, protocolNames(req))) {
    respond(errorJoinResult("", ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  const newMemberId = ctx.newMemberId(req.clientId, req.groupInstanceId);
  if (req.groupInstanceId !== null) {
    const oldMemberId = group.staticMemberId(req.groupInstanceId);
    if (oldMemberId !== undefined && !group.is("Empty")) {
      updateStaticMember(ctx, group, oldMemberId, newMemberId, req, respond);
    } else {
      addMemberAndRebalance(ctx, group, newMemberId, req, respond);
    }
  } else if (req.apiVersion >= 4) {
    // Hand out a member id first; the member must come back with it within its session timeout.
    ctx.rebalancer.addPendingMember(group, newMemberId, req.sessionTimeoutMs);
    respond(errorJoinResult(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
  } else {
    addMemberAndRebalance(ctx, group, newMemberId, req, respond);
  }
}

function addMemberAndRebalance(
  ctx: JoinContext,
  group: ClassicGroup,
  memberId: string,
  req: JoinGroupInput,
  respond: Respond,
): void {
  const member = new Member({
    memberId,
    groupInstanceId: req.groupInstanceId,
    clientId: req.clientId,
    clientHost: req.clientHost,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs,
    sessionTimeoutMs: req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
  });
  member.isNew = true;
  // During the initial delay of a new group, each new member may extend the wait.
  if (group.is("PreparingRebalance") && group.generationId === 0) group.newMemberAdded = true;
  group.add(member, respond);
  // The JoinGroup of a new member is bounded, since a disconnected client would never come back.
  ctx.rebalancer.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
  ctx.rebalancer.maybePrepareRebalance(group);
}

function updateMemberAndRebalance(
  ctx: JoinContext,
  group: ClassicGroup,
  member: Member,
  req: JoinGroupInput,
  respond: Respond,
): void {
  // A second JoinGroup from the same member supersedes the parked one; answer the old one.
  group.invokeJoin(member, errorJoinResult(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
  group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);
  ctx.rebalancer.maybePrepareRebalance(group);
}

/** A known static member restarted (unknown member id, same group.instance.id). */
function updateStaticMember(
  ctx: JoinContext,
  group: ClassicGroup,
  oldMemberId: string,
  newMemberId: string,
  req: JoinGroupInput,
  respond: Respond,
): void {
  const instanceId = req.groupInstanceId!;
  const currentLeader = group.leaderId;
  const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
  ctx.rebalancer.scheduleHeartbeat(group, member);
  const old = {
    protocols: member.protocols,
    rebalanceTimeoutMs: member.rebalanceTimeoutMs,
    sessionTimeoutMs: member.sessionTimeoutMs,
  };
  group.updateMember(member, req.protocols, req.rebalanceTimeoutMs, req.sessionTimeoutMs, respond);

  switch (group.state) {
    case "Stable": {
      if (group.protocolName !== group.selectProtocol()) {
        ctx.rebalancer.maybePrepareRebalance(group);
        return;
      }
      // Same protocol: no rebalance, just persist the new member id and return the current generation.
      const assignment = new Map([...group.members.values()].map((m) => [m.memberId, m.assignment]));
      void ctx.storeGroup(group, assignment).then((err) => {
        if (err !== ErrorCode.NONE) {
          if (group.members.get(newMemberId) === member && group.staticMemberId(instanceId) === newMemberId) {
            group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
            const reverted = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            ctx.rebalancer.scheduleHeartbeat(group, reverted);
          }
          respond({
            ...errorJoinResult("", err),
            generationId: group.generationId,
            leader: currentLeader ?? "",
          });
        } else if (req.apiVersion >= 9) {
          // The leader learns it leads (to keep watching metadata) but must not compute a new assignment.
          const isLeader = group.isLeader(newMemberId);
          group.invokeJoin(member, group.joinResult(member, isLeader, group.leaderId, isLeader));
        } else {
          // Older clients: report the previous leader id so a restarted leader does not assign.
          group.invokeJoin(member, group.joinResult(member, false, currentLeader));
        }
      });
      return;
    }
    case "CompletingRebalance":
      // The leader may already have computed assignments for the old member id: start over.
      ctx.rebalancer.prepareRebalance(group);
      return;
    default:
      return; // PreparingRebalance: the member is parked like everyone else
  }
}

function currentMemberJoin(
  ctx: JoinContext,
  group: ClassicGroup,
  req: JoinGroupInput,
  respond: Respond,
): void {
  const memberId = req.memberId;
  if (group.is("Dead")) {
    respond(errorJoinResult(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    return;
  }
  if (!group.supportsProtocols(req.protocolType, protocolNames(req))) {
    respond(errorJoinResult(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    return;
  }
  if (group.isPendingMember(memberId)) {
    if (req.groupInstanceId !== null) {
      // Pending ids are only handed to dynamic members.
      respond(errorJoinResult(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return;
    }
    addMemberAndRebalance(ctx, group, memberId, req, respond);
    return;
  }
  const err = validateCurrentMember(group, memberId, req.groupInstanceId);
  if (err !== ErrorCode.NONE) {
    respond(errorJoinResult(memberId, err));
    return;
  }
  const member = group.get(memberId);
  switch (group.state) {
    case "PreparingRebalance":
      updateMemberAndRebalance(ctx, group, member, req, respond);
      return;
    case "CompletingRebalance":
      if (member.matches(req.protocols)) {
        // Probably lost the first JoinGroup response: answer with the current generation again.
        respond(group.joinResult(member, group.isLeader(memberId)));
      } else {
        updateMemberAndRebalance(ctx, group, member, req, respond);
      }
      return;
    case "Stable":
      if (group.isLeader(memberId) || !member.matches(req.protocols)) {
        // A rejoining leader forces a rebalance (e.g. topic metadata changed); so does new metadata.
        updateMemberAndRebalance(ctx, group, member, req, respond);
      } else {
        respond(group.joinResult(member, false));
      }
      return;
    default:
      respond(errorJoinResult(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
  }
}

/**
 * A request names a current member: with an instance id it must map to this member id
 * (FENCED_INSTANCE_ID if it maps to another), and the member id must exist (UNKNOWN_MEMBER_ID).
 */
export function validateCurrentMember(
  group: ClassicGroup,
  memberId: string,
  groupInstanceId: string | null,
): number {
  if (groupInstanceId !== null) {
    const current = group.staticMemberId(groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return group.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}
