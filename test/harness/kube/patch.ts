// JSON merge patch (RFC 7386), JSON patch (RFC 6902) and an approximation of strategic merge patch.
import { ApiError, badRequest } from "./errors.js";
import type { Json } from "./types.js";

function isObj(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  const out: Record<string, Json> = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// ---- JSON patch ----

function parsePointer(p: string): string[] {
  if (p === "") return [];
  if (!p.startsWith("/")) throw badRequest(`invalid JSON pointer "${p}"`);
  return p
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function getAt(doc: Json, path: string[]): Json {
  let cur = doc;
  for (const seg of path) {
    if (Array.isArray(cur)) cur = cur[Number(seg)];
    else if (isObj(cur)) cur = cur[seg];
    else return undefined;
  }
  return cur;
}

function parentOf(doc: Json, path: string[], op: string): { parent: Json; key: string } {
  const parent = getAt(doc, path.slice(0, -1));
  if (parent === undefined || parent === null || typeof parent !== "object") {
    throw new ApiError(
      422,
      "Invalid",
      `jsonpatch ${op} operation does not apply: doc is missing path: "/${path.join("/")}"`,
    );
  }
  return { parent, key: path[path.length - 1] };
}

function add(doc: Json, path: string[], value: Json): Json {
  if (path.length === 0) return value;
  const { parent, key } = parentOf(doc, path, "add");
  if (Array.isArray(parent)) {
    const i = key === "-" ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw badRequest(`invalid array index "${key}"`);
    parent.splice(i, 0, value);
  } else parent[key] = value;
  return doc;
}

function remove(doc: Json, path: string[]): Json {
  const { parent, key } = parentOf(doc, path, "remove");
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!(i >= 0 && i < parent.length))
      throw new ApiError(422, "Invalid", `jsonpatch remove: index ${key} out of range`);
    parent.splice(i, 1);
  } else {
    if (!Object.hasOwn(parent, key)) {
      throw new ApiError(
        422,
        "Invalid",
        `jsonpatch remove operation does not apply: doc is missing key: /${path.join("/")}`,
      );
    }
    delete parent[key];
  }
  return doc;
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest("json patch must be an array of operations");
  let doc = structuredClone(target);
  for (const op of ops) {
    const path = parsePointer(String(op.path ?? ""));
    switch (op.op) {
      case "add":
        doc = add(doc, path, structuredClone(op.value));
        break;
      case "remove":
        doc = remove(doc, path);
        break;
      case "replace":
        if (getAt(doc, path) === undefined) {
          throw new ApiError(
            422,
            "Invalid",
            `jsonpatch replace operation does not apply: doc is missing key: ${op.path}`,
          );
        }
        if (path.length === 0) doc = structuredClone(op.value);
        else {
          const { parent, key } = parentOf(doc, path, "replace");
          parent[Array.isArray(parent) ? Number(key) : key] = structuredClone(op.value);
        }
        break;
      case "move":
      case "copy": {
        const from = parsePointer(String(op.from ?? ""));
        const v = getAt(doc, from);
        if (v === undefined)
          throw new ApiError(422, "Invalid", `jsonpatch ${op.op}: missing from path ${op.from}`);
        if (op.op === "move") doc = remove(doc, from);
        doc = add(doc, path, structuredClone(v));
        break;
      }
      case "test":
        if (JSON.stringify(getAt(doc, path)) !== JSON.stringify(op.value)) {
          throw new ApiError(422, "Invalid", `testing value ${op.path} failed`);
        }
        break;
      default:
        throw badRequest(`unknown json patch operation "${op.op}"`);
    }
  }
  return doc;
}

// ---- strategic merge patch (approximation, see README) ----

/** Lists merged by key instead of replaced, keyed by field name. */
export const MERGE_KEYS: Record<string, string[]> = {
  containers: ["name"],
  initContainers: ["name"],
  ephemeralContainers: ["name"],
  volumes: ["name"],
  env: ["name"],
  imagePullSecrets: ["name"],
  volumeMounts: ["mountPath"],
  volumeDevices: ["devicePath"],
  conditions: ["type"],
  ownerReferences: ["uid"],
  hostAliases: ["ip"],
  ports: ["containerPort", "port"],
  topologySpreadConstraints: ["topologyKey"],
};
/** Primitive lists merged as sets. */
const SET_LISTS = new Set(["finalizers"]);

function keyOf(field: string, item: Json): string | undefined {
  for (const k of MERGE_KEYS[field] ?? []) {
    if (isObj(item) && item[k] !== undefined) return `${k}=${JSON.stringify(item[k])}`;
  }
  return undefined;
}

function mergeList(field: string, cur: Json, patch: Json[]): Json[] {
  const base: Json[] = Array.isArray(cur) ? structuredClone(cur) : [];
  if (patch.some((i) => isObj(i) && i.$patch === "replace")) {
    return patch.filter((i) => !(isObj(i) && i.$patch === "replace"));
  }
  if (SET_LISTS.has(field)) {
    for (const v of patch) if (!base.includes(v)) base.push(v);
    return base;
  }
  if (!MERGE_KEYS[field] || !patch.every((i) => keyOf(field, i) !== undefined)) return structuredClone(patch);
  for (const item of patch) {
    const k = keyOf(field, item);
    const idx = base.findIndex((b) => keyOf(field, b) === k);
    if (item.$patch === "delete") {
      if (idx >= 0) base.splice(idx, 1);
    } else if (idx >= 0) base[idx] = strategicMerge(base[idx], item);
    else base.push(strategicMerge({}, item));
  }
  return base;
}

export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObj(patch)) return structuredClone(patch);
  if (patch.$patch === "delete") return undefined;
  let out: Record<string, Json> = isObj(target) ? { ...target } : {};
  if (patch.$patch === "replace") out = {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === "$patch" || k === "$retainKeys" || k.startsWith("$setElementOrder/")) continue;
    if (k.startsWith("$deleteFromPrimitiveList/")) {
      const field = k.slice("$deleteFromPrimitiveList/".length);
      if (Array.isArray(out[field]) && Array.isArray(v))
        out[field] = out[field].filter((x: Json) => !v.includes(x));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(k, out[k], v);
    else {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k];
  }
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith("$setElementOrder/") || !Array.isArray(order)) continue;
    const field = k.slice("$setElementOrder/".length);
    if (Array.isArray(out[field])) out[field] = reorder(field, out[field], order);
  }
  return out;
}

/** `$setElementOrder`: listed elements take the given order; others keep theirs, after them. */
function reorder(field: string, items: Json[], order: Json[]): Json[] {
  const id = (x: Json): string => (isObj(x) ? (keyOf(field, x) ?? JSON.stringify(x)) : JSON.stringify(x));
  const rank = new Map(order.map((o, i) => [id(o), i]));
  const listed = items.filter((x) => rank.has(id(x))).sort((a, b) => rank.get(id(a))! - rank.get(id(b))!);
  return [...listed, ...items.filter((x) => !rank.has(id(x)))];
}
