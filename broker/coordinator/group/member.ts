/** One member of a classic group: identity, timeouts, protocols and its pending join/sync answers. */
import type { Cancel } from "./time.js";
import type { JoinGroupResult, ProtocolInput, SyncGroupResult } from "./types.js";

export const EMPTY_BUFFER: Buffer = Buffer.alloc(0);

export interface MemberInit {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  protocols: ProtocolInput[];
}

export class Member {
  memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  readonly protocolType: string;
  protocols: ProtocolInput[];
  assignment: Buffer = EMPTY_BUFFER;
  /** Resolves the member's parked JoinGroup, if any. */
  awaitingJoin: ((r: JoinGroupResult) => void) | null = null;
  /** Resolves the member's parked SyncGroup, if any. */
  awaitingSync: ((r: SyncGroupResult) => void) | null = null;
  /** Joined during the current rebalance and has not yet received a join response. */
  isNew = false;
  /** Cancels the pending session (or new-member join) expiration. */
  cancelExpiration: Cancel | null = null;

  constructor(init: MemberInit) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  protocolNames(): Set<string> {
    return new Set(this.protocols.map((p) => p.name));
  }

  /** The member's metadata for a protocol (empty if it does not support it). */
  metadata(protocol: string | null): Buffer {
    if (protocol === null) return EMPTY_BUFFER;
    return this.protocols.find((p) => p.name === protocol)?.metadata ?? EMPTY_BUFFER;
  }

  /** Same protocols in the same order with identical metadata. */
  matches(protocols: ProtocolInput[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every(
      (p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata),
    );
  }

  /** The member's most preferred protocol among the candidates. */
  vote(candidates: Set<string>): string | undefined {
    return this.protocols.find((p) => candidates.has(p.name))?.name;
  }
}
