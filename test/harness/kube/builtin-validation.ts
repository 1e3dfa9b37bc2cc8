// Validation of built-in objects: the checks controllers most often fail on a real server.
import type { StatusCause } from "./errors.js";
import { labelMatcher } from "./selectors.js";
import type { Json, KObject } from "./types.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

function invalidValue(field: string, value: Json, why: string): StatusCause {
  return { field, reason: "FieldValueInvalid", message: `Invalid value: ${JSON.stringify(value)}: ${why}` };
}

function required(field: string, detail = ""): StatusCause {
  return { field, reason: "FieldValueRequired", message: `Required value${detail ? `: ${detail}` : ""}` };
}

function qualifiedKey(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1];
  if (parts.length === 2 && (parts[0].length > 253 || !DNS_SUBDOMAIN.test(parts[0]))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

export function validateLabels(labels: Json, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries((labels ?? {}) as Record<string, Json>)) {
    if (!qualifiedKey(k)) {
      out.push(
        invalidValue(
          field,
          k,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    } else if (typeof v === "string" && (v.length > 63 || !LABEL_VALUE.test(v))) {
      out.push(
        invalidValue(
          `${field}`,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, and be at most 63 characters",
        ),
      );
    }
  }
  return out;
}

/** IANA service names: at most 15 characters, lowercase alphanumerics and '-', at least one letter. */
function ianaSvcName(n: string): boolean {
  return n.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(n) && /[a-z]/.test(n) && !n.includes("--");
}

function validPort(p: Json): boolean {
  return Number.isInteger(p) && p >= 1 && p <= 65535;
}

function podSpec(spec: Json, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  const containers: Json[] = spec?.containers ?? [];
  if (containers.length === 0) out.push(required(`${field}.containers`));
  const volumes = new Set(((spec?.volumes ?? []) as Json[]).map((v) => v.name));
  const seen = new Set<string>();
  const all = [
    ...containers.map((c, i) => [c, `${field}.containers[${i}]`] as const),
    ...((spec?.initContainers ?? []) as Json[]).map((c, i) => [c, `${field}.initContainers[${i}]`] as const),
  ];
  for (const [c, f] of all) {
    if (!c.name) out.push(required(`${f}.name`));
    else if (!DNS_LABEL.test(c.name) || c.name.length > 63)
      out.push(
        invalidValue(
          `${f}.name`,
          c.name,
          "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
        ),
      );
    else if (seen.has(c.name))
      out.push({
        field: `${f}.name`,
        reason: "FieldValueDuplicate",
        message: `Duplicate value: ${JSON.stringify(c.name)}`,
      });
    seen.add(c.name);
    if (!c.image) out.push(required(`${f}.image`));
    for (const [j, p] of ((c.ports ?? []) as Json[]).entries()) {
      if (!validPort(p.containerPort))
        out.push(
          invalidValue(
            `${f}.ports[${j}].containerPort`,
            p.containerPort,
            "must be between 1 and 65535, inclusive",
          ),
        );
      if (p.name !== undefined && !ianaSvcName(p.name)) {
        out.push(
          invalidValue(
            `${f}.ports[${j}].name`,
            p.name,
            "must be no more than 15 characters, contain only lowercase alphanumerics and '-', and contain at least one letter",
          ),
        );
      }
    }
    for (const [j, m] of ((c.volumeMounts ?? []) as Json[]).entries()) {
      if (!volumes.has(m.name))
        out.push({
          field: `${f}.volumeMounts[${j}].name`,
          reason: "FieldValueNotFound",
          message: `Not found: ${JSON.stringify(m.name)}`,
        });
      if (!m.mountPath) out.push(required(`${f}.volumeMounts[${j}].mountPath`));
    }
  }
  return out;
}

function workload(o: KObject, kind: string, validateTemplateSpec: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  const sel = o.spec?.selector;
  const empty =
    !sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0);
  if (!sel) out.push(required("spec.selector"));
  else if (empty) out.push(invalidValue("spec.selector", sel, `empty selector is invalid for ${kind}`));
  const labels = o.spec?.template?.metadata?.labels ?? {};
  out.push(...validateLabels(labels, "spec.template.metadata.labels"));
  if (sel && !empty) {
    const expr = [
      ...Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`),
      ...((sel.matchExpressions ?? []) as Json[]).map((e) =>
        e.operator === "Exists"
          ? e.key
          : e.operator === "DoesNotExist"
            ? `!${e.key}`
            : `${e.key} ${String(e.operator).toLowerCase()} (${(e.values ?? []).join(",")})`,
      ),
    ].join(",");
    if (!labelMatcher(expr)({ metadata: { labels } })) {
      out.push(
        invalidValue("spec.template.metadata.labels", labels, "`selector` does not match template `labels`"),
      );
    }
  }
  // StatefulSet templates are not validated as pod specs by the real server (pods are, when created).
  if (validateTemplateSpec) out.push(...podSpec(o.spec?.template?.spec, "spec.template.spec"));
  return out;
}

function service(o: KObject): StatusCause[] {
  const out: StatusCause[] = [];
  const ports: Json[] = o.spec?.ports ?? [];
  const headless = o.spec?.clusterIP === "None" || o.spec?.type === "ExternalName";
  if (ports.length === 0 && !headless) out.push(required("spec.ports"));
  const names = new Set<string>();
  for (const [i, p] of ports.entries()) {
    if (ports.length > 1 && !p.name) out.push(required(`spec.ports[${i}].name`));
    if (p.name) {
      if (!DNS_LABEL.test(p.name))
        out.push(
          invalidValue(
            `spec.ports[${i}].name`,
            p.name,
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
          ),
        );
      if (names.has(p.name))
        out.push({
          field: `spec.ports[${i}].name`,
          reason: "FieldValueDuplicate",
          message: `Duplicate value: ${JSON.stringify(p.name)}`,
        });
      names.add(p.name);
    }
    if (!validPort(p.port))
      out.push(invalidValue(`spec.ports[${i}].port`, p.port, "must be between 1 and 65535, inclusive"));
  }
  out.push(...validateLabels(o.spec?.selector, "spec.selector"));
  return out;
}

function configKeys(o: KObject): StatusCause[] {
  const out: StatusCause[] = [];
  for (const f of ["data", "binaryData"]) {
    for (const k of Object.keys(o[f] ?? {})) {
      if (k.length > 253 || !CONFIG_KEY.test(k))
        out.push(
          invalidValue(
            `${f}[${k}]`,
            k,
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
          ),
        );
      if (f === "binaryData" && o.data?.[k] !== undefined)
        out.push({
          field: `data[${k}]`,
          reason: "FieldValueDuplicate",
          message: `Duplicate value: ${JSON.stringify(k)}`,
        });
    }
  }
  return out;
}

const RULES: Record<string, (o: KObject) => StatusCause[]> = {
  "/pods": (o) => podSpec(o.spec, "spec"),
  "/services": service,
  "/configmaps": configKeys,
  "/secrets": configKeys,
  "apps/statefulsets": (o) => workload(o, "statefulset", false),
  "apps/deployments": (o) => workload(o, "deployment", true),
  "apps/replicasets": (o) => workload(o, "replicaset", true),
};

/** Validation failures of a built-in object (labels of every object included). */
export function validateBuiltin(group: string, plural: string, o: KObject): StatusCause[] {
  return [
    ...validateLabels(o.metadata.labels, "metadata.labels"),
    ...(RULES[`${group}/${plural}`]?.(o) ?? []),
  ];
}
