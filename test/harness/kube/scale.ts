// The scale subresource (autoscaling/v1 Scale) over a resource's replicas paths, for kubectl scale.
import type { KubeApi, WriteOptions } from "./api.js";
import { badRequest } from "./errors.js";
import { jsonPatch, mergePatch, strategicMerge } from "./patch.js";
import { evalJsonPath } from "./table.js";
import type { Json, KObject, ResourceType, ScalePaths } from "./types.js";

function selectorString(sel: Json): string | undefined {
  if (sel === undefined || sel === null) return undefined;
  if (typeof sel === "string") return sel;
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    if (e.operator === "In" || e.operator === "NotIn")
      parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(",")})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

export function toScale(o: KObject, paths: ScalePaths): KObject {
  const [replicas] = evalJsonPath(o, paths.specReplicasPath);
  const [statusReplicas] = evalJsonPath(o, paths.statusReplicasPath);
  const selector = paths.labelSelectorPath
    ? selectorString(evalJsonPath(o, paths.labelSelectorPath)[0])
    : undefined;
  const m = o.metadata;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: replicas ?? 0 },
    status: { replicas: statusReplicas ?? 0, ...(selector !== undefined ? { selector } : {}) },
  };
}

/** A merge patch that sets the value at a simple dotted path such as `.spec.replicas`. */
function nested(path: string, value: Json): Json {
  return path
    .replace(/^\./, "")
    .split(".")
    .reduceRight((acc: Json, k) => ({ [k]: acc }), value);
}

export function getScale(api: KubeApi, t: ResourceType, ns: string | undefined, name: string): KObject {
  return toScale(api.get(t, ns, name), t.scale!);
}

/** PUT (body is a Scale) or PATCH (body is a patch of the Scale) of the scale subresource. */
export function writeScale(
  api: KubeApi,
  t: ResourceType,
  ns: string | undefined,
  name: string,
  body: string,
  contentType: string | undefined,
  opts: WriteOptions,
): KObject {
  const current = getScale(api, t, ns, name);
  let next: Json;
  try {
    const parsed = JSON.parse(body);
    const type = contentType?.split(";")[0].trim();
    if (type === undefined) next = parsed;
    else if (type === "application/json-patch+json") next = jsonPatch(current, parsed);
    else if (type === "application/strategic-merge-patch+json") next = strategicMerge(current, parsed);
    else next = mergePatch(current, parsed);
  } catch (e) {
    if (e instanceof SyntaxError) throw badRequest(`error decoding Scale: ${e.message}`);
    throw e;
  }
  const replicas = next?.spec?.replicas;
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw badRequest(
      `spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be a non-negative integer`,
    );
  }
  const patch = nested(t.scale!.specReplicasPath, replicas);
  const rv = next.metadata?.resourceVersion;
  if (rv && rv !== current.metadata.resourceVersion) patch.metadata = { resourceVersion: rv };
  const r = api.patch(t, ns, name, "application/merge-patch+json", JSON.stringify(patch), {
    ...opts,
    subresource: undefined,
  });
  return toScale(r.object, t.scale!);
}
