/**
 * Committed offsets of one group, plus the commits staged while their log append is in flight
 * (OffsetFetch with require_stable reports UNSTABLE_OFFSET_COMMIT for those).
 */

export interface CommittedOffset {
  offset: bigint;
  /** -1 when unknown. */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only set by OffsetCommit v2-4 retention_time_ms (and v1 value records); null otherwise. */
  expireTimestamp: number | null;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

interface Entry {
  value: CommittedOffset;
  /** Order in which commits were staged; a late-completing older commit never overwrites a newer one. */
  seq: number;
}

class TpMap<V> {
  private readonly byTopic = new Map<string, Map<number, V>>();

  get(topic: string, partition: number): V | undefined {
    return this.byTopic.get(topic)?.get(partition);
  }
  set(topic: string, partition: number, v: V): void {
    let m = this.byTopic.get(topic);
    if (!m) {
      m = new Map();
      this.byTopic.set(topic, m);
    }
    m.set(partition, v);
  }
  delete(topic: string, partition: number): V | undefined {
    const m = this.byTopic.get(topic);
    const v = m?.get(partition);
    if (m && v !== undefined) {
      m.delete(partition);
      if (m.size === 0) this.byTopic.delete(topic);
    }
    return v;
  }
  hasTopic(topic: string): boolean {
    return this.byTopic.has(topic);
  }
  *entries(): Generator<[TopicPartition, V]> {
    for (const [topic, m] of this.byTopic) for (const [partition, v] of m) yield [{ topic, partition }, v];
  }
  get size(): number {
    let n = 0;
    for (const m of this.byTopic.values()) n += m.size;
    return n;
  }
  clear(): void {
    this.byTopic.clear();
  }
}

export class OffsetStore {
  private readonly committed = new TpMap<Entry>();
  private readonly pending = new TpMap<Entry>();
  private seq = 0;

  get(topic: string, partition: number): CommittedOffset | undefined {
    return this.committed.get(topic, partition)?.value;
  }

  hasOffsets(): boolean {
    return this.committed.size > 0 || this.pending.size > 0;
  }

  hasPending(topic: string, partition: number): boolean {
    return this.pending.get(topic, partition) !== undefined;
  }

  /** Every partition with a committed offset. */
  partitions(): TopicPartition[] {
    return [...this.committed.entries()].map(([tp]) => tp);
  }

  hasCommittedTopic(topic: string): boolean {
    return this.committed.hasTopic(topic);
  }

  /** Records a commit whose append is in flight; returns a token for complete/fail. */
  stage(tp: TopicPartition, value: CommittedOffset): number {
    const seq = ++this.seq;
    this.pending.set(tp.topic, tp.partition, { value, seq });
    return seq;
  }

  /** The append succeeded: the commit becomes visible unless it was deleted meanwhile. */
  complete(tp: TopicPartition, seq: number): void {
    const staged = this.pending.get(tp.topic, tp.partition);
    if (!staged) return; // removed by OffsetDelete/DeleteGroups/expiry while the append ran
    const cur = this.committed.get(tp.topic, tp.partition);
    if (staged.seq === seq) {
      if (!cur || cur.seq < seq) this.committed.set(tp.topic, tp.partition, staged);
      this.pending.delete(tp.topic, tp.partition);
    }
    // A newer commit for this partition is still pending; it will be applied when it completes.
  }

  /** The append failed: forget the staged commit if it is still the latest one. */
  fail(tp: TopicPartition, seq: number): void {
    if (this.pending.get(tp.topic, tp.partition)?.seq === seq) this.pending.delete(tp.topic, tp.partition);
  }

  /** Replay of an offset commit record. */
  load(tp: TopicPartition, value: CommittedOffset): void {
    this.committed.set(tp.topic, tp.partition, { value, seq: ++this.seq });
  }

  /** Removes offsets (committed and staged); returns those that had a committed offset. */
  remove(tps: TopicPartition[]): TopicPartition[] {
    const removed: TopicPartition[] = [];
    for (const tp of tps) {
      this.pending.delete(tp.topic, tp.partition);
      if (this.committed.delete(tp.topic, tp.partition)) removed.push(tp);
    }
    return removed;
  }

  removeAll(): TopicPartition[] {
    const removed = this.partitions();
    this.committed.clear();
    this.pending.clear();
    return removed;
  }

  /**
   * Offsets past retention: an explicit expire timestamp wins (old v1-v4 semantics); otherwise
   * `now - base >= retentionMs`. Staged partitions and topics in `keep` never expire.
   */
  expired(
    now: number,
    retentionMs: number,
    base: (o: CommittedOffset) => number,
    keep?: Set<string>,
  ): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const [tp, e] of this.committed.entries()) {
      if (keep?.has(tp.topic) || this.pending.get(tp.topic, tp.partition)) continue;
      const v = e.value;
      const isExpired = v.expireTimestamp !== null ? now >= v.expireTimestamp : now - base(v) >= retentionMs;
      if (isExpired) out.push(tp);
    }
    return out;
  }
}
