import { describe, expect, it } from "vitest";
import { KubeApiError, type KubeClient, type KubeObj } from "../../../operator/kube/client.js";
import { ManualClock } from "../../../operator/kube/clock.js";
import { LeaderElector } from "../../../operator/kube/leader.js";

/** One Lease with resourceVersion conflicts, like the API server; `down` makes every call fail. */
class FakeLeases {
  lease: KubeObj | undefined;
  rv = 0;
  down = false;
  client(): KubeClient {
    const check = () => {
      if (this.down) throw new TypeError("fetch failed");
    };
    return {
      get: async () => {
        check();
        return this.lease ? structuredClone(this.lease) : undefined;
      },
      create: async (o: KubeObj) => {
        check();
        if (this.lease) throw new KubeApiError(409, "AlreadyExists", "exists");
        this.lease = {
          ...structuredClone(o),
          metadata: { ...o.metadata, resourceVersion: String(++this.rv) },
        };
        return this.lease;
      },
      replace: async (o: KubeObj) => {
        check();
        if (o.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
          throw new KubeApiError(409, "Conflict", "modified");
        }
        this.lease = {
          ...structuredClone(o),
          metadata: { ...o.metadata, resourceVersion: String(++this.rv) },
        };
        return this.lease;
      },
    } as unknown as KubeClient;
  }
  holder(): string | undefined {
    return (this.lease?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
};

function elector(leases: FakeLeases, clock: ManualClock, identity: string, events: string[]) {
  return new LeaderElector(leases.client(), {
    namespace: "ns",
    name: "lease",
    identity,
    clock,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 500,
    onStartedLeading: () => events.push(`${identity} leads`),
    onStoppedLeading: () => events.push(`${identity} stops`),
  });
}

async function advance(clock: ManualClock, ms: number, stepMs = 100) {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    await flush();
  }
}

describe("LeaderElector", () => {
  it("elects one of two candidates and keeps it while it renews", async () => {
    const leases = new FakeLeases();
    const clock = new ManualClock();
    const events: string[] = [];
    const a = elector(leases, clock, "a", events);
    const b = elector(leases, clock, "b", events);
    a.start();
    b.start();
    await advance(clock, 10_000);
    expect(events).toEqual(["a leads"]);
    expect(a.isLeader() && !b.isLeader()).toBe(true);
    expect(leases.holder()).toBe("a");
  });

  it("hands over at once when the leader releases the lease on stop", async () => {
    const leases = new FakeLeases();
    const clock = new ManualClock();
    const events: string[] = [];
    const a = elector(leases, clock, "a", events);
    const b = elector(leases, clock, "b", events);
    a.start();
    await advance(clock, 200);
    b.start();
    await advance(clock, 1000);
    await a.stop();
    await advance(clock, 600);
    expect(events).toEqual(["a leads", "a stops", "b leads"]);
  });

  it("takes over a lease whose holder vanished only after the lease duration", async () => {
    const leases = new FakeLeases();
    const clock = new ManualClock();
    const events: string[] = [];
    const a = elector(leases, clock, "a", events);
    a.start();
    await advance(clock, 200);
    // "a" crashes: it stops renewing without releasing.
    (a as unknown as { stopped: boolean }).stopped = true;
    const b = elector(leases, clock, "b", events);
    b.start();
    await advance(clock, 2500);
    expect(b.isLeader()).toBe(false);
    await advance(clock, 1500);
    expect(b.isLeader()).toBe(true);
    expect(leases.holder()).toBe("b");
  });

  it("steps down when it cannot renew within the renew deadline", async () => {
    const leases = new FakeLeases();
    const clock = new ManualClock();
    const events: string[] = [];
    const a = elector(leases, clock, "a", events);
    a.start();
    await advance(clock, 200);
    leases.down = true;
    await advance(clock, 1500);
    expect(a.isLeader()).toBe(true);
    await advance(clock, 1000);
    expect(a.isLeader()).toBe(false);
    expect(events).toEqual(["a leads", "a stops"]);
  });
});
