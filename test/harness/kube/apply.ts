// Server-side apply, approximated: field ownership per leaf path (see README "Server-side apply").
import { ApiError } from "./errors.js";
import {
  applyMerge,
  builtinListKey,
  type FieldPath,
  flatten,
  getPath,
  isPrefix,
  type ListKeyFn,
  pathFromId,
  removePath,
  showPath,
} from "./fields.js";
import type { Json, KObject } from "./types.js";

export type Owners = Map<string, Set<string>>;

function same(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface ApplyResult {
  merged: KObject;
  owners: Owners;
}

/**
 * Apply `config` as `manager` onto `live` (undefined when creating). Conflicts arise when the config sets a
 * leaf to a value different from the live one while another manager owns that leaf; `force` takes it over.
 */
export function serverSideApply(
  live: KObject | undefined,
  config: KObject,
  manager: string,
  force: boolean,
  owners: Owners,
  target: { group: string; plural: string; name: string },
  keyOf: ListKeyFn = builtinListKey,
): ApplyResult {
  const next: Owners = new Map([...owners].map(([m, s]) => [m, new Set(s)]));
  // kubectl --server-side upgrades client-side-apply ownership to its own manager first (csaupgrade).
  const csa = next.get("kubectl-client-side-apply");
  if (csa && manager.startsWith("kubectl") && manager !== "kubectl-client-side-apply") {
    next.set(manager, new Set([...(next.get(manager) ?? []), ...csa]));
    next.delete("kubectl-client-side-apply");
  }
  const cfgFields = flatten(config, keyOf);
  const conflicts: { manager: string; path: FieldPath }[] = [];
  for (const [id, f] of cfgFields) {
    if (!f.leaf || !live) continue;
    if (same(getPath(live, f.path), f.value)) continue;
    for (const [m, set] of next) {
      if (m === manager || !set.has(id)) continue;
      if (force) set.delete(id);
      else conflicts.push({ manager: m, path: f.path });
    }
  }
  if (conflicts.length > 0) {
    const causes = conflicts.map((c) => ({
      reason: "FieldManagerConflict",
      message: `conflict with "${c.manager}"`,
      field: showPath(c.path),
    }));
    const list = conflicts.map((c) => `conflict with "${c.manager}": ${showPath(c.path)}`).join("\n- ");
    throw new ApiError(
      409,
      "Conflict",
      `Apply failed with ${conflicts.length} conflict${conflicts.length > 1 ? "s" : ""}: ${list}`,
      { name: target.name, group: target.group || undefined, kind: target.plural, causes },
    );
  }
  const merged = applyMerge(live ?? {}, config, keyOf) as KObject;
  // Fields this manager applied before but dropped now are removed unless someone else still owns them.
  const previous = next.get(manager) ?? new Set<string>();
  const dropped = [...previous].filter((id) => !cfgFields.has(id)).map(pathFromId);
  dropped.sort((a, b) => b.length - a.length);
  for (const p of dropped) {
    const keptByOthers = [...next].some(
      ([m, set]) => m !== manager && [...set].some((id) => isPrefix(p, pathFromId(id))),
    );
    if (!keptByOthers) removePath(merged, p);
  }
  next.set(manager, new Set(cfgFields.keys()));
  return { merged, owners: prune(next, merged, keyOf) };
}

/** A non-apply write (create, update, patch): changed leaves become owned by `manager` alone. */
export function recordUpdate(
  before: KObject | undefined,
  after: KObject,
  manager: string,
  owners: Owners,
  keyOf: ListKeyFn = builtinListKey,
): Owners {
  const next: Owners = new Map([...owners].map(([m, s]) => [m, new Set(s)]));
  const old = before ? flatten(before, keyOf) : new Map();
  const mine = next.get(manager) ?? new Set<string>();
  for (const [id, f] of flatten(after, keyOf)) {
    const prev = old.get(id);
    if (prev && (!f.leaf || same(prev.value, f.value))) continue;
    for (const [m, set] of next) if (m !== manager) set.delete(id);
    mine.add(id);
  }
  next.set(manager, mine);
  return prune(next, after, keyOf);
}

/** Forget ownership of fields that no longer exist. */
function prune(owners: Owners, obj: KObject, keyOf: ListKeyFn): Owners {
  const present = flatten(obj, keyOf);
  for (const [m, set] of owners) {
    for (const id of set) if (!present.has(id)) set.delete(id);
    if (set.size === 0) owners.delete(m);
  }
  return owners;
}
