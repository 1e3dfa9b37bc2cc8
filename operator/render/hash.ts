/**
 * The config hash on a pool's pod template. It covers what a running broker only reads at start,
 * and leaves out what must not restart it: per-pod keys (stable for the pod anyway), and for pools
 * without the controller role the voter list (brokers only use it to find the quorum, so
 * controller scaling must not roll every broker).
 */
import { createHash } from "node:crypto";
import type { ClusterModel, PoolModel } from "./model.js";
import { type Properties, poolProperties } from "./properties.js";

export function hashInputs(m: ClusterModel, p: PoolModel): Properties {
  const props = poolProperties(m, p);
  if (p.roles.includes("controller")) return props;
  return props.filter(([k]) => k !== "controller.quorum.voters");
}

export function configHash(m: ClusterModel, p: PoolModel): string {
  const text = JSON.stringify({ clusterId: m.clusterId, props: hashInputs(m, p) });
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}
