/**
 * Render: (cluster, cluster id, node ids in use, context) -> every object the cluster needs. Pure
 * and deterministic; the order is the order of apply (config before the pods that read it).
 */
import type { KafkaCluster } from "../crd/schema.js";
import { renderConfigMap } from "./configmap.js";
import { buildModel, type ClusterModel, DEFAULT_CONTEXT, type RenderContext } from "./model.js";
import type { KubeObject } from "./names.js";
import { renderPodDisruptionBudget, renderServiceAccount } from "./policy.js";
import { renderBootstrapService, renderHeadlessService } from "./services.js";
import { renderStatefulSet } from "./statefulset.js";

export type { ClusterModel, RenderContext } from "./model.js";
export type { KubeObject } from "./names.js";

export function renderModel(m: ClusterModel): KubeObject[] {
  return [
    renderServiceAccount(m),
    renderConfigMap(m),
    renderHeadlessService(m),
    renderBootstrapService(m),
    renderPodDisruptionBudget(m),
    ...m.pools.map((p) => renderStatefulSet(m, p)),
  ];
}

export function renderCluster(
  cluster: KafkaCluster,
  clusterId: string,
  previousNodeIds: ReadonlyMap<string, number> = new Map(),
  ctx: RenderContext = DEFAULT_CONTEXT,
): KubeObject[] {
  return renderModel(buildModel(cluster, clusterId, previousNodeIds, ctx));
}
