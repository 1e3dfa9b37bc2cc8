/** Object names, labels and owner references shared by the render modules. */
import {
  API_VERSION,
  LABEL_CLUSTER,
  LABEL_COMPONENT,
  LABEL_MANAGED_BY,
  LABEL_POOL,
  MANAGED_BY,
} from "../constants.js";
import type { OwnerReference } from "../crd/schema.js";
import type { ClusterModel, PoolModel } from "./model.js";

export const headlessServiceName = (cluster: string) => `${cluster}-nodes`;
export const bootstrapServiceName = (cluster: string) => `${cluster}-bootstrap`;
export const configMapName = (cluster: string) => `${cluster}-config`;
export const clusterIdObjectName = (cluster: string) => `${cluster}-cluster-id`;
export const serviceAccountName = (cluster: string) => `${cluster}-node`;
export const pdbName = (cluster: string) => `${cluster}-nodes`;
export const statefulSetName = (cluster: string, pool: string) => `${cluster}-${pool}`;
export const podName = (cluster: string, pool: string, ordinal: number) => `${cluster}-${pool}-${ordinal}`;
export const podConfigKey = (pod: string) => `${pod}.properties`;

/** `<pod>.<headless>.<ns>.svc.<domain>`: stable per-pod DNS through the headless Service. */
export function podHost(m: ClusterModel, pool: string, ordinal: number): string {
  return `${podName(m.name, pool, ordinal)}.${headlessServiceName(m.name)}.${m.namespace}.svc.${m.clusterDomain}`;
}

export function bootstrapHost(m: ClusterModel): string {
  return `${bootstrapServiceName(m.name)}.${m.namespace}.svc`;
}

/** Kafka's listener name for a spec listener (`plain` -> `PLAIN`). */
export const kafkaListenerName = (name: string) => name.toUpperCase();

export function baseLabels(m: ClusterModel, component: string): Record<string, string> {
  return {
    "app.kubernetes.io/name": "gregor",
    "app.kubernetes.io/instance": m.name,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_CLUSTER]: m.name,
    [LABEL_COMPONENT]: component,
  };
}

/** Selects every node pod of the cluster. */
export function nodeSelector(m: ClusterModel): Record<string, string> {
  return { [LABEL_CLUSTER]: m.name, [LABEL_COMPONENT]: "node" };
}

export function poolSelector(m: ClusterModel, p: PoolModel): Record<string, string> {
  return { ...nodeSelector(m), [LABEL_POOL]: p.name };
}

export function ownerReference(m: ClusterModel): OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: "KafkaCluster",
    name: m.name,
    uid: m.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A Kubernetes object as render produces it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: OwnerReference[];
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export function meta(
  m: ClusterModel,
  name: string,
  component: string,
  extraLabels: Record<string, string> = {},
) {
  return {
    name,
    namespace: m.namespace,
    labels: { ...baseLabels(m, component), ...extraLabels },
    ownerReferences: [ownerReference(m)],
  };
}
