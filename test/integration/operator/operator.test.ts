/**
 * The real operator (leader election, informers, work queue, server-side apply, status) against the
 * in-process Kubernetes API server over HTTP.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LABEL_CLUSTER } from "../../../operator/constants.js";
import type { KafkaClusterStatus } from "../../../operator/crd/schema.js";
import { KubeApiError, type KubeObj } from "../../../operator/kube/client.js";
import {
  CONFIG_MAP,
  KAFKA_CLUSTER,
  LEASE,
  PDB,
  POD,
  SERVICE,
  SERVICE_ACCOUNT,
  STATEFUL_SET,
} from "../../../operator/kube/resources.js";
import type { Operator } from "../../../operator/main.js";
import { isValidClusterId } from "../../../operator/reconcile/cluster-id.js";
import type { KubeApiServer } from "../../harness/kube/server.js";
import { client, kafkaCluster, startOperator, startServer, waitFor } from "./helpers.js";

type Cluster = KubeObj & { spec: Record<string, unknown>; status?: KafkaClusterStatus };
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary rendered fields
type Any = any;

let server: KubeApiServer;
let c: ReturnType<typeof client>;
const operators: Operator[] = [];
const NS = "default";

beforeAll(async () => {
  server = await startServer();
  c = client(server);
});
afterEach(async () => {
  await Promise.all(operators.splice(0).map((o) => o.stop()));
});
afterAll(async () => {
  await server?.close();
});

function run(extra = {}): Operator {
  const op = startOperator(server, extra);
  operators.push(op);
  return op;
}

const getCluster = (name: string) => c.get<Cluster>(KAFKA_CLUSTER, NS, name);
const condition = (k: Cluster | undefined, type: string) =>
  k?.status?.conditions?.find((x) => x.type === type);

async function reconciledAt(name: string, generation: number): Promise<Cluster> {
  return waitFor(
    async () => {
      const k = await getCluster(name);
      return k?.status?.observedGeneration === generation && k;
    },
    10_000,
    `${name} observedGeneration ${generation}`,
  );
}

async function owned(name: string): Promise<KubeObj[]> {
  const out: KubeObj[] = [];
  for (const t of [SERVICE_ACCOUNT, CONFIG_MAP, SERVICE, PDB, STATEFUL_SET]) {
    out.push(...(await c.list<KubeObj>(t, NS, `${LABEL_CLUSTER}=${name}`)).items);
  }
  return out;
}

async function patchSpec(name: string, spec: Record<string, unknown>): Promise<void> {
  await c.request("PATCH", `/apis/kafka.gregor.dev/v1alpha1/namespaces/${NS}/kafkaclusters/${name}`, {
    body: { spec },
    contentType: "application/merge-patch+json",
  });
}

describe("operator against the test API server", () => {
  it("creates the cluster's objects with owner references, a cluster id and status conditions", async () => {
    run();
    const created = await c.create(kafkaCluster("alpha", {}));
    const k = await reconciledAt("alpha", 1);
    const objs = await waitFor(async () => {
      const o = await owned("alpha");
      return o.length >= 7 && o;
    });
    const names = objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(names).toEqual([
      "ConfigMap/alpha-cluster-id",
      "ConfigMap/alpha-config",
      "PodDisruptionBudget/alpha-nodes",
      "Service/alpha-bootstrap",
      "Service/alpha-nodes",
      "ServiceAccount/alpha-node",
      "StatefulSet/alpha-combined",
    ]);
    for (const o of objs.filter((x) => x.metadata.name !== "alpha-cluster-id")) {
      expect(o.metadata.ownerReferences?.[0]).toMatchObject({
        kind: "KafkaCluster",
        name: "alpha",
        uid: created.metadata.uid,
      });
    }
    const sts = objs.find((o) => o.kind === "StatefulSet") as Any;
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.updateStrategy.type).toBe("OnDelete");

    expect(isValidClusterId(k.status!.clusterId!)).toBe(true);
    const idObject = objs.find((o) => o.metadata.name === "alpha-cluster-id") as Any;
    expect(idObject.data["cluster.id"]).toBe(k.status!.clusterId);
    expect(idObject.immutable).toBe(true);
    expect(sts.spec.template.spec.initContainers[0].args).toContain(k.status!.clusterId);
    expect(condition(k, "Ready")).toMatchObject({ status: "False", reason: "NodesNotReady" });
    expect(condition(k, "Reconciling")).toMatchObject({ status: "True" });
    expect(condition(k, "Error")).toMatchObject({ status: "False" });
    expect(k.status!.nodePools![0]!.nodeIds).toEqual([0, 1, 2]);
  });

  it("follows spec edits (observedGeneration, StatefulSet, ConfigMap) and reports readiness", async () => {
    run();
    await c.create(
      kafkaCluster("beta", { nodePools: [{ name: "pool", roles: ["broker", "controller"], replicas: 3 }] }),
    );
    await reconciledAt("beta", 1);
    await patchSpec("beta", {
      nodePools: [{ name: "pool", roles: ["broker", "controller"], replicas: 4 }],
      config: { "log.retention.hours": 1 },
    });
    const k = await reconciledAt("beta", 2);
    const sts = (await c.get<Any>(STATEFUL_SET, NS, "beta-pool"))!;
    expect(sts.spec.replicas).toBe(4);
    const cm = (await c.get<Any>(CONFIG_MAP, NS, "beta-config"))!;
    expect(Object.keys(cm.data).sort()).toEqual([0, 1, 2, 3].map((i) => `beta-pool-${i}.properties`));
    expect(cm.data["beta-pool-3.properties"]).toContain("log.retention.hours=1");
    expect(cm.data["beta-pool-3.properties"]).toContain("node.id=3");
    expect(k.status!.nodePools![0]!.nodeIds).toEqual([0, 1, 2, 3]);

    // What the kubelet and StatefulSet controller would report once pods are ready.
    await c.request("PATCH", `/apis/apps/v1/namespaces/${NS}/statefulsets/beta-pool/status`, {
      body: { status: { replicas: 4, readyReplicas: 4, observedGeneration: sts.metadata.generation } },
      contentType: "application/merge-patch+json",
    });
    const ready = await waitFor(async () => {
      const x = await getCluster("beta");
      return condition(x, "Ready")?.status === "True" && x;
    });
    expect(ready.status!.readyBrokers).toBe(4);
    expect(condition(ready, "Reconciling")?.status).toBe("False");
  });

  it("takes back fields another manager changed on an owned object (forced server-side apply)", async () => {
    run();
    await c.create(kafkaCluster("drift", {}));
    await reconciledAt("drift", 1);
    await c.request("PATCH", `/apis/apps/v1/namespaces/${NS}/statefulsets/drift-combined`, {
      body: { spec: { replicas: 7 } },
      contentType: "application/merge-patch+json",
      query: { fieldManager: "someone-else" },
    });
    await waitFor(
      async () => (await c.get<Any>(STATEFUL_SET, NS, "drift-combined"))?.spec.replicas === 3,
      10_000,
      "replicas restored",
    );
  });

  it("keeps node ids when pools are added in front, and prunes a removed pool", async () => {
    run();
    const ctl = { name: "ctl", roles: ["controller"], replicas: 3 };
    const brk = { name: "brk", roles: ["broker"], replicas: 2 };
    const extra = { name: "extra", roles: ["broker"], replicas: 2 };
    await c.create(kafkaCluster("pools", { nodePools: [ctl, brk] }));
    const k1 = await reconciledAt("pools", 1);
    expect(k1.status!.nodePools!.map((p) => [p.name, p.nodeIds])).toEqual([
      ["ctl", [0, 1, 2]],
      ["brk", [100, 101]],
    ]);
    await patchSpec("pools", { nodePools: [extra, ctl, brk] });
    const k2 = await reconciledAt("pools", 2);
    expect(k2.status!.nodePools!.map((p) => [p.name, p.nodeIds])).toEqual([
      ["extra", [200, 201]],
      ["ctl", [0, 1, 2]],
      ["brk", [100, 101]],
    ]);
    expect(await c.get(STATEFUL_SET, NS, "pools-extra")).toBeDefined();
    await patchSpec("pools", { nodePools: [ctl, brk] });
    await reconciledAt("pools", 3);
    await waitFor(async () => !(await c.get(STATEFUL_SET, NS, "pools-extra")), 10_000, "pruned StatefulSet");
    const cm = (await c.get<Any>(CONFIG_MAP, NS, "pools-config"))!;
    expect(Object.keys(cm.data).sort()).toEqual(
      ["pools-brk-0", "pools-brk-1", "pools-ctl-0", "pools-ctl-1", "pools-ctl-2"].map(
        (p) => `${p}.properties`,
      ),
    );
  });

  it("refuses invalid specs: by the schema (zero replicas, an owned config key) or by an Error condition", async () => {
    run();
    const refused = async (spec: Record<string, unknown>) => {
      const err = await c.create(kafkaCluster("gamma", spec)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KubeApiError);
      expect((err as KubeApiError).status).toBe(422);
      return (err as KubeApiError).message;
    };
    expect(
      await refused({ nodePools: [{ name: "p", roles: ["broker", "controller"], replicas: 0 }] }),
    ).toMatch(/replicas/);
    // The CEL rule on spec.config (the test server evaluates x-kubernetes-validations like a real one).
    expect(await refused({ config: { "process.roles": "broker" } })).toContain(
      "process.roles is managed by the operator: set through nodePools[].roles",
    );

    // Transition rules: a pool's first node id cannot move once set.
    const pinned = {
      nodePools: [{ name: "p", roles: ["broker", "controller"], replicas: 3, nodeIdStart: 0 }],
    };
    await c.create(kafkaCluster("pinned", pinned));
    const moved = await patchSpec("pinned", {
      nodePools: [{ name: "p", roles: ["broker", "controller"], replicas: 3, nodeIdStart: 10 }],
    }).catch((e: unknown) => e);
    expect((moved as KubeApiError).status).toBe(422);
    expect((moved as KubeApiError).message).toContain("nodeIdStart is immutable");

    // Valid for the schema, refused by the operator: TLS listeners are not implemented yet.
    const tls = { listeners: [{ name: "secure", port: 9095, type: "internal", tls: true }] };
    await c.create(kafkaCluster("delta", tls));
    const k = await reconciledAt("delta", 1);
    expect(condition(k, "Error")).toMatchObject({ status: "True", reason: "UnsupportedListener" });
    expect(condition(k, "Error")?.message).toContain("TLS listeners are not supported");
    expect(condition(k, "Ready")?.status).toBe("False");
    expect(await c.get(STATEFUL_SET, NS, "delta-combined")).toBeUndefined();

    // Fixing the spec clears the error.
    await patchSpec("delta", { listeners: [{ name: "secure", port: 9095, type: "internal", tls: false }] });
    const fixed = await reconciledAt("delta", 2);
    expect(condition(fixed, "Error")).toMatchObject({ status: "False" });
    expect(await c.get(STATEFUL_SET, NS, "delta-combined")).toBeDefined();
  });

  it("surfaces StorageClusterIdMismatch from a pod's format init container", async () => {
    run();
    await c.create(kafkaCluster("eps", {}));
    await reconciledAt("eps", 1);
    const pod = await c.create<Any>({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "eps-combined-0", namespace: NS, labels: { [LABEL_CLUSTER]: "eps" } },
      spec: { containers: [{ name: "broker", image: "gregor:test" }] },
    });
    await c.request("PATCH", `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/status`, {
      body: {
        status: {
          initContainerStatuses: [
            {
              name: "format",
              ready: false,
              restartCount: 2,
              image: "gregor:test",
              imageID: "",
              lastState: {
                terminated: {
                  exitCode: 78,
                  reason: "Error",
                  message: "StorageClusterIdMismatch: volume belongs to cluster abc",
                },
              },
              state: { waiting: { reason: "CrashLoopBackOff" } },
            },
          ],
        },
      },
      contentType: "application/merge-patch+json",
    });
    const k = await waitFor(async () => {
      const x = await getCluster("eps");
      return condition(x, "StorageClusterIdMismatch")?.status === "True" && x;
    });
    expect(condition(k, "StorageClusterIdMismatch")?.message).toContain("eps-combined-0");
    await c.delete(POD, NS, "eps-combined-0");
  });

  it("keeps the cluster id and changes nothing when the operator restarts", async () => {
    const first = run();
    await c.create(kafkaCluster("zeta", {}));
    const k1 = await reconciledAt("zeta", 1);
    await waitFor(async () => (await owned("zeta")).length >= 7);
    // Stopping waits for reconciles in flight, so the snapshot below is final.
    await first.stop();
    operators.splice(operators.indexOf(first), 1);
    const before = new Map(
      (await owned("zeta")).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
    );
    const statusRv = (await getCluster("zeta"))!.metadata.resourceVersion;

    const second = run();
    await waitFor(() => second.isLeader() && second.reconciles >= 1, 10_000, "second operator reconciled");
    await new Promise((r) => setTimeout(r, 300));
    const after = new Map(
      (await owned("zeta")).map((o) => [`${o.kind}/${o.metadata.name}`, o.metadata.resourceVersion]),
    );
    expect(after).toEqual(before);
    const k2 = (await getCluster("zeta"))!;
    expect(k2.status!.clusterId).toBe(k1.status!.clusterId);
    expect(k2.metadata.resourceVersion).toBe(statusRv);

    // Status lost entirely: the id object still decides.
    await c.request("PATCH", `/apis/kafka.gregor.dev/v1alpha1/namespaces/${NS}/kafkaclusters/zeta/status`, {
      body: { status: null },
      contentType: "application/merge-patch+json",
    });
    const k3 = await waitFor(async () => {
      const x = await getCluster("zeta");
      return x?.status?.clusterId ? x : undefined;
    });
    expect(k3.status!.clusterId).toBe(k1.status!.clusterId);
  });

  it("lets the garbage collector remove owned objects when the cluster is deleted", async () => {
    run();
    await c.create(kafkaCluster("eta", {}));
    await reconciledAt("eta", 1);
    await waitFor(async () => (await owned("eta")).length >= 7);
    await c.delete(KAFKA_CLUSTER, NS, "eta");
    const left = await waitFor(
      async () => {
        const o = await owned("eta");
        return o.length === 1 && o;
      },
      10_000,
      "owned objects collected",
    );
    // The cluster id outlives the cluster while its volumes do (deleteClaim false, the default).
    expect(left.map((o) => o.metadata.name)).toEqual(["eta-cluster-id"]);
  });

  it("with two replicas only the lease holder acts, and the other takes over when it stops", async () => {
    const a = run({ leaseName: "ha-test" });
    const b = run({ leaseName: "ha-test" });
    const leader = await waitFor(() => (a.isLeader() ? a : b.isLeader() ? b : undefined), 10_000, "a leader");
    const standby = leader === a ? b : a;
    await new Promise((r) => setTimeout(r, 600));
    expect(standby.isLeader()).toBe(false);
    const lease = (await c.get<Any>(LEASE, NS, "ha-test"))!;
    expect(lease.spec.holderIdentity).toBe(leader.identity);

    await c.create(kafkaCluster("theta", {}));
    await reconciledAt("theta", 1);
    expect(standby.reconciles).toBe(0);
    expect(leader.reconciles).toBeGreaterThan(0);

    await leader.stop();
    operators.splice(operators.indexOf(leader), 1);
    await waitFor(() => standby.isLeader(), 10_000, "standby takes over");
    await c.create(kafkaCluster("iota", {}));
    await reconciledAt("iota", 1);
    expect(standby.reconciles).toBeGreaterThan(0);
  });

  it("serves health and Prometheus metrics", async () => {
    const op = run();
    await c.create(kafkaCluster("kappa", {}));
    await reconciledAt("kappa", 1);
    await waitFor(() => op.healthPort);
    const base = `http://127.0.0.1:${op.healthPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${base}/readyz`)).text()).toBe("leader\n");
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/gregor_operator_reconcile_total\{kind="KafkaCluster",result="success"\} [1-9]/);
    expect(text).toContain("gregor_operator_reconcile_duration_seconds_bucket");
    expect(text).toContain("gregor_operator_workqueue_depth");
    expect(text).toMatch(/gregor_operator_leader 1/);
  });
});
