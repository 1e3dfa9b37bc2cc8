// Custom objects against their CRD version's openAPIV3Schema: prune unknown fields, apply defaults,
// validate with ajv, and evaluate x-kubernetes-validations CEL rules (cel.ts).
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { celRules } from "./cel.js";
import type { StatusCause } from "./errors.js";
import type { Json } from "./types.js";

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
const compiled = new Map<string, ValidateFunction>();

function isObj(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Remove fields the schema does not declare; returns their paths (for fieldValidation=Strict/Warn). */
export function prune(value: Json, schema: Json, path: string, unknown: string[]): void {
  if (!isObj(schema)) return;
  if (Array.isArray(value)) {
    if (schema.items) for (const [i, v] of value.entries()) prune(v, schema.items, `${path}[${i}]`, unknown);
    return;
  }
  if (!isObj(value)) return;
  const props: Record<string, Json> | undefined = schema.properties;
  const addl = schema.additionalProperties;
  for (const k of Object.keys(value)) {
    const child = `${path}${path ? "." : ""}${k}`;
    // ObjectMeta is the server's business, never pruned by the CRD schema.
    if (k === "metadata" && (path === "" || schema["x-kubernetes-embedded-resource"])) continue;
    const childSchema = props && Object.hasOwn(props, k) ? props[k] : isObj(addl) ? addl : undefined;
    // Nulls of fields that are not nullable are dropped before defaulting, as the real server does.
    if (value[k] === null && childSchema && childSchema.nullable !== true) {
      delete value[k];
      continue;
    }
    if (props && Object.hasOwn(props, k)) prune(value[k], props[k], child, unknown);
    else if (isObj(addl)) prune(value[k], addl, child, unknown);
    else if (addl === true || schema["x-kubernetes-preserve-unknown-fields"] === true) continue;
    else if (path === "" && (k === "apiVersion" || k === "kind" || k === "metadata")) continue;
    else if (
      schema["x-kubernetes-embedded-resource"] &&
      (k === "apiVersion" || k === "kind" || k === "metadata")
    )
      continue;
    else {
      unknown.push(child);
      delete value[k];
    }
  }
}

/** Fill in `default`s for absent properties, recursively where the parent exists. */
export function applyDefaults(value: Json, schema: Json): void {
  if (!isObj(schema)) return;
  if (Array.isArray(value)) {
    if (schema.items) for (const v of value) applyDefaults(v, schema.items);
    return;
  }
  if (!isObj(value)) return;
  for (const [k, s] of Object.entries((schema.properties ?? {}) as Record<string, Json>)) {
    if (value[k] === undefined && isObj(s) && s.default !== undefined) value[k] = structuredClone(s.default);
    if (value[k] !== undefined) applyDefaults(value[k], s);
  }
  if (isObj(schema.additionalProperties)) {
    for (const k of Object.keys(value)) {
      if (!schema.properties || !Object.hasOwn(schema.properties, k))
        applyDefaults(value[k], schema.additionalProperties);
    }
  }
}

function fieldOf(e: ErrorObject): string {
  const base = e.instancePath
    .split("/")
    .filter((s) => s !== "")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
    .join("")
    .replace(/^\./, "");
  if (e.keyword === "required") {
    const missing = (e.params as { missingProperty: string }).missingProperty;
    return base ? `${base}.${missing}` : missing;
  }
  return base;
}

function causeOf(e: ErrorObject, value: Json): StatusCause {
  const field = fieldOf(e);
  const at = e.instancePath
    .split("/")
    .filter((s) => s !== "")
    .reduce((cur: Json, s) => (cur == null ? undefined : cur[s]), value);
  switch (e.keyword) {
    case "required":
      return { reason: "FieldValueRequired", field, message: "Required value" };
    case "enum": {
      const allowed = ((e.params as { allowedValues: Json[] }).allowedValues ?? []).map((v) =>
        JSON.stringify(v),
      );
      return {
        reason: "FieldValueNotSupported",
        field,
        message: `Unsupported value: ${JSON.stringify(at)}: supported values: ${allowed.join(", ")}`,
      };
    }
    case "type":
      return {
        reason: "FieldValueTypeInvalid",
        field,
        message: `Invalid value: "${typeof at}": ${field} in body must be of type ${(e.params as { type: string }).type}: ${JSON.stringify(at)}`,
      };
    default:
      return {
        reason: "FieldValueInvalid",
        field,
        message: `Invalid value: ${JSON.stringify(at)}: ${field} in body ${e.message}`,
      };
  }
}

function validatorFor(schema: Json): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = compiled.get(key);
  if (!v) {
    // `metadata` is validated by the server itself, not by the CRD schema.
    const s = structuredClone(schema);
    if (isObj(s.properties)) delete s.properties.metadata;
    v = ajv.compile(s);
    compiled.set(key, v);
  }
  return v;
}

export interface SchemaCheck {
  causes: StatusCause[];
  unknownFields: string[];
}

/** Mutates `obj` (pruning, defaults) and returns validation failures. */
export function checkAgainstSchema(obj: Json, schema: Json, old?: Json): SchemaCheck {
  const unknownFields: string[] = [];
  prune(obj, schema, "", unknownFields);
  applyDefaults(obj, schema);
  const validate = validatorFor(schema);
  const causes: StatusCause[] = [];
  if (!validate(obj)) {
    for (const e of validate.errors ?? []) {
      if (e.keyword === "if" || e.keyword === "anyOf" || e.keyword === "oneOf") continue;
      causes.push(causeOf(e, obj));
    }
  }
  celRules(obj, old, schema, "", causes);
  return { causes, unknownFields };
}
