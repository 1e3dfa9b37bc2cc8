import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { CRD_DIR } from "../../../operator/crd/generate.js";
import { KubeClient, type KubeObj } from "../../../operator/kube/client.js";
import { Operator, type OperatorOptions } from "../../../operator/main.js";
import { type KubeApiServer, startKubeApiServer } from "../../harness/kube/server.js";

export const crdFiles = () => readdirSync(CRD_DIR).map((f) => join(CRD_DIR, f));

export async function startServer(): Promise<KubeApiServer> {
  return startKubeApiServer({ crdFiles: crdFiles() });
}

export const quietLog = () => pino({ level: process.env.GREGOR_TEST_LOG ?? "silent" });

export function startOperator(server: KubeApiServer, extra: Partial<OperatorOptions> = {}): Operator {
  const op = new Operator({
    kubeConfig: server.kubeConfig(),
    log: quietLog(),
    leaseNamespace: "default",
    healthPort: 0,
    healthHost: "127.0.0.1",
    leaseDurationMs: 4000,
    renewDeadlineMs: 3000,
    retryPeriodMs: 150,
    ...extra,
  });
  void op.start();
  return op;
}

export function client(server: KubeApiServer): KubeClient {
  return new KubeClient(server.kubeConfig(), "test-user");
}

/** Polls until fn returns a truthy value (or throws the last error on timeout). */
export async function waitFor<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function kafkaCluster(name: string, spec: Record<string, unknown>, namespace = "default"): KubeObj {
  return {
    apiVersion: "kafka.gregor.dev/v1alpha1",
    kind: "KafkaCluster",
    metadata: { name, namespace },
    spec,
  };
}
