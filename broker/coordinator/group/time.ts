/**
 * Time for the group coordinator: a clock and a one-shot timer facility, injected so that session
 * timeouts, rebalance timeouts, the initial rebalance delay and offset retention are testable without
 * sleeping (ManualTime) and run on real timers in the broker (systemTime).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Cancels a scheduled task; calling it after the task ran (or twice) is a no-op. */
export type Cancel = () => void;

export interface Scheduler {
  schedule(delayMs: number, fn: () => void): Cancel;
}

export interface Time extends Clock, Scheduler {}

/** Wall clock and Node timers; timers are unref'd so they never keep the process alive. */
export const systemTime: Time = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    let t: NodeJS.Timeout | undefined;
    // Node fires timers longer than 2^31-1 ms immediately; chain shorter ones instead (Kafka Streams
    // used max.poll.interval.ms = Integer.MAX_VALUE, so rebalance timeouts get that large).
    const arm = (remaining: number) => {
      const step = Math.min(Math.max(0, remaining), MAX_TIMER_MS);
      t = setTimeout(() => (remaining > MAX_TIMER_MS ? arm(remaining - MAX_TIMER_MS) : fn()), step);
      t.unref?.();
    };
    arm(delayMs);
    return () => clearTimeout(t);
  },
};

const MAX_TIMER_MS = 2_147_483_647;

interface Task {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * Deterministic time for tests: `advance(ms)` moves the clock forward and runs every task that
 * falls due, in due-time order (ties in scheduling order), including tasks scheduled by tasks.
 */
export class ManualTime implements Time {
  private current: number;
  private seq = 0;
  private tasks: Task[] = [];

  constructor(startMs = 1_700_000_000_000) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  schedule(delayMs: number, fn: () => void): Cancel {
    const task: Task = { due: this.current + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.tasks.push(task);
    return () => {
      task.cancelled = true;
    };
  }

  /** Number of scheduled tasks that have not run and were not cancelled. */
  pendingTasks(): number {
    return this.tasks.filter((t) => !t.cancelled).length;
  }

  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      this.tasks = this.tasks.filter((t) => !t.cancelled);
      let next: Task | undefined;
      for (const t of this.tasks) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq)))
          next = t;
      }
      if (!next) break;
      this.current = Math.max(this.current, next.due);
      next.cancelled = true;
      next.fn();
    }
    this.current = target;
  }
}
