/**
 * Incremental fetch sessions (KIP-227). A session remembers the partitions a client fetches and
 * what it last told the client about each, so later requests list only changes and responses
 * carry only partitions with news. Request (sessionId, epoch) meanings:
 *   (0, -1)  no session: full request, full response
 *   (0, 0)   open a session with this full request
 *   (X, -1)  close session X; answer as sessionless
 *   (X, 0)   close X and open a new session
 *   (X, N>0) incremental request in session X at epoch N
 */
export const FINAL_EPOCH = -1;
export const INITIAL_EPOCH = 0;

export interface SessionPartition {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  maxBytes: number;
  currentLeaderEpoch: number;
  /** What the last response said (null: never sent), to decide whether there is news. */
  lastHighWatermark: bigint | null;
  lastLogStartOffset: bigint | null;
}

export const partKey = (topicOrId: string, partition: number): string => `${topicOrId}\u0000${partition}`;

export interface FetchSession {
  id: number;
  /** Epoch the next request must carry. */
  nextEpoch: number;
  partitions: Map<string, SessionPartition>;
  lastUsedMs: number;
  usesTopicIds: boolean;
}

export type SessionLookup =
  | { kind: "sessionless" }
  | { kind: "new"; closedId: number | null }
  | { kind: "incremental"; session: FetchSession }
  | { kind: "error"; code: "FETCH_SESSION_ID_NOT_FOUND" | "INVALID_FETCH_SESSION_EPOCH" };

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  private nextId = 1;

  constructor(
    private readonly maxSessions: number,
    private readonly now: () => number,
    private readonly idleEvictMs = 120_000,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  lookup(sessionId: number, epoch: number): SessionLookup {
    if (sessionId === 0)
      return epoch === INITIAL_EPOCH ? { kind: "new", closedId: null } : { kind: "sessionless" };
    if (epoch === FINAL_EPOCH) {
      this.sessions.delete(sessionId);
      return { kind: "sessionless" };
    }
    if (epoch === INITIAL_EPOCH) {
      this.sessions.delete(sessionId);
      return { kind: "new", closedId: sessionId };
    }
    const s = this.sessions.get(sessionId);
    if (!s) return { kind: "error", code: "FETCH_SESSION_ID_NOT_FOUND" };
    if (s.nextEpoch !== epoch) return { kind: "error", code: "INVALID_FETCH_SESSION_EPOCH" };
    s.lastUsedMs = this.now();
    return { kind: "incremental", session: s };
  }

  /** Create a session (returns null when the cache is full of recently used sessions). */
  create(partitions: Map<string, SessionPartition>, usesTopicIds: boolean): FetchSession | null {
    const now = this.now();
    if (this.sessions.size >= this.maxSessions) {
      // Evict the least recently used session if it has been idle long enough, as Kafka does.
      let oldest: FetchSession | null = null;
      for (const s of this.sessions.values()) if (!oldest || s.lastUsedMs < oldest.lastUsedMs) oldest = s;
      if (!oldest || now - oldest.lastUsedMs < this.idleEvictMs) return null;
      this.sessions.delete(oldest.id);
    }
    let id = this.nextId;
    while (id === 0 || this.sessions.has(id)) id = (id % 0x7fffffff) + 1;
    this.nextId = (id % 0x7fffffff) + 1;
    const s: FetchSession = { id, nextEpoch: 1, partitions, lastUsedMs: now, usesTopicIds };
    this.sessions.set(id, s);
    return s;
  }

  /** After a successful incremental response. */
  advance(s: FetchSession): void {
    s.nextEpoch = s.nextEpoch >= 0x7fffffff ? 1 : s.nextEpoch + 1;
  }
}
