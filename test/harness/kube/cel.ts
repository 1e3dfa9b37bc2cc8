// x-kubernetes-validations: CEL rules evaluated with @marcbachmann/cel-js, walking the schema like the
// real server (self = the value at the rule's node; oldSelf on updates for transition rules).
import { evaluate } from "@marcbachmann/cel-js";
import type { StatusCause } from "./errors.js";
import type { Json } from "./types.js";

function isObj(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Kubernetes hands integers to CEL as int64; cel-js represents those as bigint. */
function toCel(v: Json): Json {
  if (typeof v === "number" && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(toCel);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toCel(x)]));
  return v;
}

/** The type word the real server prints in CEL failures (`Invalid value: "object": ...`). */
function celTypeName(v: Json): string {
  if (Array.isArray(v)) return "array";
  if (isObj(v)) return "object";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function usesOldSelf(rule: string): boolean {
  return /\boldSelf\b/.test(rule);
}

function checkNode(value: Json, old: Json, schema: Json, path: string, out: StatusCause[]): void {
  for (const r of (schema["x-kubernetes-validations"] ?? []) as Json[]) {
    if (typeof r?.rule !== "string") continue;
    const transition = usesOldSelf(r.rule);
    // Transition rules only run on updates where the old value exists (unless optionalOldSelf).
    if (transition && old === undefined && r.optionalOldSelf !== true) continue;
    let ok: Json;
    try {
      ok = evaluate(r.rule, { self: toCel(value), ...(transition ? { oldSelf: toCel(old) } : {}) });
    } catch {
      continue; // Functions outside standard CEL (quantity, isSorted, ...) are not evaluated.
    }
    if (ok === true) continue;
    let message = r.message ?? `failed rule: ${r.rule}`;
    if (typeof r.messageExpression === "string") {
      try {
        message = String(evaluate(r.messageExpression, { self: toCel(value) }));
      } catch {
        // keep the static message
      }
    }
    const field = r.fieldPath ? `${path}${String(r.fieldPath)}` : path;
    const reason = r.reason ?? "FieldValueInvalid";
    const shown = JSON.stringify(celTypeName(value));
    out.push({ field: field.replace(/^\./, ""), reason, message: `Invalid value: ${shown}: ${message}` });
  }
}

/** Walk value and schema together; `old` follows along where it can be correlated. */
export function celRules(value: Json, old: Json, schema: Json, path: string, out: StatusCause[]): void {
  if (!isObj(schema) || value === undefined || value === null) return;
  checkNode(value, old, schema, path, out);
  if (isObj(value)) {
    const props = (schema.properties ?? {}) as Record<string, Json>;
    for (const [k, v] of Object.entries(value)) {
      const s = props[k] ?? (isObj(schema.additionalProperties) ? schema.additionalProperties : undefined);
      if (s) celRules(v, isObj(old) ? old[k] : undefined, s, `${path}.${k}`, out);
    }
  } else if (Array.isArray(value) && isObj(schema.items)) {
    // Old items correlate only in map lists, by their keys.
    const keys: string[] =
      schema["x-kubernetes-list-type"] === "map" ? (schema["x-kubernetes-list-map-keys"] ?? []) : [];
    for (const [i, item] of value.entries()) {
      const oldItem =
        keys.length > 0 && Array.isArray(old)
          ? old.find(
              (o: Json) =>
                isObj(o) &&
                isObj(item) &&
                keys.every((k) => JSON.stringify(o[k]) === JSON.stringify(item[k])),
            )
          : undefined;
      celRules(item, oldItem, schema.items, `${path}[${i}]`, out);
    }
  }
}
