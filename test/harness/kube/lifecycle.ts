// Metadata rules applied on every write: names, uid, timestamps, generation, status subresource.
import { randomUUID } from "node:crypto";
import { invalid } from "./errors.js";
import type { Json, KObject, ResourceType } from "./types.js";
import { apiVersionOf } from "./types.js";

export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, "Z");
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Resources whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(["/namespaces", "/services"]);
const NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789";

export function generateName(prefix: string): string {
  let s = prefix;
  for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
  return s;
}

export function validateName(t: ResourceType, name: string | undefined): void {
  if (!name) {
    throw invalid(t.kind, t.group, "", [
      {
        field: "metadata.name",
        reason: "FieldValueRequired",
        message: "Required value: name or generateName is required",
      },
    ]);
  }
  const label = LABEL_NAMED.has(`${t.group}/${t.plural}`);
  const ok = label ? LABEL.test(name) && name.length <= 63 : SUBDOMAIN.test(name) && name.length <= 253;
  if (!ok) {
    const what = label
      ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
      : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    throw invalid(t.kind, t.group, name, [
      { field: "metadata.name", message: `Invalid value: "${name}": ${what}` },
    ]);
  }
}

function validateMetaMaps(t: ResourceType, o: KObject): void {
  for (const f of ["labels", "annotations"] as const) {
    const m = o.metadata[f];
    if (m === undefined || m === null) continue;
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== "string") {
        throw invalid(t.kind, t.group, o.metadata.name ?? "", [
          { field: `metadata.${f}.${k}`, message: `Invalid value: ${JSON.stringify(v)}: must be a string` },
        ]);
      }
    }
  }
}

/** Everything that counts as "spec" for generation: all but metadata (and status when it is a subresource). */
function specOf(t: ResourceType, o: KObject): string {
  const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = o;
  return canonical(t.statusSubresource ? rest : { ...rest, status });
}

export function prepareCreate(t: ResourceType, obj: KObject, namespace: string | undefined): KObject {
  const o = structuredClone(obj);
  o.apiVersion = apiVersionOf(t);
  o.kind = t.kind;
  o.metadata ??= {};
  const m = o.metadata;
  if (!m.name && m.generateName) m.name = generateName(m.generateName);
  validateName(t, m.name);
  validateMetaMaps(t, o);
  if (t.namespaced) m.namespace = namespace;
  else delete m.namespace;
  m.uid = randomUUID();
  m.creationTimestamp = now();
  m.generation = 1;
  delete m.resourceVersion;
  delete m.deletionTimestamp;
  delete m.deletionGracePeriodSeconds;
  delete m.managedFields;
  delete m.selfLink;
  if (t.statusSubresource) delete o.status;
  return o;
}

/** Merge an update into the stored object according to which endpoint was used. */
export function prepareUpdate(
  t: ResourceType,
  old: KObject,
  incoming: KObject,
  subresource: string | undefined,
): KObject {
  let o: KObject;
  if (subresource === "status") {
    o = structuredClone(old);
    if (incoming.status === undefined) delete o.status;
    else o.status = structuredClone(incoming.status);
  } else {
    o = structuredClone(incoming);
    o.metadata ??= {};
    if (t.statusSubresource) {
      if (old.status === undefined) delete o.status;
      else o.status = structuredClone(old.status);
    }
  }
  o.apiVersion = apiVersionOf(t);
  o.kind = t.kind;
  const m = o.metadata;
  for (const k of [
    "name",
    "namespace",
    "uid",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generation",
  ]) {
    if (old.metadata[k] === undefined) delete m[k];
    else m[k] = old.metadata[k];
  }
  m.resourceVersion = old.metadata.resourceVersion;
  delete m.managedFields;
  delete m.selfLink;
  validateMetaMaps(t, o);
  if (old.metadata.deletionTimestamp) {
    const before = new Set(old.metadata.finalizers ?? []);
    if ((m.finalizers ?? []).some((f: string) => !before.has(f))) {
      throw invalid(t.kind, t.group, m.name ?? "", [
        {
          field: "metadata.finalizers",
          reason: "FieldValueForbidden",
          message: "Forbidden: no new finalizers can be added if the object is being deleted",
        },
      ]);
    }
  }
  return o;
}

/** Bump generation when the spec (anything outside metadata/status) changed. */
export function bumpGeneration(t: ResourceType, old: KObject, next: KObject): void {
  if (specOf(t, old) !== specOf(t, next)) next.metadata.generation = (old.metadata.generation ?? 1) + 1;
}

/** True when the write would change nothing, so no new resourceVersion or event is produced. */
export function unchanged(old: KObject, next: KObject): boolean {
  const strip = (o: KObject): Json => ({ ...o, metadata: { ...o.metadata, resourceVersion: undefined } });
  return canonical(strip(old)) === canonical(strip(next));
}

/** JSON with sorted keys, so key order does not count as a change. */
export function canonical(v: Json): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, x[k]]),
        )
      : x,
  );
}
