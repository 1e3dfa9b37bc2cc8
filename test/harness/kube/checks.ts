// Request checks that do not need storage: kind/apiVersion against the URL, secret data, CRD basics.
import { badRequest, invalid } from "./errors.js";
import { apiVersionOf, type Json, type KObject, type ResourceType } from "./types.js";

/** Secret data is base64; a real server fails to decode anything else (400, not 422). */
export function checkBase64(t: ResourceType, o: KObject): void {
  for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, Json>)) {
    if (typeof v !== "string" || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) {
      throw badRequest(
        `${t.kind} in version "v1" cannot be handled as a ${t.kind}: illegal base64 data in data[${k}]`,
      );
    }
  }
}

export function checkKind(t: ResourceType, body: Json): void {
  if (body.kind !== undefined && body.kind !== t.kind) {
    throw badRequest(`the kind of the object (${body.kind}) does not match the resource (${t.kind})`);
  }
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(t)) {
    // Different served versions of one custom resource share storage without conversion.
    const group = String(body.apiVersion).includes("/") ? String(body.apiVersion).split("/")[0] : "";
    if (group !== t.group)
      throw badRequest(
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(t)})`,
      );
  }
}

export function validateCrd(crd: KObject): void {
  const spec = crd.spec ?? {};
  const causes: { field: string; message: string; reason?: string }[] = [];
  if (!spec.group)
    causes.push({ field: "spec.group", message: "Required value", reason: "FieldValueRequired" });
  if (!spec.names?.plural)
    causes.push({ field: "spec.names.plural", message: "Required value", reason: "FieldValueRequired" });
  if (!spec.names?.kind)
    causes.push({ field: "spec.names.kind", message: "Required value", reason: "FieldValueRequired" });
  if (!Array.isArray(spec.versions) || spec.versions.length === 0) {
    causes.push({
      field: "spec.versions",
      message: "Invalid value: null: must have exactly one version marked as storage version",
    });
  } else if (spec.versions.filter((v: Json) => v.storage).length !== 1) {
    causes.push({
      field: "spec.versions",
      message: "Invalid value: must have exactly one version marked as storage version",
    });
  }
  if (spec.scope !== "Namespaced" && spec.scope !== "Cluster") {
    causes.push({
      field: "spec.scope",
      message: `Unsupported value: ${JSON.stringify(spec.scope)}: supported values: "Cluster", "Namespaced"`,
    });
  }
  if (spec.group && spec.names?.plural && crd.metadata.name !== `${spec.names.plural}.${spec.group}`) {
    causes.push({
      field: "metadata.name",
      message: `Invalid value: "${crd.metadata.name}": must be spec.names.plural+"."+spec.group`,
    });
  }
  if (causes.length > 0)
    throw invalid("CustomResourceDefinition", "apiextensions.k8s.io", crd.metadata.name ?? "", causes);
}
