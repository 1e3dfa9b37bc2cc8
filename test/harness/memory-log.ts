/**
 * In-memory stand-ins for a coordinator's internal topic and for anything a test wants to hold in
 * flight, shared by the group and transaction coordinator unit tests.
 */
import { KafkaError } from "../../protocol/errors/index.js";

/** While held, callers that await `pending` wait until release(). */
export class Gate {
  private gate: Promise<void> | null = null;
  private openGate: (() => void) | null = null;

  /** The promise to wait on, or null when not held (callers then must not await at all). */
  get pending(): Promise<void> | null {
    return this.gate;
  }

  hold(): void {
    this.gate = new Promise((r) => {
      this.openGate = r;
    });
  }

  release(): void {
    this.openGate?.();
    this.gate = null;
  }
}

export interface MemoryRecord {
  key: Buffer | null;
  value: Buffer | null;
}

/** A coordinator's internal topic in memory; can fail appends or hold them in flight. */
export class MemoryCoordinatorLog {
  readonly partitions = new Map<number, MemoryRecord[]>();
  failWith: number | null = null;
  private readonly gate = new Gate();

  async append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    const held = this.gate.pending;
    if (held) await held;
    if (this.failWith !== null) throw new KafkaError(this.failWith);
    const list = this.partitions.get(partition) ?? [];
    list.push(...records.map((r) => ({ key: Buffer.from(r.key), value: r.value && Buffer.from(r.value) })));
    this.partitions.set(partition, list);
  }

  /** Appends wait until release() is called. */
  hold(): void {
    this.gate.hold();
  }

  release(): void {
    this.gate.release();
  }

  records(partition: number): MemoryRecord[] {
    return this.partitions.get(partition) ?? [];
  }
}

/** Lets promise callbacks (and in-memory appends) run: `rounds` turns of the event loop. */
export async function flushImmediates(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}
