import type { KafkaCluster, KafkaClusterSpec } from "../../../operator/crd/schema.js";

export function cluster(spec: KafkaClusterSpec = {}, name = "demo", namespace = "kafka"): KafkaCluster {
  return {
    apiVersion: "kafka.gregor.dev/v1alpha1",
    kind: "KafkaCluster",
    metadata: { name, namespace, uid: "uid-1234", generation: 1 },
    spec,
  };
}

export const CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg";
