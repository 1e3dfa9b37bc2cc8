/**
 * A work queue of keys with controller-runtime's guarantees: a key is processed by at most one
 * worker at a time; adding a key while it is processed marks it dirty so it runs again afterwards;
 * adding a key already waiting is a no-op; failures retry with per-key exponential backoff.
 */
import { type Clock, systemClock } from "./clock.js";

export interface QueueOptions {
  baseDelayMs?: number;
  maxDelayMs?: number;
  clock?: Clock;
}

export type Handler = (key: string) => Promise<{ requeueAfterMs?: number } | undefined>;

export class WorkQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly delayed = new Map<string, { at: number; handle: unknown }>();
  private readonly wakers: Array<() => void> = [];
  private stopped = false;
  private readonly base: number;
  private readonly max: number;
  private readonly clock: Clock;

  constructor(opts: QueueOptions = {}) {
    this.base = opts.baseDelayMs ?? 200;
    this.max = opts.maxDelayMs ?? 60_000;
    this.clock = opts.clock ?? systemClock;
  }

  add(key: string): void {
    if (this.stopped) return;
    const d = this.delayed.get(key);
    if (d) {
      this.clock.clearTimeout(d.handle);
      this.delayed.delete(key);
    }
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    this.queued.add(key);
    this.waiting.push(key);
    this.wakers.shift()?.();
  }

  /** Adds the key after a delay; an earlier pending delay for the key wins. */
  addAfter(key: string, ms: number): void {
    if (this.stopped) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.clock.clearTimeout(existing.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Re-adds after a failure: base * 2^(failures), capped. */
  addRateLimited(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    const delay = Math.min(this.max, this.base * 2 ** n);
    this.addAfter(key, delay);
    return delay;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  depth(): number {
    return this.waiting.length;
  }

  /** Next key to work on, or undefined once shut down. */
  async get(): Promise<string | undefined> {
    while (!this.stopped && this.waiting.length === 0) {
      await new Promise<void>((resolve) => this.wakers.push(resolve));
    }
    if (this.stopped) return undefined;
    const key = this.waiting.shift()!;
    this.queued.delete(key);
    this.processing.add(key);
    return key;
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  shutdown(): void {
    this.stopped = true;
    for (const d of this.delayed.values()) this.clock.clearTimeout(d.handle);
    this.delayed.clear();
    for (const w of this.wakers.splice(0)) w();
  }

  /** Runs `workers` loops calling handler; resolves when the queue shuts down and loops finish. */
  async run(handler: Handler, workers: number, onError?: (key: string, err: unknown) => void): Promise<void> {
    const loop = async () => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        try {
          const r = await handler(key);
          this.forget(key);
          if (r?.requeueAfterMs !== undefined) this.addAfter(key, r.requeueAfterMs);
        } catch (err) {
          onError?.(key, err);
          this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }
}
