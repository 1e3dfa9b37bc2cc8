/** The cluster ConfigMap: one complete server.properties per pod, key `<pod>.properties`. */
import type { ClusterModel } from "./model.js";
import { configMapName, type KubeObject, meta, podConfigKey, podName } from "./names.js";
import { renderPodFile } from "./properties.js";

export function renderConfigMap(m: ClusterModel): KubeObject {
  const data: Record<string, string> = {};
  for (const p of m.pools) {
    for (let i = 0; i < p.replicas; i++)
      data[podConfigKey(podName(m.name, p.name, i))] = renderPodFile(m, p, i);
  }
  return { apiVersion: "v1", kind: "ConfigMap", metadata: meta(m, configMapName(m.name), "config"), data };
}
