// Field paths of objects, used to approximate server-side apply's field ownership.
// A path is a list of segments: a field name, or a list item identified by [keyField, keyValue].
import { MERGE_KEYS } from "./patch.js";
import type { Json } from "./types.js";

export type Seg = string | [string, Json];
export type FieldPath = Seg[];

export interface FlatField {
  path: FieldPath;
  /** Leaves carry values and can conflict; list items only mark that the item exists. */
  leaf: boolean;
  value?: Json;
}

/** Metadata fields the server owns; never tracked. */
const SYSTEM_META = new Set([
  "name",
  "namespace",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "managedFields",
  "selfLink",
]);

function isObj(v: Json): v is Record<string, Json> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** The key field by which a list is merged, if it can be: known merge keys, else `name` when every item has one. */
/** Key of set lists: each element is identified by its own value. */
export const SET_KEY = "$value";
/** Primitive lists that merge as sets in built-ins. */
const SET_FIELDS = new Set(["finalizers"]);

function isPrimitive(v: Json): boolean {
  return v === null || typeof v !== "object";
}

export function listKey(field: string | undefined, items: Json[]): string | undefined {
  // An empty list still merges (an applier owning no elements) when its field is known to be keyed.
  if (items.length === 0)
    return field && SET_FIELDS.has(field) ? SET_KEY : field ? MERGE_KEYS[field]?.[0] : undefined;
  if (field && SET_FIELDS.has(field) && items.every(isPrimitive)) return SET_KEY;
  if (!items.every(isObj)) return undefined;
  const candidates = [...(field ? (MERGE_KEYS[field] ?? []) : []), "name"];
  return candidates.find((k) => items.every((i) => i[k] !== undefined));
}

export function pathId(p: FieldPath): string {
  return JSON.stringify(p);
}

export function pathFromId(id: string): FieldPath {
  return JSON.parse(id) as FieldPath;
}

export function showPath(p: FieldPath): string {
  return p.map((s) => (typeof s === "string" ? `.${s}` : `[${s[0]}=${JSON.stringify(s[1])}]`)).join("");
}

/** Decides by which key (if any) the list at `path` merges; undefined means atomic. */
export type ListKeyFn = (path: FieldPath, field: string | undefined, items: Json[]) => string | undefined;

/** Built-ins: known merge keys by field name, else `name` when every item has one. */
export const builtinListKey: ListKeyFn = (_path, field, items) => listKey(field, items);

/**
 * Custom resources: lists are atomic unless the schema marks them `x-kubernetes-list-type: map`
 * (merged by the first of `x-kubernetes-list-map-keys` every item has); metadata merges like built-ins.
 */
export function schemaListKey(schema: Json): ListKeyFn {
  return (path, field, items) => {
    if (path[0] === "metadata") return listKey(field, items);
    let node: Json = schema;
    for (const seg of path) {
      if (!isObj(node)) return undefined;
      if (typeof seg === "string") {
        node =
          node.properties?.[seg] ??
          (isObj(node.additionalProperties) ? node.additionalProperties : undefined);
      } else node = node.items;
    }
    if (isObj(node) && node["x-kubernetes-list-type"] === "set" && items.every(isPrimitive)) return SET_KEY;
    if (!isObj(node) || node["x-kubernetes-list-type"] !== "map" || !items.every(isObj)) return undefined;
    const keys: string[] = node["x-kubernetes-list-map-keys"] ?? [];
    if (items.length === 0) return keys[0];
    return keys.find((k) => items.every((i) => i[k] !== undefined));
  };
}

export function flatten(obj: Json, keyOf: ListKeyFn = builtinListKey): Map<string, FlatField> {
  const out = new Map<string, FlatField>();
  const walk = (v: Json, path: FieldPath, field: string | undefined, itemKey?: string): void => {
    if (isObj(v) && Object.keys(v).length > 0) {
      for (const [k, child] of Object.entries(v)) {
        if (path.length === 0 && (k === "apiVersion" || k === "kind")) continue;
        // A list item's key is its identity, owned through the item path.
        if (k === itemKey) continue;
        if (path.length === 1 && path[0] === "metadata" && SYSTEM_META.has(k)) continue;
        walk(child, [...path, k], k);
      }
      return;
    }
    if (Array.isArray(v)) {
      const key = keyOf(path, field, v);
      if (key) {
        for (const item of v) {
          const ip: FieldPath = [...path, [key, key === SET_KEY ? item : item[key]]];
          out.set(pathId(ip), { path: ip, leaf: false });
          if (key !== SET_KEY) walk(item, ip, undefined, key);
        }
        return;
      }
    }
    if (path.length > 0) out.set(pathId(path), { path, leaf: true, value: v });
  };
  walk(obj, [], undefined);
  return out;
}

/** Whether a list element is the one a key segment names. */
function matches(item: Json, seg: [string, Json]): boolean {
  if (seg[0] === SET_KEY) return JSON.stringify(item) === JSON.stringify(seg[1]);
  return isObj(item) && JSON.stringify(item[seg[0]]) === JSON.stringify(seg[1]);
}

function childOf(cur: Json, seg: Seg): Json {
  if (typeof seg === "string") return isObj(cur) ? cur[seg] : undefined;
  if (!Array.isArray(cur)) return undefined;
  return cur.find((i) => matches(i, seg));
}

export function getPath(obj: Json, p: FieldPath): Json {
  let cur = obj;
  for (const s of p) cur = childOf(cur, s);
  return cur;
}

export function removePath(obj: Json, p: FieldPath): void {
  const parent = getPath(obj, p.slice(0, -1));
  const last = p[p.length - 1];
  if (typeof last === "string") {
    if (isObj(parent)) delete parent[last];
  } else if (Array.isArray(parent)) {
    const i = parent.findIndex((x) => matches(x, last));
    if (i >= 0) parent.splice(i, 1);
  }
}

export function isPrefix(a: FieldPath, b: FieldPath): boolean {
  if (a.length > b.length) return false;
  return a.every((s, i) => JSON.stringify(s) === JSON.stringify(b[i]));
}

/** Structured merge of an applied configuration into the live object (keyed lists merge, other lists replace). */
export function applyMerge(
  cur: Json,
  cfg: Json,
  keyOf: ListKeyFn = builtinListKey,
  path: FieldPath = [],
  field?: string,
): Json {
  if (isObj(cfg)) {
    const out: Record<string, Json> = isObj(cur) ? { ...cur } : {};
    for (const [k, v] of Object.entries(cfg)) {
      if (v === null) delete out[k];
      else out[k] = applyMerge(out[k], v, keyOf, [...path, k], k);
    }
    return out;
  }
  if (Array.isArray(cfg) && Array.isArray(cur)) {
    const key = keyOf(path, field, cfg);
    if (key === SET_KEY) {
      const out = structuredClone(cur);
      for (const v of cfg) if (!out.some((o: Json) => JSON.stringify(o) === JSON.stringify(v))) out.push(v);
      return out;
    }
    if (key && cur.every((i) => isObj(i) && i[key] !== undefined)) {
      const out = structuredClone(cur);
      for (const item of cfg) {
        const idx = out.findIndex((o: Json) => JSON.stringify(o[key]) === JSON.stringify(item[key]));
        const itemPath: FieldPath = [...path, [key, item[key]]];
        if (idx >= 0) out[idx] = applyMerge(out[idx], item, keyOf, itemPath);
        else out.push(structuredClone(item));
      }
      return out;
    }
  }
  return structuredClone(cfg);
}
