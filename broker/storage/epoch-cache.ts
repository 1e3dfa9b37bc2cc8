import path from "node:path";
import { type EpochEntry, formatEpochCheckpoint, parseEpochCheckpoint } from "./checkpoints.js";
import { LEADER_EPOCH_CHECKPOINT, readFileIfExists, writeFileAtomic } from "./files.js";

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

/**
 * Leader epoch -> start offset history (leader-epoch-checkpoint). Followers use it to find where
 * their log diverges from the leader's (OffsetForLeaderEpoch). Every change is written through.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];
  private readonly file: string;

  constructor(dir: string, persist = true) {
    this.file = path.join(dir, LEADER_EPOCH_CHECKPOINT);
    this.persist = persist;
    const text = persist ? readFileIfExists(this.file) : null;
    this.entries = text === null ? [] : parseEpochCheckpoint(this.file, text);
  }
  private readonly persist: boolean;

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  get latestEpoch(): number {
    return this.entries.length ? this.entries[this.entries.length - 1]!.epoch : UNDEFINED_EPOCH;
  }

  /** Record that `epoch` starts at `startOffset`. Older or equal epochs are ignored. */
  assign(epoch: number, startOffset: bigint): void {
    if (epoch < 0) return;
    const last = this.entries[this.entries.length - 1];
    if (last && epoch <= last.epoch) return;
    // A new epoch starting before existing entries replaces them (they were truncated away).
    this.entries = this.entries.filter((e) => e.startOffset < startOffset);
    this.entries.push({ epoch, startOffset });
    this.flush();
  }

  /** Epoch of the batch holding `offset` (the last entry starting at or before it). */
  epochForOffset(offset: bigint): number {
    let out = UNDEFINED_EPOCH;
    for (const e of this.entries) {
      if (e.startOffset <= offset) out = e.epoch;
      else break;
    }
    return out;
  }

  /** Kafka's OffsetForLeaderEpoch answer for `requested`, given the current log end offset. */
  endOffsetFor(requested: number, logEndOffset: bigint): { epoch: number; endOffset: bigint } {
    const undefinedAnswer = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requested === UNDEFINED_EPOCH || this.entries.length === 0) return undefinedAnswer;
    if (requested === this.latestEpoch) return { epoch: requested, endOffset: logEndOffset };
    const higher = this.entries.find((e) => e.epoch > requested);
    if (!higher) return undefinedAnswer;
    let floor: EpochEntry | undefined;
    for (const e of this.entries) if (e.epoch <= requested) floor = e;
    return { epoch: floor ? floor.epoch : requested, endOffset: higher.startOffset };
  }

  /** Drop entries starting at or after `offset` (log truncated to `offset`). */
  truncateFromEnd(offset: bigint): void {
    const kept = this.entries.filter((e) => e.startOffset < offset);
    if (kept.length === this.entries.length) return;
    this.entries = kept;
    this.flush();
  }

  /** Log start moved to `offset`: the epoch covering it now starts there. */
  truncateFromStart(offset: bigint): void {
    let i = 0;
    while (i + 1 < this.entries.length && this.entries[i + 1]!.startOffset <= offset) i++;
    const first = this.entries[i];
    if (!first) return;
    const kept = this.entries.slice(i);
    if (first.startOffset < offset) kept[0] = { epoch: first.epoch, startOffset: offset };
    if (kept.length === this.entries.length && kept[0] === this.entries[0]) return;
    this.entries = kept;
    this.flush();
  }

  clear(): void {
    this.entries = [];
    this.flush();
  }

  private flush(): void {
    if (this.persist) writeFileAtomic(this.file, formatEpochCheckpoint(this.entries));
  }
}
