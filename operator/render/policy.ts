/** PodDisruptionBudget (one node down at a time) and the pods' ServiceAccount. */
import type { ClusterModel } from "./model.js";
import { type KubeObject, meta, nodeSelector, pdbName, serviceAccountName } from "./names.js";

export function renderPodDisruptionBudget(m: ClusterModel): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta(m, pdbName(m.name), "pdb"),
    spec: { maxUnavailable: 1, selector: { matchLabels: nodeSelector(m) } },
  };
}

export function renderServiceAccount(m: ClusterModel): KubeObject {
  return {
    apiVersion: "v1",
    kind: "ServiceAccount",
    metadata: meta(m, serviceAccountName(m.name), "node"),
    // Brokers never talk to the Kubernetes API.
    automountServiceAccountToken: false,
  };
}
