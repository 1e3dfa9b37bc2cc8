// Update rules of built-in types that controllers commonly trip over (immutable fields).
import type { StatusCause } from "./errors.js";
import { canonical } from "./lifecycle.js";
import type { Json, KObject } from "./types.js";

const same = (a: Json, b: Json): boolean => canonical(a) === canonical(b);

/** Copy `fields` of `from` into a clone of `to`, so what remains to compare is the immutable rest. */
function without(spec: Json, fields: string[], from: Json): Json {
  const c = structuredClone(spec ?? {});
  for (const f of fields) {
    if (from?.[f] === undefined) delete c[f];
    else c[f] = structuredClone(from[f]);
  }
  return c;
}

function statefulSet(old: KObject, next: KObject): StatusCause[] {
  const mutable = [
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
    "revisionHistoryLimit",
  ];
  if (same(without(next.spec, mutable, old.spec), old.spec ?? {})) return [];
  return [
    {
      field: "spec",
      reason: "FieldValueForbidden",
      message:
        "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    },
  ];
}

function selectorImmutable(old: KObject, next: KObject): StatusCause[] {
  if (same(next.spec?.selector, old.spec?.selector)) return [];
  return [
    {
      field: "spec.selector",
      message: `Invalid value: ${JSON.stringify(next.spec?.selector)}: field is immutable`,
    },
  ];
}

function service(old: KObject, next: KObject): StatusCause[] {
  const o = old.spec?.clusterIP;
  const n = next.spec?.clusterIP;
  if (o === undefined || o === "" || n === o) return [];
  return [
    { field: "spec.clusterIP", message: `Invalid value: ${JSON.stringify(n ?? "")}: field is immutable` },
  ];
}

function pvc(old: KObject, next: KObject): StatusCause[] {
  const oldSpec = structuredClone(old.spec ?? {});
  const newSpec = structuredClone(next.spec ?? {});
  for (const s of [oldSpec, newSpec]) {
    if (s.resources) delete s.resources.requests;
    delete s.volumeAttributesClassName;
  }
  // Binding (setting volumeName) is allowed once.
  if (!old.spec?.volumeName) delete newSpec.volumeName;
  if (same(oldSpec, newSpec)) return [];
  return [
    {
      field: "spec",
      reason: "FieldValueForbidden",
      message:
        "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
    },
  ];
}

function configData(old: KObject, next: KObject): StatusCause[] {
  if (old.immutable !== true) return [];
  const causes: StatusCause[] = [];
  if (next.immutable !== true)
    causes.push({
      field: "immutable",
      reason: "FieldValueForbidden",
      message: "Forbidden: field is immutable when `immutable` is set",
    });
  if (!same(next.data, old.data) || !same(next.binaryData, old.binaryData)) {
    causes.push({
      field: "data",
      reason: "FieldValueForbidden",
      message: "Forbidden: field is immutable when `immutable` is set",
    });
  }
  return causes;
}

function pod(old: KObject, next: KObject): StatusCause[] {
  const o = structuredClone(old.spec ?? {});
  const n = structuredClone(next.spec ?? {});
  for (const k of ["containers", "initContainers"]) {
    for (const [i, c] of (n[k] ?? []).entries()) if (o[k]?.[i]) o[k][i].image = c.image;
  }
  for (const k of [
    "activeDeadlineSeconds",
    "tolerations",
    "terminationGracePeriodSeconds",
    "schedulingGates",
  ]) {
    o[k] = n[k];
  }
  // The real server only sets nodeName through the binding subresource, which is not served here.
  if (!old.spec?.nodeName) o.nodeName = n.nodeName;
  if (same(o, n)) return [];
  return [
    {
      field: "spec",
      reason: "FieldValueForbidden",
      message:
        "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    },
  ];
}

function crd(old: KObject, next: KObject): StatusCause[] {
  const causes: StatusCause[] = [];
  for (const f of ["group", "scope"]) {
    if (!same(next.spec?.[f], old.spec?.[f])) {
      causes.push({
        field: `spec.${f}`,
        message: `Invalid value: ${JSON.stringify(next.spec?.[f])}: field is immutable`,
      });
    }
  }
  return causes;
}

const RULES: Record<string, (old: KObject, next: KObject) => StatusCause[]> = {
  "apps/statefulsets": statefulSet,
  "apps/deployments": selectorImmutable,
  "apps/replicasets": selectorImmutable,
  "/services": service,
  "/persistentvolumeclaims": pvc,
  "/configmaps": configData,
  "/secrets": configData,
  "/pods": pod,
  "apiextensions.k8s.io/customresourcedefinitions": crd,
};

/** Causes of a forbidden update of a built-in object (empty when allowed). */
export function immutableViolations(
  group: string,
  plural: string,
  old: KObject,
  next: KObject,
): StatusCause[] {
  return RULES[`${group}/${plural}`]?.(old, next) ?? [];
}
