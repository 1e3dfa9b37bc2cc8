import { describe, expect, it } from "vitest";
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_FIRST_NODE_ID,
  DATA_DIR,
  LABEL_CLUSTER,
  POD_CONFIG_FILE,
} from "../../../operator/constants.js";
import type { KafkaClusterSpec } from "../../../operator/crd/schema.js";
import { configHash, hashInputs } from "../../../operator/render/hash.js";
import { renderCluster } from "../../../operator/render/index.js";
import { buildModel } from "../../../operator/render/model.js";
import type { KubeObject } from "../../../operator/render/names.js";
import { CLUSTER_ID, cluster } from "./fixtures.js";

// biome-ignore lint/suspicious/noExplicitAny: tests walk rendered objects freely
type Any = Record<string, any>;

function find(objs: KubeObject[], kind: string, name: string): Any {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o)
    throw new Error(`no ${kind} ${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return o as Any;
}

function parseProps(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const i = line.indexOf("=");
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

const SPLIT: KafkaClusterSpec = {
  nodePools: [
    { name: "ctl", roles: ["controller"], replicas: 3 },
    {
      name: "brk",
      roles: ["broker"],
      replicas: 2,
      storage: { size: "50Gi", storageClassName: "fast", deleteClaim: true },
    },
  ],
  config: { "num.partitions": 6, "auto.create.topics.enable": "false" },
};

describe("render: default cluster (one combined pool)", () => {
  const objs = renderCluster(cluster(), CLUSTER_ID);

  it("renders every object kind with owner references to the KafkaCluster", () => {
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "ServiceAccount/demo-node",
      "ConfigMap/demo-config",
      "Service/demo-nodes",
      "Service/demo-bootstrap",
      "PodDisruptionBudget/demo-nodes",
      "StatefulSet/demo-combined",
    ]);
    for (const o of objs) {
      expect(o.metadata.namespace).toBe("kafka");
      expect(o.metadata.labels?.[LABEL_CLUSTER]).toBe("demo");
      expect(o.metadata.ownerReferences).toEqual([
        {
          apiVersion: "kafka.gregor.dev/v1alpha1",
          kind: "KafkaCluster",
          name: "demo",
          uid: "uid-1234",
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
  });

  it("gives each pod its node id, voters, listeners and advertised listeners", () => {
    const cm = find(objs, "ConfigMap", "demo-config");
    expect(Object.keys(cm.data).sort()).toEqual([
      "demo-combined-0.properties",
      "demo-combined-1.properties",
      "demo-combined-2.properties",
    ]);
    const p1 = parseProps(cm.data["demo-combined-1.properties"]);
    expect(p1["node.id"]).toBe("1");
    expect(p1["process.roles"]).toBe("broker,controller");
    expect(p1["controller.quorum.voters"]).toBe(
      [0, 1, 2].map((i) => `${i}@demo-combined-${i}.demo-nodes.kafka.svc.cluster.local:9093`).join(","),
    );
    expect(p1.listeners).toBe("PLAIN://:9092,CONTROLLER://:9093");
    expect(p1["advertised.listeners"]).toBe(
      "PLAIN://demo-combined-1.demo-nodes.kafka.svc.cluster.local:9092",
    );
    expect(p1["listener.security.protocol.map"]).toBe("PLAIN:PLAINTEXT,CONTROLLER:PLAINTEXT");
    expect(p1["controller.listener.names"]).toBe("CONTROLLER");
    expect(p1["inter.broker.listener.name"]).toBe("PLAIN");
    expect(p1["log.dirs"]).toBe(DATA_DIR);
  });

  it("renders the StatefulSet: OnDelete, Parallel, volumes, format init step, probes", () => {
    const sts = find(objs, "StatefulSet", "demo-combined");
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.updateStrategy).toEqual({ type: "OnDelete" });
    expect(sts.spec.podManagementPolicy).toBe("Parallel");
    expect(sts.spec.serviceName).toBe("demo-nodes");
    expect(sts.metadata.annotations[ANNOTATION_FIRST_NODE_ID]).toBe("0");
    expect(sts.spec.selector.matchLabels).toEqual(
      Object.fromEntries(
        Object.entries(sts.spec.selector.matchLabels).filter(([k]) => k in sts.spec.template.metadata.labels),
      ),
    );
    const pvc = sts.spec.volumeClaimTemplates[0];
    expect(pvc.metadata.name).toBe("data");
    expect(pvc.spec.resources.requests.storage).toBe("10Gi");
    expect(sts.spec.persistentVolumeClaimRetentionPolicy.whenDeleted).toBe("Retain");
    const pod = sts.spec.template.spec;
    expect(pod.volumes).toEqual([{ name: "config", configMap: { name: "demo-config" } }]);
    const init = pod.initContainers[0];
    expect(init.args).toEqual([
      "storage",
      "format",
      "--cluster-id",
      CLUSTER_ID,
      "--config",
      POD_CONFIG_FILE,
      "--ignore-formatted",
    ]);
    const broker = pod.containers[0];
    expect(broker.command).toEqual(["gregor"]);
    expect(broker.args).toEqual(["broker", "start", "--config", POD_CONFIG_FILE]);
    expect(broker.image).toMatch(/^gregor:\d+\.\d+\.\d+/);
    expect(broker.volumeMounts).toEqual([
      { name: "data", mountPath: DATA_DIR },
      { name: "config", mountPath: "/etc/gregor/nodes", readOnly: true },
    ]);
    expect(broker.readinessProbe.httpGet).toEqual({ path: "/readyz", port: 9404 });
    expect(broker.livenessProbe.httpGet).toEqual({ path: "/healthz", port: 9404 });
    expect(broker.lifecycle.preStop.httpGet.port).toBe(9404);
    expect(broker.env.find((e: Any) => e.name === "POD_NAME").valueFrom.fieldRef.fieldPath).toBe(
      "metadata.name",
    );
    expect(sts.spec.template.metadata.annotations[ANNOTATION_CONFIG_HASH]).toMatch(/^[0-9a-f]{16}$/);
  });

  it("renders Services and the PDB", () => {
    const headless = find(objs, "Service", "demo-nodes");
    expect(headless.spec.clusterIP).toBe("None");
    expect(headless.spec.publishNotReadyAddresses).toBe(true);
    expect(headless.spec.ports.map((p: Any) => p.port)).toEqual([9092, 9093, 9404]);
    const boot = find(objs, "Service", "demo-bootstrap");
    expect(boot.spec.selector["kafka.gregor.dev/broker"]).toBe("true");
    expect(boot.spec.ports).toEqual([{ name: "plain", port: 9092, targetPort: 9092, protocol: "TCP" }]);
    const pdb = find(objs, "PodDisruptionBudget", "demo-nodes");
    expect(pdb.spec.maxUnavailable).toBe(1);
    expect(pdb.spec.selector.matchLabels).toEqual(headless.spec.selector);
  });
});

describe("render: separate controller and broker pools", () => {
  const objs = renderCluster(cluster(SPLIT), CLUSTER_ID);
  const cm = find(objs, "ConfigMap", "demo-config");

  it("numbers pools from their own blocks and lists only controllers as voters", () => {
    const ctl = parseProps(cm.data["demo-ctl-2.properties"]);
    const brk = parseProps(cm.data["demo-brk-1.properties"]);
    expect(ctl["node.id"]).toBe("2");
    expect(brk["node.id"]).toBe("101");
    expect(brk["controller.quorum.voters"]).toBe(ctl["controller.quorum.voters"]);
    expect(brk["controller.quorum.voters"].split(",").map((v) => v.split("@")[0])).toEqual(["0", "1", "2"]);
    expect(ctl.listeners).toBe("CONTROLLER://:9093");
    expect(ctl["advertised.listeners"]).toBeUndefined();
    expect(brk.listeners).toBe("PLAIN://:9092");
    expect(brk["num.partitions"]).toBe("6");
    expect(brk["auto.create.topics.enable"]).toBe("false");
  });

  it("passes pool storage settings through", () => {
    const sts = find(objs, "StatefulSet", "demo-brk");
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "50Gi" } },
      storageClassName: "fast",
    });
    expect(sts.spec.persistentVolumeClaimRetentionPolicy.whenDeleted).toBe("Delete");
    expect(sts.metadata.annotations[ANNOTATION_FIRST_NODE_ID]).toBe("100");
  });

  it("keeps node ids recorded earlier when pools are reordered", () => {
    const reordered = cluster({ ...SPLIT, nodePools: [SPLIT.nodePools![1]!, SPLIT.nodePools![0]!] });
    const previous = new Map([
      ["ctl", 0],
      ["brk", 100],
    ]);
    const again = renderCluster(reordered, CLUSTER_ID, previous);
    const cm2 = find(again, "ConfigMap", "demo-config");
    expect(cm2.data).toEqual(cm.data);
  });
});

describe("config hash", () => {
  const withPools = (ctl: number, brk: number, extra: Record<string, string> = {}) =>
    buildModel(
      cluster({
        ...SPLIT,
        nodePools: [
          { name: "ctl", roles: ["controller"], replicas: ctl },
          { name: "brk", roles: ["broker"], replicas: brk },
        ],
        config: { ...SPLIT.config, ...extra },
      }),
      CLUSTER_ID,
      new Map(),
    );
  const hashOf = (m: ReturnType<typeof withPools>, pool: string) =>
    configHash(m, m.pools.find((p) => p.name === pool)!);

  it("does not change when brokers scale", () => {
    expect(hashOf(withPools(3, 5), "brk")).toBe(hashOf(withPools(3, 2), "brk"));
    expect(hashOf(withPools(3, 5), "ctl")).toBe(hashOf(withPools(3, 2), "ctl"));
  });

  it("leaves the voter list out for broker-only pools, keeps it for controllers", () => {
    const m = withPools(3, 2);
    expect(hashInputs(m, m.pools[1]!).map(([k]) => k)).not.toContain("controller.quorum.voters");
    expect(hashInputs(m, m.pools[0]!).map(([k]) => k)).toContain("controller.quorum.voters");
    expect(hashOf(withPools(5, 2), "brk")).toBe(hashOf(withPools(3, 2), "brk"));
    expect(hashOf(withPools(5, 2), "ctl")).not.toBe(hashOf(withPools(3, 2), "ctl"));
  });

  it("changes when user config changes", () => {
    expect(hashOf(withPools(3, 2, { "log.retention.hours": "1" }), "brk")).not.toBe(
      hashOf(withPools(3, 2), "brk"),
    );
  });
});
