// Discovery documents: /api, /apis, APIResourceLists, /version, and minimal OpenAPI answers.
import type { Registry } from "./registry.js";
import type { Json, ResourceType } from "./types.js";

function resourceEntries(types: ResourceType[]): Json[] {
  const out: Json[] = [];
  for (const t of types) {
    const e: Json = {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      storageVersionHash: "",
    };
    if (t.shortNames.length > 0) e.shortNames = t.shortNames;
    if (t.categories.length > 0) e.categories = t.categories;
    out.push(e);
    if (t.statusSubresource) {
      out.push({
        name: `${t.plural}/status`,
        singularName: "",
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: ["get", "patch", "update"],
      });
    }
  }
  return out;
}

export function apiVersions(host: string): Json {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: host }],
  };
}

export function resourceList(reg: Registry, group: string, version: string): Json | undefined {
  const types = reg.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: resourceEntries(types),
  };
}

interface GroupInfo {
  name: string;
  versions: string[];
}

function groups(reg: Registry): GroupInfo[] {
  const m = new Map<string, string[]>();
  for (const t of reg.all()) {
    if (t.group === "") continue;
    const vs = m.get(t.group) ?? [];
    if (!vs.includes(t.version)) vs.push(t.version);
    m.set(t.group, vs);
  }
  return [...m].map(([name, versions]) => ({ name, versions: versions.sort(compareVersions) }));
}

/** Kubernetes version priority: GA > beta > alpha, higher numbers first. */
export function compareVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    const stage = m[2] === undefined ? 0 : m[2] === "beta" ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return ra[i] - rb[i];
  return a < b ? -1 : a > b ? 1 : 0;
}

function groupDoc(g: GroupInfo): Json {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v}`, version: v }));
  return { name: g.name, versions, preferredVersion: versions[0] };
}

export function apiGroupList(reg: Registry): Json {
  return { kind: "APIGroupList", apiVersion: "v1", groups: groups(reg).map(groupDoc) };
}

export function apiGroup(reg: Registry, name: string): Json | undefined {
  const g = groups(reg).find((x) => x.name === name);
  return g ? { kind: "APIGroup", apiVersion: "v1", ...groupDoc(g) } : undefined;
}

export function versionInfo(): Json {
  return {
    major: "1",
    minor: "31",
    gitVersion: "v1.31.0-gregor-test",
    gitCommit: "0000000000000000000000000000000000000000",
    gitTreeState: "clean",
    buildDate: "2024-08-13T00:00:00Z",
    goVersion: "go1.22.5",
    compiler: "gc",
    platform: "linux/amd64",
  };
}
