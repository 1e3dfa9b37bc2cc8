// The built-in resources the test API server serves.
import { ALL_VERBS, type ResourceType } from "./types.js";

function r(
  group: string,
  version: string,
  plural: string,
  kind: string,
  namespaced: boolean,
  opts: { shortNames?: string[]; status?: boolean; categories?: string[]; scale?: boolean } = {},
): ResourceType {
  return {
    group,
    version,
    plural,
    singular: kind.toLowerCase(),
    kind,
    namespaced,
    shortNames: opts.shortNames ?? [],
    categories: opts.categories ?? [],
    statusSubresource: opts.status ?? false,
    verbs: ALL_VERBS,
    scale: opts.scale
      ? {
          specReplicasPath: ".spec.replicas",
          statusReplicasPath: ".status.replicas",
          labelSelectorPath: ".spec.selector",
        }
      : undefined,
  };
}

export const BUILTIN_RESOURCES: ResourceType[] = [
  r("", "v1", "namespaces", "Namespace", false, { shortNames: ["ns"], status: true }),
  r("", "v1", "pods", "Pod", true, { shortNames: ["po"], status: true, categories: ["all"] }),
  r("", "v1", "services", "Service", true, { shortNames: ["svc"], status: true, categories: ["all"] }),
  r("", "v1", "configmaps", "ConfigMap", true, { shortNames: ["cm"] }),
  r("", "v1", "secrets", "Secret", true),
  r("", "v1", "serviceaccounts", "ServiceAccount", true, { shortNames: ["sa"] }),
  r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, { shortNames: ["pvc"], status: true }),
  r("", "v1", "events", "Event", true, { shortNames: ["ev"] }),
  r("", "v1", "endpoints", "Endpoints", true, { shortNames: ["ep"] }),
  r("", "v1", "nodes", "Node", false, { shortNames: ["no"], status: true }),
  r("apps", "v1", "statefulsets", "StatefulSet", true, {
    shortNames: ["sts"],
    status: true,
    categories: ["all"],
    scale: true,
  }),
  r("apps", "v1", "deployments", "Deployment", true, {
    shortNames: ["deploy"],
    status: true,
    categories: ["all"],
    scale: true,
  }),
  r("apps", "v1", "replicasets", "ReplicaSet", true, {
    shortNames: ["rs"],
    status: true,
    categories: ["all"],
    scale: true,
  }),
  r("apps", "v1", "controllerrevisions", "ControllerRevision", true),
  r("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, {
    shortNames: ["pdb"],
    status: true,
  }),
  r("coordination.k8s.io", "v1", "leases", "Lease", true),
  r("events.k8s.io", "v1", "events", "Event", true, { shortNames: ["ev"] }),
  r("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
  r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
  r("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
  r("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
  r("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, {
    shortNames: ["crd", "crds"],
    status: true,
  }),
];

export const INITIAL_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
