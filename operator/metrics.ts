/** Operator metrics (prom-client, own registry so tests can run several operators in one process). */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconcileTotal = new Counter({
    name: "gregor_operator_reconcile_total",
    help: "Reconciles by kind and result (success, error, invalid)",
    labelNames: ["kind", "result"] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: "gregor_operator_reconcile_errors_total",
    help: "Reconciles that failed and were retried with backoff",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: "gregor_operator_reconcile_duration_seconds",
    help: "Time spent in one reconcile",
    labelNames: ["kind"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: "gregor_operator_workqueue_depth",
    help: "Keys waiting in the work queue",
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: "gregor_operator_leader",
    help: "1 while this replica holds the leader lease",
    registers: [this.registry],
  });
}
