/**
 * The normalised view of a KafkaCluster that every render module works from: defaults applied,
 * node ids assigned, names derived. Pure.
 */
import { DEFAULT_CLUSTER_DOMAIN, DEFAULT_IMAGE } from "../constants.js";
import { DEFAULT_LISTENERS, DEFAULT_POOLS } from "../crd/defaults.js";
import type { KafkaCluster, Listener, NodeRole, PodTemplate, Resources } from "../crd/schema.js";
import { assignNodeIds } from "./node-ids.js";

export interface RenderContext {
  /** Image used when the spec names neither image nor version. */
  defaultImage: string;
  clusterDomain: string;
}

export const DEFAULT_CONTEXT: RenderContext = {
  defaultImage: DEFAULT_IMAGE,
  clusterDomain: DEFAULT_CLUSTER_DOMAIN,
};

export interface PoolModel {
  name: string;
  roles: NodeRole[];
  replicas: number;
  firstNodeId: number;
  storage: { size: string; storageClassName?: string; deleteClaim: boolean };
  resources?: Resources;
  template?: PodTemplate;
}

export interface ClusterModel {
  name: string;
  namespace: string;
  uid: string;
  clusterId: string;
  image: string;
  pools: PoolModel[];
  listeners: Listener[];
  config: Record<string, string>;
  rackTopologyKey?: string;
  metrics: boolean;
  clusterDomain: string;
}

export function imageOf(cluster: KafkaCluster, ctx: RenderContext): string {
  if (cluster.spec.image) return cluster.spec.image;
  if (cluster.spec.version) return `${ctx.defaultImage.replace(/:[^:/]*$/, "")}:${cluster.spec.version}`;
  return ctx.defaultImage;
}

/**
 * @param previousNodeIds first node id per pool as recorded earlier (StatefulSet annotation or
 *   status); keeps ids stable for pools whose spec does not pin nodeIdStart.
 */
export function buildModel(
  cluster: KafkaCluster,
  clusterId: string,
  previousNodeIds: ReadonlyMap<string, number>,
  ctx: RenderContext = DEFAULT_CONTEXT,
): ClusterModel {
  const spec = cluster.spec;
  const pools = spec.nodePools && spec.nodePools.length > 0 ? spec.nodePools : DEFAULT_POOLS;
  const firstIds = assignNodeIds(pools, previousNodeIds);
  const config: Record<string, string> = {};
  for (const key of Object.keys(spec.config ?? {}).sort()) config[key] = String(spec.config?.[key]);
  return {
    name: cluster.metadata.name,
    namespace: cluster.metadata.namespace ?? "default",
    uid: cluster.metadata.uid ?? "",
    clusterId,
    image: imageOf(cluster, ctx),
    pools: pools.map((p) => ({
      name: p.name,
      roles: [...p.roles].sort() as NodeRole[],
      replicas: p.replicas,
      firstNodeId: firstIds.get(p.name) ?? 0,
      storage: {
        size: p.storage?.size ?? "10Gi",
        storageClassName: p.storage?.storageClassName,
        deleteClaim: p.storage?.deleteClaim ?? false,
      },
      resources: p.resources,
      template: p.template,
    })),
    listeners: spec.listeners && spec.listeners.length > 0 ? spec.listeners : DEFAULT_LISTENERS,
    config,
    rackTopologyKey: spec.rack?.topologyKey,
    metrics: spec.metrics?.enabled ?? true,
    clusterDomain: ctx.clusterDomain,
  };
}
