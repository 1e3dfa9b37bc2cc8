/**
 * State of one classic group: its state machine (Empty, PreparingRebalance, CompletingRebalance,
 * Stable, Dead), members, static-member mapping, protocol bookkeeping and committed offsets.
 * Pure data and invariants; timers and persistence live in the rebalancer and the coordinator.
 */
import { ErrorCode } from "../../../protocol/errors/index.js";
import { subscribedTopics } from "./consumer-protocol.js";
import { EMPTY_BUFFER, type Member } from "./member.js";
import { OffsetStore } from "./offsets.js";
import type { Cancel } from "./time.js";
import type { GroupStateName, JoinGroupMember, JoinGroupResult, SyncGroupResult } from "./types.js";

const VALID_PREVIOUS: Record<GroupStateName, GroupStateName[]> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
};

export class ClassicGroup {
  state: GroupStateName;
  generationId = 0;
  /** Set by the first member; kept when the group empties again (null = offsets-only group). */
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** When the group last changed generation (null if unknown, e.g. loaded from an old record). */
  currentStateTimestamp: number | null;
  readonly members = new Map<string, Member>();
  private readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED and not yet rejoined, with their expiry. */
  readonly pendingMembers = new Map<string, Cancel>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  private readonly supportedProtocols = new Map<string, number>();
  numMembersAwaitingJoin = 0;
  /** A member joined during the initial delay, so the delayed join may wait another round. */
  newMemberAdded = false;
  /** Topics the members subscribe to ("consumer" protocol only; null when unknown). */
  subscribedTopics: Set<string> | null = null;
  readonly offsets = new OffsetStore();
  /** The pending join-phase completion (delayed join or initial delayed join). */
  joinTimer: { cancel: Cancel; initial: boolean } | null = null;
  /** The pending sync-phase expiration. */
  syncTimer: Cancel | null = null;

  constructor(
    readonly groupId: string,
    state: GroupStateName,
    now: number | null,
  ) {
    this.state = state;
    this.currentStateTimestamp = now;
  }

  is(state: GroupStateName): boolean {
    return this.state === state;
  }

  transitionTo(state: GroupStateName): void {
    if (!VALID_PREVIOUS[state].includes(this.state)) {
      throw new Error(`group ${this.groupId}: illegal transition ${this.state} -> ${state}`);
    }
    this.state = state;
  }

  canRebalance(): boolean {
    return this.state === "Stable" || this.state === "CompletingRebalance" || this.state === "Empty";
  }

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): Member {
    const m = this.members.get(memberId);
    if (!m) throw new Error(`group ${this.groupId}: no member ${memberId}`);
    return m;
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  isPendingMember(memberId: string): boolean {
    return this.pendingMembers.has(memberId);
  }

  staticMemberId(groupInstanceId: string): string | undefined {
    return this.staticMembers.get(groupInstanceId);
  }

  /** The largest rebalance timeout of the members: how long a rebalance may take. */
  get rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  add(member: Member, onJoin: ((r: JoinGroupResult) => void) | null): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, 1);
    member.awaitingJoin = onJoin;
    if (onJoin) this.numMembersAwaitingJoin++;
    this.pendingMembers.get(member.memberId)?.();
    this.pendingMembers.delete(member.memberId);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
  }

  /** Removes a member (or pending member); the leadership passes to any remaining member. */
  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId);
    if (member) {
      this.members.delete(memberId);
      this.countProtocols(member, -1);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin--;
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
        this.staticMembers.delete(member.groupInstanceId);
      }
      member.cancelExpiration?.();
      member.cancelExpiration = null;
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingMembers.get(memberId)?.();
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
    return member;
  }

  updateMember(
    member: Member,
    protocols: Member["protocols"],
    rebalanceTimeoutMs: number,
    sessionTimeoutMs: number,
    onJoin: ((r: JoinGroupResult) => void) | null,
  ): void {
    this.countProtocols(member, -1);
    member.protocols = protocols;
    this.countProtocols(member, 1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (onJoin && !member.isAwaitingJoin) this.numMembersAwaitingJoin++;
    else if (!onJoin && member.isAwaitingJoin) this.numMembersAwaitingJoin--;
    member.awaitingJoin = onJoin;
  }

  /**
   * A static member came back with a new member id: the old id is fenced immediately (any parked
   * join/sync of the old instance answers FENCED_INSTANCE_ID) and the new id takes its place.
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const member = this.get(oldMemberId);
    this.members.delete(oldMemberId);
    this.invokeJoin(member, errorJoinResult(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    this.invokeSync(member, errorSyncResult(ErrorCode.FENCED_INSTANCE_ID));
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    return member;
  }

  private countProtocols(member: Member, delta: number): void {
    for (const name of member.protocolNames()) {
      const n = (this.supportedProtocols.get(name) ?? 0) + delta;
      if (n > 0) this.supportedProtocols.set(name, n);
      else this.supportedProtocols.delete(name);
    }
  }

  /** Protocols every member supports. */
  private candidateProtocols(): Set<string> {
    const out = new Set<string>();
    for (const [name, n] of this.supportedProtocols) if (n === this.members.size) out.add(name);
    return out;
  }

  supportsProtocols(protocolType: string, protocolNames: Set<string>): boolean {
    if (this.is("Empty")) return protocolType.length > 0 && protocolNames.size > 0;
    if (this.protocolType !== protocolType) return false;
    for (const name of protocolNames)
      if (this.supportedProtocols.get(name) === this.members.size) return true;
    return false;
  }

  /** Each member votes for its most preferred common protocol; the most votes wins (first on ties). */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const v = m.vote(candidates);
      if (v !== undefined) votes.set(v, (votes.get(v) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    if (best === null) throw new Error(`group ${this.groupId}: no common protocol`);
    return best;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin && this.pendingMembers.size === 0;
  }

  notYetRejoinedMembers(): Member[] {
    return [...this.members.values()].filter((m) => !m.isAwaitingJoin);
  }

  /** If the leader has not rejoined, any member that has takes over; false if none has. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.members.get(this.leaderId)?.isAwaitingJoin) return true;
    for (const m of this.members.values()) {
      if (m.isAwaitingJoin) {
        this.leaderId = m.memberId;
        return true;
      }
    }
    return false;
  }

  initNextGeneration(now: number): void {
    this.generationId++;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo("CompletingRebalance");
    } else {
      this.protocolName = null;
      this.transitionTo("Empty");
    }
    this.subscribedTopics = this.computeSubscribedTopics();
    this.currentStateTimestamp = now;
    this.pendingSyncMembers.clear();
    for (const id of this.members.keys()) this.pendingSyncMembers.add(id);
  }

  computeSubscribedTopics(): Set<string> | null {
    if (this.protocolType !== "consumer" || this.protocolName === null || this.members.size === 0)
      return null;
    const topics = new Set<string>();
    for (const m of this.members.values()) {
      const t = subscribedTopics(m.metadata(this.protocolName));
      if (t === null) return null;
      for (const name of t) topics.add(name);
    }
    return topics;
  }

  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics?.has(topic) ?? false;
  }

  /** The member list a leader receives in its JoinGroup response. */
  currentMemberMetadata(): JoinGroupMember[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(this.protocolName),
    }));
  }

  /** Answers a parked JoinGroup; true if there was one. */
  invokeJoin(member: Member, result: JoinGroupResult): boolean {
    const cb = member.awaitingJoin;
    if (!cb) return false;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin--;
    cb(result);
    return true;
  }

  /** Answers a parked SyncGroup; true if there was one. */
  invokeSync(member: Member, result: SyncGroupResult): boolean {
    const cb = member.awaitingSync;
    if (!cb) return false;
    member.awaitingSync = null;
    cb(result);
    return true;
  }

  /** The successful JoinGroup answer for a member in the current generation. */
  joinResult(
    member: Member,
    withMembers: boolean,
    leader = this.leaderId,
    skipAssignment = false,
  ): JoinGroupResult {
    return {
      errorCode: 0,
      generationId: this.generationId,
      protocolType: this.protocolType,
      protocolName: this.protocolName,
      leader: leader ?? "",
      skipAssignment,
      memberId: member.memberId,
      members: withMembers ? this.currentMemberMetadata() : [],
    };
  }
}

export function errorJoinResult(memberId: string, errorCode: number): JoinGroupResult {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    skipAssignment: false,
    memberId,
    members: [],
  };
}

export function errorSyncResult(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BUFFER };
}
