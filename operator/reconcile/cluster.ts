/**
 * Reconciles one KafkaCluster: validate, ensure the cluster id, render, server-side apply every
 * object, prune owned objects no longer desired, then write status from what is observed.
 * Idempotent and safe to interrupt at any point: every step re-derives from the API state.
 */
import { isDeepStrictEqual } from "node:util";
import type { Logger } from "pino";
import {
  ANNOTATION_FIRST_NODE_ID,
  LABEL_CLUSTER,
  LABEL_MANAGED_BY,
  LABEL_POOL,
  MANAGED_BY,
} from "../constants.js";
import type { KafkaCluster, KafkaClusterStatus } from "../crd/schema.js";
import { validateClusterSpec } from "../crd/validate.js";
import type { KubeClient, KubeObj } from "../kube/client.js";
import { KAFKA_CLUSTER, OWNED_TYPES, POD, STATEFUL_SET } from "../kube/resources.js";
import { renderModel } from "../render/index.js";
import { buildModel, DEFAULT_CONTEXT, type RenderContext } from "../render/model.js";
import { clusterIdObjectName, statefulSetName } from "../render/names.js";
import { nodeIdProblems } from "../render/node-ids.js";
import { ensureClusterId } from "./cluster-id.js";
import { computeStatus, invalidStatus, type ObservedPod, type ObservedStatefulSet } from "./status.js";

export interface ReconcileResult {
  /** "applied": objects applied; "invalid": spec refused (Error condition); "gone": nothing to do. */
  outcome: "applied" | "invalid" | "gone";
  requeueAfterMs?: number;
}

export interface ClusterReconcilerDeps {
  client: KubeClient;
  log: Logger;
  renderContext?: RenderContext;
  now?: () => Date;
}

type ClusterObj = KafkaCluster & KubeObj;

export class ClusterReconciler {
  private readonly ctx: RenderContext;
  private readonly now: () => Date;

  constructor(private readonly d: ClusterReconcilerDeps) {
    this.ctx = d.renderContext ?? DEFAULT_CONTEXT;
    this.now = d.now ?? (() => new Date());
  }

  async reconcile(namespace: string, name: string): Promise<ReconcileResult> {
    const { client, log } = this.d;
    const cluster = await client.get<ClusterObj>(KAFKA_CLUSTER, namespace, name);
    if (!cluster || cluster.metadata.deletionTimestamp) return { outcome: "gone" };
    const generation = cluster.metadata.generation;
    const now = this.now().toISOString();

    const problems = validateClusterSpec(name, cluster.spec);
    if (problems.length > 0) {
      log.info({ cluster: `${namespace}/${name}`, problems }, "spec refused");
      await this.writeStatus(
        cluster,
        invalidStatus(
          cluster.status,
          generation,
          problems[0]!.reason,
          problems.map((p) => p.message).join("; "),
          now,
        ),
      );
      return { outcome: "invalid" };
    }

    const clusterId = await ensureClusterId(client, cluster);
    const selector = `${LABEL_CLUSTER}=${name},${LABEL_MANAGED_BY}=${MANAGED_BY}`;
    const existingSets = (await client.list<KubeObj>(STATEFUL_SET, namespace, selector)).items.filter((s) =>
      ownedBy(s, cluster),
    );
    const previous = previousNodeIds(cluster, existingSets);
    const model = buildModel(cluster, clusterId, previous, this.ctx);

    const idProblems = nodeIdProblems(
      (cluster.spec.nodePools ?? []).map((p) => ({
        name: p.name,
        replicas: p.replicas,
        nodeIdStart: p.nodeIdStart,
      })),
      previous,
      new Map(model.pools.map((p) => [p.name, p.firstNodeId])),
    );
    if (idProblems.length > 0) {
      await this.writeStatus(
        cluster,
        invalidStatus(cluster.status, generation, "NodeIdConflict", idProblems.join("; "), now),
      );
      return { outcome: "invalid" };
    }

    const desired = renderModel(model);
    const applied = new Map<string, KubeObj>();
    try {
      for (const obj of desired) {
        const res = await client.apply(obj as KubeObj);
        applied.set(`${obj.kind}/${obj.metadata.name}`, res);
      }
      await this.prune(cluster, selector, new Set(applied.keys()));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.writeStatus(
        cluster,
        invalidStatus(cluster.status, generation, "ApplyFailed", message, now),
      ).catch(() => undefined);
      throw err;
    }

    const statefulSets = new Map<string, ObservedStatefulSet>();
    for (const p of model.pools) {
      const sts = applied.get(`StatefulSet/${statefulSetName(name, p.name)}`);
      if (sts) statefulSets.set(p.name, sts as unknown as ObservedStatefulSet);
    }
    const pods = (await client.list<KubeObj>(POD, namespace, `${LABEL_CLUSTER}=${name}`))
      .items as unknown as ObservedPod[];
    const status = computeStatus(model, { statefulSets, pods }, cluster.status, generation, now);
    await this.writeStatus(cluster, status);
    return { outcome: "applied" };
  }

  /** Deletes objects this cluster owns (controller reference) that render no longer produces. */
  private async prune(cluster: ClusterObj, selector: string, keep: ReadonlySet<string>): Promise<void> {
    const ns = cluster.metadata.namespace ?? "default";
    const idObject = clusterIdObjectName(cluster.metadata.name);
    for (const t of OWNED_TYPES) {
      const { items } = await this.d.client.list<KubeObj>(t, ns, selector);
      for (const o of items) {
        if (!ownedBy(o, cluster) || keep.has(`${t.kind}/${o.metadata.name}`)) continue;
        if (t.kind === "ConfigMap" && o.metadata.name === idObject) continue;
        this.d.log.info(
          { cluster: `${ns}/${cluster.metadata.name}`, object: `${t.kind}/${o.metadata.name}` },
          "pruning",
        );
        await this.d.client.delete(t, ns, o.metadata.name);
      }
    }
  }

  private async writeStatus(cluster: ClusterObj, status: KafkaClusterStatus): Promise<void> {
    if (isDeepStrictEqual(stripUndefined(status), stripUndefined(cluster.status ?? {}))) return;
    await this.d.client.patchStatus(
      KAFKA_CLUSTER,
      cluster.metadata.namespace ?? "default",
      cluster.metadata.name,
      status,
    );
  }
}

function ownedBy(o: KubeObj, cluster: ClusterObj): boolean {
  return (o.metadata.ownerReferences ?? []).some((r) => r.controller && r.uid === cluster.metadata.uid);
}

/** First node id per pool as recorded on its StatefulSet (authoritative) or, failing that, in status. */
export function previousNodeIds(
  cluster: KafkaCluster,
  statefulSets: readonly KubeObj[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of cluster.status?.nodePools ?? []) {
    if (p.nodeIds.length > 0) out.set(p.name, p.nodeIds[0]!);
  }
  for (const s of statefulSets) {
    const pool = s.metadata.labels?.[LABEL_POOL];
    const first = Number(s.metadata.annotations?.[ANNOTATION_FIRST_NODE_ID]);
    if (pool && Number.isInteger(first)) out.set(pool, first);
  }
  return out;
}

function stripUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
