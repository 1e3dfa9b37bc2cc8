/**
 * The timed parts of the classic rebalance protocol: member session expiry, the join phase (delayed
 * join bounded by the rebalance timeout, and the initial delayed join of an empty group), the sync
 * phase expiry, and assignment propagation. Every timer goes through the injected scheduler.
 */
import { ErrorCode } from "../../../protocol/errors/index.js";
import type { GroupCoordinatorConfig } from "./config.js";
import { type ClassicGroup, errorJoinResult } from "./group.js";
import { EMPTY_BUFFER, type Member } from "./member.js";
import type { Time } from "./time.js";

export interface RebalanceContext {
  readonly time: Time;
  readonly config: GroupCoordinatorConfig;
  /** Persists the group's metadata with these assignments; resolves to a Kafka error code (0 = ok). */
  storeGroup(group: ClassicGroup, assignment: Map<string, Buffer>): Promise<number>;
  /** Called when a timer-driven change could not be persisted, for logging. */
  onBackgroundError?(group: ClassicGroup, what: string, errorCode: number): void;
}

export class Rebalancer {
  constructor(private readonly ctx: RebalanceContext) {}

  /** (Re)starts the member's session timer (or the new-member join timer when timeoutMs is given). */
  scheduleHeartbeat(group: ClassicGroup, member: Member, timeoutMs = member.sessionTimeoutMs): void {
    member.cancelExpiration?.();
    const memberRef = member;
    member.cancelExpiration = this.ctx.time.schedule(timeoutMs, () => {
      memberRef.cancelExpiration = null;
      this.onExpireHeartbeat(group, memberRef);
    });
  }

  /** A member handed a member id (MEMBER_ID_REQUIRED) must rejoin within its session timeout. */
  addPendingMember(group: ClassicGroup, memberId: string, sessionTimeoutMs: number): void {
    const cancel = this.ctx.time.schedule(sessionTimeoutMs, () => {
      if (group.is("Dead") || !group.pendingMembers.has(memberId)) return;
      group.pendingMembers.delete(memberId);
      if (group.is("PreparingRebalance")) this.tryCompleteJoin(group);
    });
    group.pendingMembers.set(memberId, cancel);
  }

  private onExpireHeartbeat(group: ClassicGroup, member: Member): void {
    if (group.is("Dead") || group.members.get(member.memberId) !== member) return;
    // Members parked in a rebalance count as alive, except new members whose join timed out.
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) return;
    this.removeMemberAndUpdateGroup(group, member);
  }

  /** Removes a member (session expiry, LeaveGroup) and lets the group react. */
  removeMemberAndUpdateGroup(group: ClassicGroup, member: Member): void {
    // A new member can time out while its JoinGroup is parked: answer it so the client retries.
    group.invokeJoin(member, errorJoinResult("", ErrorCode.UNKNOWN_MEMBER_ID));
    group.remove(member.memberId);
    switch (group.state) {
      case "Dead":
      case "Empty":
        break;
      case "Stable":
      case "CompletingRebalance":
        this.maybePrepareRebalance(group);
        break;
      case "PreparingRebalance":
        this.tryCompleteJoin(group);
        break;
    }
  }

  removePendingMember(group: ClassicGroup, memberId: string): void {
    group.remove(memberId);
    if (group.is("PreparingRebalance")) this.tryCompleteJoin(group);
  }

  maybePrepareRebalance(group: ClassicGroup): void {
    if (group.canRebalance()) this.prepareRebalance(group);
  }

  prepareRebalance(group: ClassicGroup): void {
    // Members waiting for their assignment must rejoin instead.
    if (group.is("CompletingRebalance"))
      this.resetAndPropagateAssignmentError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.cancelSyncTimer(group);
    const delay = this.ctx.config["group.initial.rebalance.delay.ms"];
    const wasEmpty = group.is("Empty");
    group.transitionTo("PreparingRebalance");
    if (wasEmpty && delay > 0) {
      // Give other members of a starting group a chance to join before the first generation.
      this.scheduleInitialDelayedJoin(group, delay, Math.max(group.rebalanceTimeoutMs - delay, 0));
    } else {
      this.scheduleDelayedJoin(group);
    }
  }

  private scheduleDelayedJoin(group: ClassicGroup): void {
    this.cancelJoinTimer(group);
    const cancel = this.ctx.time.schedule(group.rebalanceTimeoutMs, () => this.completeJoin(group));
    group.joinTimer = { cancel, initial: false };
    this.tryCompleteJoin(group);
  }

  private scheduleInitialDelayedJoin(group: ClassicGroup, delayMs: number, remainingMs: number): void {
    this.cancelJoinTimer(group);
    const configured = this.ctx.config["group.initial.rebalance.delay.ms"];
    const cancel = this.ctx.time.schedule(delayMs, () => {
      group.joinTimer = null;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const nextDelay = Math.min(configured, remainingMs);
        this.scheduleInitialDelayedJoin(group, nextDelay, Math.max(remainingMs - delayMs, 0));
      } else {
        this.completeJoin(group);
      }
    });
    group.joinTimer = { cancel, initial: true };
  }

  /** Completes the join phase early once every member (and no pending member) has rejoined. */
  tryCompleteJoin(group: ClassicGroup): void {
    if (group.joinTimer && !group.joinTimer.initial && group.hasAllMembersJoined()) this.completeJoin(group);
  }

  private completeJoin(group: ClassicGroup): void {
    this.cancelJoinTimer(group);
    if (!group.is("PreparingRebalance")) return; // unloaded or deleted meanwhile
    this.onCompleteJoin(group);
  }

  private onCompleteJoin(group: ClassicGroup): void {
    // Dynamic members that did not rejoin in time leave the group; static ones keep their place.
    for (const m of group.notYetRejoinedMembers()) {
      if (!m.isStatic) group.remove(m.memberId);
    }
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Only static members that have not rejoined remain: wait another round; their session
      // timeouts will eventually remove them.
      this.scheduleDelayedJoin(group);
      return;
    }
    const now = this.ctx.time.now();
    group.initNextGeneration(now);
    if (group.is("Empty")) {
      void this.ctx.storeGroup(group, new Map()).then((err) => {
        if (err !== 0) this.ctx.onBackgroundError?.(group, "store empty group", err);
      });
      return;
    }
    for (const m of group.members.values()) {
      group.invokeJoin(m, group.joinResult(m, group.isLeader(m.memberId)));
      this.scheduleHeartbeat(group, m);
      m.isNew = false;
    }
    this.schedulePendingSync(group);
  }

  private schedulePendingSync(group: ClassicGroup): void {
    this.cancelSyncTimer(group);
    const generation = group.generationId;
    group.syncTimer = this.ctx.time.schedule(group.rebalanceTimeoutMs, () => {
      group.syncTimer = null;
      this.onExpirePendingSync(group, generation);
    });
  }

  /** Called after a member's SyncGroup: stop the sync timer once everyone has synced. */
  tryCompletePendingSync(group: ClassicGroup): void {
    if (group.pendingSyncMembers.size === 0) this.cancelSyncTimer(group);
  }

  private onExpirePendingSync(group: ClassicGroup, generation: number): void {
    if (generation !== group.generationId) return;
    if (!group.is("CompletingRebalance") && !group.is("Stable")) return;
    if (group.pendingSyncMembers.size === 0) return;
    for (const id of [...group.pendingSyncMembers]) group.remove(id);
    this.prepareRebalance(group);
  }

  setAndPropagateAssignment(group: ClassicGroup, assignment: Map<string, Buffer>): void {
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BUFFER;
    this.propagateAssignment(group, ErrorCode.NONE);
  }

  resetAndPropagateAssignmentError(group: ClassicGroup, errorCode: number): void {
    for (const m of group.members.values()) m.assignment = EMPTY_BUFFER;
    this.propagateAssignment(group, errorCode);
  }

  private propagateAssignment(group: ClassicGroup, errorCode: number): void {
    const ok = errorCode === ErrorCode.NONE;
    for (const m of group.members.values()) {
      const answered = group.invokeSync(m, {
        errorCode,
        protocolType: ok ? group.protocolType : null,
        protocolName: ok ? group.protocolName : null,
        assignment: m.assignment,
      });
      // A member whose session ran out while it waited for the assignment gets a fresh session.
      if (answered) this.scheduleHeartbeat(group, m);
    }
  }

  cancelJoinTimer(group: ClassicGroup): void {
    group.joinTimer?.cancel();
    group.joinTimer = null;
  }

  cancelSyncTimer(group: ClassicGroup): void {
    group.syncTimer?.();
    group.syncTimer = null;
  }

  /** Stops every timer of the group (unload, deletion). */
  cancelAll(group: ClassicGroup): void {
    this.cancelJoinTimer(group);
    this.cancelSyncTimer(group);
    for (const m of group.members.values()) {
      m.cancelExpiration?.();
      m.cancelExpiration = null;
    }
    for (const cancel of group.pendingMembers.values()) cancel();
  }
}
