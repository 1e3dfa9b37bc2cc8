/**
 * The cluster id: generated once in Kafka's format and kept in an immutable ConfigMap
 * `<cluster>-cluster-id`, so a lost or rewritten status can never change it. When the volumes
 * outlive the cluster (deleteClaim false, the default), the id object does too: a cluster
 * recreated under the same name reuses its data instead of failing the storage check.
 */
import { randomBytes } from "node:crypto";
import { LABEL_CLUSTER, LABEL_COMPONENT, LABEL_MANAGED_BY, MANAGED_BY } from "../constants.js";
import { DEFAULT_POOLS } from "../crd/defaults.js";
import type { KafkaCluster } from "../crd/schema.js";
import { isAlreadyExists, type KubeClient, type KubeObj } from "../kube/client.js";
import { CONFIG_MAP } from "../kube/resources.js";
import { clusterIdObjectName } from "../render/names.js";

export const CLUSTER_ID_KEY = "cluster.id";
const CLUSTER_ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export const isValidClusterId = (id: string) => CLUSTER_ID_PATTERN.test(id);

/** 22-char URL-safe base64 of a random (version 4) UUID, never starting with '-' (as Kafka). */
export function generateClusterId(random: (n: number) => Buffer = randomBytes): string {
  for (;;) {
    const b = Buffer.from(random(16));
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const id = b.toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

export function clusterIdObject(cluster: KafkaCluster, id: string): KubeObj {
  const pools = cluster.spec.nodePools?.length ? cluster.spec.nodePools : DEFAULT_POOLS;
  const volumesGoWithCluster = pools.every((p) => p.storage?.deleteClaim === true);
  const metadata: KubeObj["metadata"] = {
    name: clusterIdObjectName(cluster.metadata.name),
    namespace: cluster.metadata.namespace,
    labels: {
      [LABEL_MANAGED_BY]: MANAGED_BY,
      [LABEL_CLUSTER]: cluster.metadata.name,
      [LABEL_COMPONENT]: "cluster-id",
    },
  };
  if (volumesGoWithCluster) {
    metadata.ownerReferences = [
      {
        apiVersion: cluster.apiVersion,
        kind: "KafkaCluster",
        name: cluster.metadata.name,
        uid: cluster.metadata.uid ?? "",
        controller: true,
      },
    ];
  }
  return { apiVersion: "v1", kind: "ConfigMap", metadata, immutable: true, data: { [CLUSTER_ID_KEY]: id } };
}

/** Reads the cluster id object, creating it (from status or a fresh id) the first time. */
export async function ensureClusterId(client: KubeClient, cluster: KafkaCluster): Promise<string> {
  const ns = cluster.metadata.namespace ?? "default";
  const name = clusterIdObjectName(cluster.metadata.name);
  const read = async () => {
    const cm = await client.get<KubeObj & { data?: Record<string, string> }>(CONFIG_MAP, ns, name);
    const id = cm?.data?.[CLUSTER_ID_KEY];
    if (cm && (!id || !isValidClusterId(id))) {
      throw new Error(`ConfigMap ${ns}/${name} holds no valid ${CLUSTER_ID_KEY}; fix or delete it`);
    }
    return id;
  };
  const existing = await read();
  if (existing) return existing;
  const fromStatus = cluster.status?.clusterId;
  const id = fromStatus && isValidClusterId(fromStatus) ? fromStatus : generateClusterId();
  try {
    await client.create(clusterIdObject(cluster, id));
    return id;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
    const raced = await read();
    if (!raced) throw err;
    return raced;
  }
}
