// Test helper: a queue of watch events that tests await one by one (no sleeping).

export interface WatchEvent {
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: watch objects are free-form JSON.
  object: any;
}

export class EventQueue {
  private readonly items: WatchEvent[] = [];
  private waiters: (() => void)[] = [];
  done = false;
  doneError: unknown;
  private doneWaiters: (() => void)[] = [];

  push = (type: string, object: unknown): void => {
    this.items.push({ type, object });
    for (const w of this.waiters.splice(0)) w();
  };

  finish = (err?: unknown): void => {
    this.done = true;
    this.doneError = err;
    for (const w of this.doneWaiters.splice(0)) w();
    for (const w of this.waiters.splice(0)) w();
  };

  /** The next event, skipping the types in `skip`; fails after `ms`. */
  async next(skip: string[] = ["BOOKMARK"], ms = 5000): Promise<WatchEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.items.findIndex((e) => !skip.includes(e.type));
      if (i >= 0) return this.items.splice(0, i + 1)[i];
      if (this.done) throw new Error(`watch ended (${String(this.doneError)}) while waiting for an event`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for a watch event");
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async ended(ms = 5000): Promise<void> {
    if (this.done) return;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("watch did not end")), ms);
      this.doneWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  all(): WatchEvent[] {
    return [...this.items];
  }
}

/** Resolve when `check` (sync or async) returns true, re-checking every few milliseconds. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
