// labelSelector and fieldSelector query parameters.
import { badRequest } from "./errors.js";
import type { Json, KObject } from "./types.js";

export type Matcher = (o: KObject) => boolean;

interface Requirement {
  key: string;
  op: "=" | "!=" | "in" | "notin" | "exists" | "!";
  values: string[];
}

/** Split on commas that are not inside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t.length > 0);
}

export function parseLabelSelector(sel: string): Requirement[] {
  const reqs: Requirement[] = [];
  for (const term of splitTerms(sel)) {
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m) {
      const values = m[3]
        .split(",")
        .map((v) => v.trim())
        .filter((v) => v !== "");
      reqs.push({ key: m[1], op: m[2] as "in" | "notin", values });
      continue;
    }
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
    if (m) {
      reqs.push({ key: m[1], op: m[2] === "!=" ? "!=" : "=", values: [m[3]] });
      continue;
    }
    m = /^(!?)([\w./-]+)$/.exec(term);
    if (m) {
      reqs.push({ key: m[2], op: m[1] ? "!" : "exists", values: [] });
      continue;
    }
    throw badRequest(`unable to parse requirement: invalid label selector "${sel}"`);
  }
  return reqs;
}

export function labelMatcher(sel: string | null): Matcher {
  if (!sel) return () => true;
  const reqs = parseLabelSelector(sel);
  return (o) => {
    const labels = o.metadata.labels ?? {};
    return reqs.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case "=":
          return has && v === r.values[0];
        case "!=":
          return !has || v !== r.values[0];
        case "in":
          return has && r.values.includes(v);
        case "notin":
          return !has || !r.values.includes(v);
        case "exists":
          return has;
        case "!":
          return !has;
      }
      return false;
    });
  };
}

function fieldValue(o: KObject, path: string): string {
  let cur: Json = o;
  for (const p of path.split(".")) cur = cur == null ? undefined : cur[p];
  return cur == null ? "" : String(cur);
}

/** fieldSelector: `=`, `==`, `!=` on any dotted path (metadata.name, metadata.namespace, status.phase, ...). */
export function fieldMatcher(sel: string | null): Matcher {
  if (!sel) return () => true;
  const reqs = splitTerms(sel).map((term) => {
    const m = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid field selector: "${term}"`);
    return { path: m[1], neg: m[2] === "!=", value: m[3].trim() };
  });
  return (o) => reqs.every((r) => (fieldValue(o, r.path) === r.value) !== r.neg);
}

export function selectorMatcher(labelSelector: string | null, fieldSelector: string | null): Matcher {
  const l = labelMatcher(labelSelector);
  const f = fieldMatcher(fieldSelector);
  return (o) => l(o) && f(o);
}
