/**
 * One StatefulSet per node pool. OnDelete updates: the operator restarts pods itself, one safe step
 * at a time. Parallel pod management: a KRaft quorum needs its controllers up together.
 */
import {
  ANNOTATION_CONFIG_HASH,
  ANNOTATION_FIRST_NODE_ID,
  BROKER_CONTAINER,
  CONFIG_DIR,
  CONFIG_VOLUME,
  DATA_DIR,
  DATA_VOLUME,
  ENV_POD_NAME,
  ENV_POD_NAMESPACE,
  FORMAT_INIT_CONTAINER,
  LABEL_ROLE_BROKER,
  LABEL_ROLE_CONTROLLER,
  PATH_LIVENESS,
  PATH_METRICS,
  PATH_PRESTOP,
  PATH_READINESS,
  POD_CONFIG_FILE,
  PORT_CONTROLLER,
  PORT_HEALTH,
} from "../constants.js";
import { configHash } from "./hash.js";
import type { ClusterModel, PoolModel } from "./model.js";
import {
  configMapName,
  headlessServiceName,
  type KubeObject,
  meta,
  poolSelector,
  serviceAccountName,
  statefulSetName,
} from "./names.js";

const env = [
  { name: ENV_POD_NAME, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  { name: ENV_POD_NAMESPACE, valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
];
const volumeMounts = [
  { name: DATA_VOLUME, mountPath: DATA_DIR },
  { name: CONFIG_VOLUME, mountPath: CONFIG_DIR, readOnly: true },
];

export function formatArgs(m: ClusterModel): string[] {
  return [
    "storage",
    "format",
    "--cluster-id",
    m.clusterId,
    "--config",
    POD_CONFIG_FILE,
    "--ignore-formatted",
  ];
}

export function brokerArgs(): string[] {
  return ["broker", "start", "--config", POD_CONFIG_FILE];
}

function roleLabels(p: PoolModel): Record<string, string> {
  const labels: Record<string, string> = {};
  if (p.roles.includes("broker")) labels[LABEL_ROLE_BROKER] = "true";
  if (p.roles.includes("controller")) labels[LABEL_ROLE_CONTROLLER] = "true";
  return labels;
}

function containerPorts(m: ClusterModel, p: PoolModel) {
  const ports: Array<{ name: string; containerPort: number; protocol: string }> = [];
  if (p.roles.includes("broker")) {
    for (const l of m.listeners) ports.push({ name: l.name, containerPort: l.port, protocol: "TCP" });
  }
  if (p.roles.includes("controller"))
    ports.push({ name: "controller", containerPort: PORT_CONTROLLER, protocol: "TCP" });
  ports.push({ name: "health", containerPort: PORT_HEALTH, protocol: "TCP" });
  return ports;
}

function podAnnotations(m: ClusterModel, p: PoolModel): Record<string, string> {
  const a: Record<string, string> = { ...(p.template?.annotations ?? {}) };
  if (m.metrics) {
    a["prometheus.io/scrape"] = "true";
    a["prometheus.io/port"] = String(PORT_HEALTH);
    a["prometheus.io/path"] = PATH_METRICS;
  }
  a[ANNOTATION_CONFIG_HASH] = configHash(m, p);
  return a;
}

function podSpec(m: ClusterModel, p: PoolModel): Record<string, unknown> {
  const spec: Record<string, unknown> = {
    serviceAccountName: serviceAccountName(m.name),
    terminationGracePeriodSeconds: 120,
    securityContext: { fsGroup: 1000 },
    initContainers: [
      {
        name: FORMAT_INIT_CONTAINER,
        image: m.image,
        command: ["gregor"],
        args: formatArgs(m),
        env,
        volumeMounts,
        // A cluster id mismatch is reported through the termination message (see constants.ts).
        terminationMessagePolicy: "FallbackToLogsOnError",
      },
    ],
    containers: [
      {
        name: BROKER_CONTAINER,
        image: m.image,
        command: ["gregor"],
        args: brokerArgs(),
        env,
        ports: containerPorts(m, p),
        volumeMounts,
        readinessProbe: {
          httpGet: { path: PATH_READINESS, port: PORT_HEALTH },
          periodSeconds: 5,
          failureThreshold: 3,
        },
        livenessProbe: {
          httpGet: { path: PATH_LIVENESS, port: PORT_HEALTH },
          initialDelaySeconds: 10,
          periodSeconds: 10,
          failureThreshold: 6,
        },
        startupProbe: {
          httpGet: { path: PATH_LIVENESS, port: PORT_HEALTH },
          periodSeconds: 5,
          failureThreshold: 60,
        },
        lifecycle: { preStop: { httpGet: { path: PATH_PRESTOP, port: PORT_HEALTH } } },
        ...(p.resources ? { resources: p.resources } : {}),
      },
    ],
    volumes: [{ name: CONFIG_VOLUME, configMap: { name: configMapName(m.name) } }],
  };
  if (p.template?.affinity) spec.affinity = p.template.affinity;
  if (p.template?.tolerations) spec.tolerations = p.template.tolerations;
  if (m.rackTopologyKey) {
    spec.topologySpreadConstraints = [
      {
        maxSkew: 1,
        topologyKey: m.rackTopologyKey,
        whenUnsatisfiable: "ScheduleAnyway",
        labelSelector: { matchLabels: poolSelector(m, p) },
      },
    ];
  }
  return spec;
}

export function renderStatefulSet(m: ClusterModel, p: PoolModel): KubeObject {
  const selector = poolSelector(m, p);
  const pvcSpec: Record<string, unknown> = {
    accessModes: ["ReadWriteOnce"],
    resources: { requests: { storage: p.storage.size } },
  };
  if (p.storage.storageClassName) pvcSpec.storageClassName = p.storage.storageClassName;
  const object = meta(m, statefulSetName(m.name, p.name), "node", { ...selector, ...roleLabels(p) });
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { ...object, annotations: { [ANNOTATION_FIRST_NODE_ID]: String(p.firstNodeId) } },
    spec: {
      replicas: p.replicas,
      serviceName: headlessServiceName(m.name),
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "OnDelete" },
      persistentVolumeClaimRetentionPolicy: {
        whenDeleted: p.storage.deleteClaim ? "Delete" : "Retain",
        whenScaled: "Retain",
      },
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: { ...(p.template?.labels ?? {}), ...object.labels },
          annotations: podAnnotations(m, p),
        },
        spec: podSpec(m, p),
      },
      volumeClaimTemplates: [
        {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          metadata: { name: DATA_VOLUME, labels: selector },
          spec: pvcSpec,
        },
      ],
    },
  };
}
