import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../operator/kube/clock.js";
import { WorkQueue } from "../../../operator/kube/queue.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("WorkQueue", () => {
  it("deduplicates waiting keys", async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add("a");
    q.add("a");
    q.add("b");
    expect(q.depth()).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
  });

  it("never hands one key to two workers; a key added while processing runs again after", async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    q.add("a");
    const k = await q.get();
    q.add("a");
    expect(q.depth()).toBe(0); // held back while "a" is processing
    q.done(k!);
    expect(q.depth()).toBe(1);
    expect(await q.get()).toBe("a");
  });

  it("serialises a key across concurrent workers", async () => {
    const q = new WorkQueue({ clock: new ManualClock() });
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const gates: Array<() => void> = [];
    const running = q.run(async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise<void>((r) => gates.push(r));
      active--;
      runs++;
      return undefined;
    }, 4);
    q.add("k");
    await tick();
    q.add("k");
    q.add("k");
    await tick();
    expect(gates.length).toBe(1);
    gates.shift()!();
    await tick();
    await tick();
    expect(gates.length).toBe(1); // re-run once for the two adds made meanwhile
    gates.shift()!();
    await tick();
    q.shutdown();
    await running;
    expect(maxActive).toBe(1);
    expect(runs).toBe(2);
  });

  it("backs off exponentially per key and resets on forget", () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, baseDelayMs: 100, maxDelayMs: 1000 });
    expect([1, 2, 3, 4, 5].map(() => q.addRateLimited("x"))).toEqual([100, 200, 400, 800, 1000]);
    expect(q.depth()).toBe(0);
    clock.advance(99);
    expect(q.depth()).toBe(0);
    clock.advance(1);
    expect(q.depth()).toBe(1); // the earliest pending delay wins
    q.forget("x");
    expect(q.retries("x")).toBe(0);
    expect(q.addRateLimited("x")).toBe(100);
  });

  it("retries a failing handler with backoff and reports the error", async () => {
    const clock = new ManualClock();
    const q = new WorkQueue({ clock, baseDelayMs: 50 });
    let calls = 0;
    const errors: string[] = [];
    const running = q.run(
      async () => {
        calls++;
        if (calls < 3) throw new Error(`boom ${calls}`);
        return undefined;
      },
      1,
      (_k, e) => errors.push((e as Error).message),
    );
    q.add("a");
    await tick();
    expect(calls).toBe(1);
    clock.advance(50);
    await tick();
    expect(calls).toBe(2);
    clock.advance(99);
    await tick();
    expect(calls).toBe(2);
    clock.advance(1);
    await tick();
    expect(calls).toBe(3);
    expect(errors).toEqual(["boom 1", "boom 2"]);
    expect(q.retries("a")).toBe(0);
    q.shutdown();
    await running;
  });
});
