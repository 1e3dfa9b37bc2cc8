/**
 * The operator process: health and metrics HTTP endpoints from the start, leader election, and —
 * while leading — informers feeding a work queue that the cluster reconciler drains. Losing the
 * lease stops the controllers (a fresh process would resume from API state alone).
 */
import { createServer, type Server } from "node:http";
import { hostname } from "node:os";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { LABEL_CLUSTER, LABEL_MANAGED_BY, MANAGED_BY } from "./constants.js";
import { KubeClient, type KubeObj } from "./kube/client.js";
import { Informer, objectKey } from "./kube/informer.js";
import { LeaderElector } from "./kube/leader.js";
import { WorkQueue } from "./kube/queue.js";
import { KAFKA_CLUSTER, OWNED_TYPES, POD, type ResourceType } from "./kube/resources.js";
import { OperatorMetrics } from "./metrics.js";
import { ClusterReconciler } from "./reconcile/cluster.js";
import type { RenderContext } from "./render/model.js";

export interface OperatorOptions {
  kubeConfig: KubeConfig;
  log: Logger;
  /** Namespace to watch; undefined watches all namespaces. */
  watchNamespace?: string;
  leaseNamespace: string;
  leaseName?: string;
  identity?: string;
  /** 0 picks a free port; undefined runs no HTTP server. */
  healthPort?: number;
  healthHost?: string;
  workers?: number;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Periodic full resync of every cluster. */
  resyncMs?: number;
  renderContext?: RenderContext;
}

export class Operator {
  readonly metrics = new OperatorMetrics();
  readonly client: KubeClient;
  readonly identity: string;
  private readonly elector: LeaderElector;
  private readonly reconciler: ClusterReconciler;
  private server: Server | undefined;
  private running:
    | { queue: WorkQueue; informers: Informer<KubeObj>[]; done: Promise<void>; resync: NodeJS.Timeout }
    | undefined;
  private stopped = false;
  /** Keys reconciled successfully since leading (tests wait on this). */
  reconciles = 0;

  constructor(private readonly o: OperatorOptions) {
    this.client = new KubeClient(o.kubeConfig);
    this.identity = o.identity ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    this.reconciler = new ClusterReconciler({
      client: this.client,
      log: o.log,
      renderContext: o.renderContext,
    });
    this.elector = new LeaderElector(this.client, {
      namespace: o.leaseNamespace,
      name: o.leaseName ?? "gregor-operator",
      identity: this.identity,
      leaseDurationMs: o.leaseDurationMs,
      renewDeadlineMs: o.renewDeadlineMs,
      retryPeriodMs: o.retryPeriodMs,
      log: o.log,
      onStartedLeading: () => this.startControllers(),
      onStoppedLeading: () => void this.stopControllers(),
    });
  }

  isLeader(): boolean {
    return this.elector.isLeader();
  }

  get healthPort(): number | undefined {
    const a = this.server?.address();
    return a && typeof a === "object" ? a.port : undefined;
  }

  async start(): Promise<void> {
    if (this.o.healthPort !== undefined) await this.startHttp(this.o.healthPort);
    this.elector.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.elector.stop();
    await this.stopControllers();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private startHttp(port: number): Promise<void> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? "/").split("?")[0];
      if (path === "/healthz") {
        res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
      } else if (path === "/readyz") {
        // A standby replica is ready too: it is doing its job (waiting for the lease).
        res
          .writeHead(this.stopped ? 503 : 200, { "content-type": "text/plain" })
          .end(this.isLeader() ? "leader\n" : "standby\n");
      } else if (path === "/metrics") {
        this.metrics.queueDepth.set(this.running?.queue.depth() ?? 0);
        this.metrics.registry.metrics().then(
          (text) => res.writeHead(200, { "content-type": this.metrics.registry.contentType }).end(text),
          (err) => res.writeHead(500).end(String(err)),
        );
      } else {
        res.writeHead(404).end();
      }
    });
    return new Promise((resolve) => this.server!.listen(port, this.o.healthHost ?? "0.0.0.0", resolve));
  }

  private startControllers(): void {
    if (this.stopped || this.running) return;
    this.metrics.leader.set(1);
    const queue = new WorkQueue();
    const ns = this.o.watchNamespace;
    const enqueueCluster = (o: KubeObj) => queue.add(objectKey(o));
    const enqueueOwner = (o: KubeObj) => {
      const owner = (o.metadata.ownerReferences ?? []).find(
        (r) => r.controller && r.kind === KAFKA_CLUSTER.kind,
      );
      const name = owner?.name ?? o.metadata.labels?.[LABEL_CLUSTER];
      if (name) queue.add(`${o.metadata.namespace ?? ""}/${name}`);
    };
    const informer = (t: ResourceType, labelSelector: string | undefined, on: (o: KubeObj) => void) =>
      new Informer<KubeObj>(this.client, t, {
        namespace: ns,
        labelSelector,
        log: this.o.log,
        onChange: (_t, o) => on(o),
      });
    const informers = [
      informer(KAFKA_CLUSTER, undefined, enqueueCluster),
      ...OWNED_TYPES.map((t) => informer(t, `${LABEL_MANAGED_BY}=${MANAGED_BY}`, enqueueOwner)),
      informer(POD, LABEL_CLUSTER, enqueueOwner),
    ];
    for (const i of informers) i.start();
    const resync = setInterval(() => {
      for (const c of informers[0]!.list()) queue.add(objectKey(c));
    }, this.o.resyncMs ?? 300_000);
    resync.unref();
    const done = queue.run(
      async (key) => {
        const [namespace, name] = key.split("/") as [string, string];
        const end = this.metrics.reconcileDuration.startTimer({ kind: "KafkaCluster" });
        try {
          const r = await this.reconciler.reconcile(namespace, name);
          this.metrics.reconcileTotal.inc({
            kind: "KafkaCluster",
            result: r.outcome === "invalid" ? "invalid" : "success",
          });
          this.reconciles++;
          return r;
        } finally {
          end();
          this.metrics.queueDepth.set(queue.depth());
        }
      },
      this.o.workers ?? 2,
      (key, err) => {
        this.metrics.reconcileTotal.inc({ kind: "KafkaCluster", result: "error" });
        this.metrics.reconcileErrors.inc({ kind: "KafkaCluster" });
        this.o.log.warn({ key, err: describeError(err) }, "reconcile failed; retrying");
      },
    );
    this.running = { queue, informers, done, resync };
  }

  private stopping: Promise<void> = Promise.resolve();

  private stopControllers(): Promise<void> {
    this.stopping = this.stopping.then(() => this.stopRunning());
    return this.stopping;
  }

  private async stopRunning(): Promise<void> {
    const r = this.running;
    if (!r) return;
    this.running = undefined;
    this.metrics.leader.set(0);
    clearInterval(r.resync);
    for (const i of r.informers) i.stop();
    r.queue.shutdown();
    await r.done;
  }
}

/** Error text including the cause (fetch hides the socket error there). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause ? `${err.message}: ${describeError(cause)}` : err.message;
}
