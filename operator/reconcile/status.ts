/** Status from what is observed: StatefulSet readiness per pool, pods' init container results. */
import {
  FORMAT_INIT_CONTAINER,
  FORMAT_MISMATCH_EXIT_CODE,
  FORMAT_MISMATCH_MESSAGE_PREFIX,
} from "../constants.js";
import type { KafkaClusterStatus, PoolStatus } from "../crd/schema.js";
import type { ClusterModel } from "../render/model.js";
import { bootstrapHost, kafkaListenerName } from "../render/names.js";
import { type ConditionInput, setConditions } from "./conditions.js";

export interface ObservedStatefulSet {
  metadata: { generation?: number };
  status?: { readyReplicas?: number; replicas?: number; observedGeneration?: number };
}

interface Terminated {
  exitCode?: number;
  message?: string;
}
export interface ObservedPod {
  metadata: { name: string };
  status?: {
    initContainerStatuses?: Array<{
      name: string;
      state?: { terminated?: Terminated };
      lastState?: { terminated?: Terminated };
    }>;
  };
}

export interface Observed {
  statefulSets: ReadonlyMap<string, ObservedStatefulSet>;
  pods: readonly ObservedPod[];
}

/** Pods whose format step found another cluster's meta.properties, with the tool's message. */
export function storageMismatches(pods: readonly ObservedPod[]): Array<{ pod: string; message: string }> {
  const out: Array<{ pod: string; message: string }> = [];
  for (const pod of pods) {
    const s = pod.status?.initContainerStatuses?.find((c) => c.name === FORMAT_INIT_CONTAINER);
    for (const t of [s?.state?.terminated, s?.lastState?.terminated]) {
      if (!t) continue;
      const msg = t.message?.trim() ?? "";
      if (t.exitCode === FORMAT_MISMATCH_EXIT_CODE || msg.startsWith(FORMAT_MISMATCH_MESSAGE_PREFIX)) {
        out.push({ pod: pod.metadata.name, message: msg || `format exited with ${t.exitCode}` });
        break;
      }
    }
  }
  return out;
}

export function computeStatus(
  m: ClusterModel,
  observed: Observed,
  previous: KafkaClusterStatus | undefined,
  generation: number | undefined,
  now: string,
): KafkaClusterStatus {
  const pools: PoolStatus[] = m.pools.map((p) => {
    const sts = observed.statefulSets.get(p.name);
    return {
      name: p.name,
      roles: p.roles,
      nodeIds: Array.from({ length: p.replicas }, (_, i) => p.firstNodeId + i),
      replicas: p.replicas,
      readyReplicas: Math.min(p.replicas, sts?.status?.readyReplicas ?? 0),
    };
  });
  const brokerPools = pools.filter((p) => p.roles.includes("broker"));
  const brokers = brokerPools.reduce((n, p) => n + p.replicas, 0);
  const readyBrokers = brokerPools.reduce((n, p) => n + p.readyReplicas, 0);
  const nodes = pools.reduce((n, p) => n + p.replicas, 0);
  const readyNodes = pools.reduce((n, p) => n + p.readyReplicas, 0);
  const ready = readyNodes === nodes;
  const mismatches = storageMismatches(observed.pods);

  const updates: ConditionInput[] = [
    ready
      ? {
          type: "Ready",
          status: "True",
          reason: "AllNodesReady",
          message: `${readyNodes}/${nodes} nodes ready`,
        }
      : {
          type: "Ready",
          status: "False",
          reason: "NodesNotReady",
          message: `${readyNodes}/${nodes} nodes ready`,
        },
    ready
      ? { type: "Reconciling", status: "False", reason: "Reconciled", message: "" }
      : {
          type: "Reconciling",
          status: "True",
          reason: "WaitingForNodes",
          message: `${readyNodes}/${nodes} nodes ready`,
        },
    { type: "Error", status: "False", reason: "Reconciled", message: "" },
  ];
  if (mismatches.length > 0) {
    updates.push({
      type: "StorageClusterIdMismatch",
      status: "True",
      reason: "StorageClusterIdMismatch",
      message: mismatches.map((x) => `${x.pod}: ${x.message}`).join("; "),
    });
  } else if (previous?.conditions?.some((c) => c.type === "StorageClusterIdMismatch")) {
    updates.push({ type: "StorageClusterIdMismatch", status: "False", reason: "Resolved", message: "" });
  }

  return {
    observedGeneration: generation,
    conditions: setConditions(previous?.conditions, updates, now, generation),
    clusterId: m.clusterId,
    nodePools: pools,
    listeners: m.listeners.map((l) => ({
      name: kafkaListenerName(l.name),
      bootstrapServers: `${bootstrapHost(m)}:${l.port}`,
    })),
    brokers,
    readyBrokers,
    readyNodes,
    ...(previous?.operation ? { operation: previous.operation } : {}),
  };
}

/** Status when the spec cannot be acted on: objects are left as they are. */
export function invalidStatus(
  previous: KafkaClusterStatus | undefined,
  generation: number | undefined,
  reason: string,
  message: string,
  now: string,
): KafkaClusterStatus {
  return {
    ...(previous ?? {}),
    observedGeneration: generation,
    conditions: setConditions(
      previous?.conditions,
      [
        { type: "Error", status: "True", reason, message },
        {
          type: "Ready",
          status: "False",
          reason,
          message: "the spec cannot be applied; see the Error condition",
        },
        { type: "Reconciling", status: "False", reason, message: "" },
      ],
      now,
      generation,
    ),
  };
}
