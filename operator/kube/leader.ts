/**
 * Leader election on a coordination.k8s.io/v1 Lease, the client-go way: whoever holds an unexpired
 * lease leads; the holder renews every retry period; a candidate takes over an expired lease with
 * an optimistic-concurrency update (a 409 means someone else won). A leader that cannot renew
 * within the renew deadline steps down.
 */
import type { Logger } from "pino";
import { isAlreadyExists, isConflict, type KubeClient, type KubeObj } from "./client.js";
import { type Clock, systemClock } from "./clock.js";
import { LEASE } from "./resources.js";

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  clock?: Clock;
  log?: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

interface LeaseObj extends KubeObj {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

export class LeaderElector {
  private leading = false;
  private stopped = false;
  private timer: unknown;
  private lastRenew = 0;
  private observedRecord = "";
  private observedAt = 0;
  private readonly clock: Clock;
  private readonly duration: number;
  private readonly deadline: number;
  private readonly period: number;

  constructor(
    private readonly client: KubeClient,
    private readonly o: LeaderElectionOptions,
  ) {
    this.clock = o.clock ?? systemClock;
    this.duration = o.leaseDurationMs ?? 15_000;
    this.deadline = o.renewDeadlineMs ?? 10_000;
    this.period = o.retryPeriodMs ?? 2_000;
  }

  isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.schedule(0);
  }

  private inflight: Promise<void> = Promise.resolve();

  private schedule(ms: number): void {
    this.timer = this.clock.setTimeout(() => {
      this.inflight = this.tick();
    }, ms);
  }

  /** Stops campaigning; a leader releases the lease so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    await this.inflight;
    if (this.leading) {
      this.leading = false;
      try {
        const lease = await this.client.get<LeaseObj>(LEASE, this.o.namespace, this.o.name);
        if (lease?.spec?.holderIdentity === this.o.identity) {
          lease.spec = {
            ...lease.spec,
            holderIdentity: "",
            leaseDurationSeconds: 1,
            renewTime: microTime(0),
          };
          await this.client.replace(lease);
        }
      } catch (err) {
        this.o.log?.warn({ err: String(err) }, "could not release the lease");
      }
      this.o.onStoppedLeading();
    }
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    let ok = false;
    try {
      ok = await this.tryAcquireOrRenew();
    } catch (err) {
      this.o.log?.warn({ err: String(err) }, "lease update failed");
    }
    if (this.stopped) return;
    const now = this.clock.now();
    if (ok) {
      this.lastRenew = now;
      if (!this.leading) {
        this.leading = true;
        this.o.log?.info({ identity: this.o.identity }, "became leader");
        this.o.onStartedLeading();
      }
    } else if (this.leading && now - this.lastRenew > this.deadline) {
      this.leading = false;
      this.o.log?.warn({ identity: this.o.identity }, "lost leadership");
      this.o.onStoppedLeading();
    }
    this.schedule(this.period);
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const spec = {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.max(1, Math.round(this.duration / 1000)),
      renewTime: microTime(now),
    };
    const lease = await this.client.get<LeaseObj>(LEASE, this.o.namespace, this.o.name);
    if (!lease) {
      try {
        await this.client.create<LeaseObj>({
          apiVersion: LEASE.apiVersion,
          kind: LEASE.kind,
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: { ...spec, acquireTime: microTime(now), leaseTransitions: 0 },
        });
        return true;
      } catch (err) {
        if (isAlreadyExists(err) || isConflict(err)) return false;
        throw err;
      }
    }
    const cur = lease.spec ?? {};
    // Expiry is judged on our own clock, from when we last saw the record change (as client-go
    // does), so clock skew between operator replicas does not matter.
    const record = JSON.stringify(cur);
    if (record !== this.observedRecord) {
      this.observedRecord = record;
      this.observedAt = now;
    }
    const held = cur.holderIdentity && cur.holderIdentity !== this.o.identity;
    if (held && this.observedAt + (cur.leaseDurationSeconds ?? 15) * 1000 > now) return false;
    const transitions = (cur.leaseTransitions ?? 0) + (cur.holderIdentity === this.o.identity ? 0 : 1);
    lease.spec = {
      ...cur,
      ...spec,
      acquireTime: cur.holderIdentity === this.o.identity ? cur.acquireTime : microTime(now),
      leaseTransitions: transitions,
    };
    try {
      await this.client.replace(lease);
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
