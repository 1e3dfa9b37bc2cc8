/**
 * Checks on a KafkaCluster beyond what the API server enforces (it may not run CEL, or the object
 * may predate a schema change). Each problem carries a reason for the Error condition.
 */
import { Ajv, type ErrorObject } from "ajv";
import { CONTROLLER_LISTENER_NAME, PORT_CONTROLLER, PORT_HEALTH } from "../constants.js";
import { DEFAULT_LISTENERS, DEFAULT_POOLS } from "./defaults.js";
import { OWNED_CONFIG_KEYS } from "./owned-keys.js";
import { type KafkaClusterSpec, KafkaClusterSpec as SpecSchema } from "./schema.js";

export interface SpecProblem {
  reason: string;
  message: string;
}

const ajv = new Ajv({ strict: false, allErrors: true });
const checkSpecSchema = ajv.compile(JSON.parse(JSON.stringify(SpecSchema)));

function schemaMessage(e: ErrorObject): string {
  const at = e.instancePath ? `spec${e.instancePath.replaceAll("/", ".")}` : "spec";
  return `${at} ${e.message ?? "is invalid"}`;
}

/** Kubernetes object names in pods: `<cluster>-<pool>-<ordinal>` must be a DNS label (<= 63). */
const MAX_POD_NAME = 63;

export function validateClusterSpec(name: string, spec: KafkaClusterSpec): SpecProblem[] {
  if (!checkSpecSchema(spec)) {
    return (checkSpecSchema.errors ?? []).map((e) => ({ reason: "InvalidSpec", message: schemaMessage(e) }));
  }
  const problems: SpecProblem[] = [];
  const pools = spec.nodePools && spec.nodePools.length > 0 ? spec.nodePools : DEFAULT_POOLS;
  const seen = new Set<string>();
  for (const p of pools) {
    if (seen.has(p.name))
      problems.push({ reason: "DuplicatePool", message: `node pool ${p.name} is listed twice` });
    seen.add(p.name);
    const podName = `${name}-${p.name}-${p.replicas - 1}`;
    if (podName.length > MAX_POD_NAME) {
      problems.push({
        reason: "NameTooLong",
        message: `pod name ${podName} would exceed ${MAX_POD_NAME} characters; shorten the cluster or pool name`,
      });
    }
  }
  if (pools.length > 0 && !pools.some((p) => p.roles.includes("controller"))) {
    problems.push({ reason: "NoControllers", message: "at least one node pool needs the controller role" });
  }
  if (pools.length > 0 && !pools.some((p) => p.roles.includes("broker"))) {
    problems.push({ reason: "NoBrokers", message: "at least one node pool needs the broker role" });
  }
  for (const [key, value] of Object.entries(spec.config ?? {})) {
    const why = OWNED_CONFIG_KEYS[key];
    if (why)
      problems.push({
        reason: "OwnedConfigKey",
        message: `config ${key} is managed by the operator: ${why}`,
      });
    const t = typeof value as string;
    if (t !== "string" && t !== "number" && t !== "boolean") {
      problems.push({
        reason: "InvalidConfig",
        message: `config ${key} must be a string, number or boolean`,
      });
    }
  }
  const ports = new Set<number>();
  const names = new Set<string>();
  for (const l of spec.listeners && spec.listeners.length > 0 ? spec.listeners : DEFAULT_LISTENERS) {
    if (l.port === PORT_CONTROLLER || l.port === PORT_HEALTH) {
      problems.push({ reason: "ReservedPort", message: `listener ${l.name}: port ${l.port} is reserved` });
    }
    if (ports.has(l.port))
      problems.push({ reason: "DuplicatePort", message: `listener port ${l.port} is used twice` });
    ports.add(l.port);
    const kafkaName = l.name.toUpperCase();
    if (kafkaName === CONTROLLER_LISTENER_NAME || names.has(kafkaName)) {
      problems.push({
        reason: "InvalidListener",
        message: `listener name ${l.name} is reserved or used twice`,
      });
    }
    names.add(kafkaName);
    if (l.tls) {
      problems.push({
        reason: "UnsupportedListener",
        message: `listener ${l.name}: TLS listeners are not supported by this operator version yet`,
      });
    }
  }
  return problems;
}
