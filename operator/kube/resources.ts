/** REST paths of the kinds the operator touches (a fixed table: no discovery round trips). */
import { API_VERSION } from "../constants.js";

export interface ResourceType {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
}

const TABLE: ResourceType[] = [
  { apiVersion: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true },
  { apiVersion: "v1", kind: "Service", plural: "services", namespaced: true },
  { apiVersion: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true },
  { apiVersion: "v1", kind: "Pod", plural: "pods", namespaced: true },
  { apiVersion: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", namespaced: true },
  { apiVersion: "v1", kind: "Event", plural: "events", namespaced: true },
  { apiVersion: "apps/v1", kind: "StatefulSet", plural: "statefulsets", namespaced: true },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget", plural: "poddisruptionbudgets", namespaced: true },
  { apiVersion: "coordination.k8s.io/v1", kind: "Lease", plural: "leases", namespaced: true },
  { apiVersion: API_VERSION, kind: "KafkaCluster", plural: "kafkaclusters", namespaced: true },
  { apiVersion: API_VERSION, kind: "KafkaTopic", plural: "kafkatopics", namespaced: true },
];

export function resourceType(apiVersion: string, kind: string): ResourceType {
  const t = TABLE.find((r) => r.apiVersion === apiVersion && r.kind === kind);
  if (!t) throw new Error(`operator has no REST mapping for ${apiVersion} ${kind}`);
  return t;
}

export const CONFIG_MAP = resourceType("v1", "ConfigMap");
export const SERVICE = resourceType("v1", "Service");
export const SERVICE_ACCOUNT = resourceType("v1", "ServiceAccount");
export const POD = resourceType("v1", "Pod");
export const STATEFUL_SET = resourceType("apps/v1", "StatefulSet");
export const PDB = resourceType("policy/v1", "PodDisruptionBudget");
export const LEASE = resourceType("coordination.k8s.io/v1", "Lease");
export const KAFKA_CLUSTER = resourceType(API_VERSION, "KafkaCluster");
export const KAFKA_TOPIC = resourceType(API_VERSION, "KafkaTopic");

/** Kinds render produces; the reconciler prunes these when no longer desired. */
export const OWNED_TYPES: ResourceType[] = [SERVICE_ACCOUNT, CONFIG_MAP, SERVICE, PDB, STATEFUL_SET];

/** `/api/v1/namespaces/ns/pods/name` or `/apis/apps/v1/...`. */
export function resourcePath(
  t: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = t.apiVersion.includes("/") ? `/apis/${t.apiVersion}` : `/api/${t.apiVersion}`;
  if (t.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${t.plural}`;
  if (name) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}
