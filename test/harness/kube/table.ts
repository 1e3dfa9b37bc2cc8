// Table output (Accept: application/json;as=Table;g=meta.k8s.io;v=v1) for kubectl get.
import type { Json, KObject, PrinterColumn, ResourceType } from "./types.js";

/** Evaluate the simple JSONPath subset printer columns use: .a.b, [n], [*], [?(@.k=="v")]. */
export function evalJsonPath(obj: Json, path: string): Json[] {
  let p = path.trim();
  if (p.startsWith("{") && p.endsWith("}")) p = p.slice(1, -1);
  if (p.startsWith("$")) p = p.slice(1);
  // Keys may escape dots, e.g. .metadata.labels.app\.kubernetes\.io/name
  const tokens = p.match(/\.(?:\\.|[^.[\\])+|\[[^\]]*\]/g) ?? [];
  let cur: Json[] = [obj];
  for (const tok of tokens) {
    const next: Json[] = [];
    for (const v of cur) {
      if (v == null) continue;
      if (tok.startsWith(".")) {
        const k = tok.slice(1).replace(/\\(.)/g, "$1");
        if (k === "*") next.push(...(Array.isArray(v) ? v : Object.values(v)));
        else if (typeof v === "object" && v[k] !== undefined) next.push(v[k]);
        continue;
      }
      const inner = tok.slice(1, -1).trim();
      if (!Array.isArray(v)) {
        const k = inner.replace(/^['"]|['"]$/g, "");
        if (typeof v === "object" && v[k] !== undefined) next.push(v[k]);
        continue;
      }
      if (inner === "*") next.push(...v);
      else if (/^-?\d+$/.test(inner)) {
        const i = Number(inner);
        const item = v[i < 0 ? v.length + i : i];
        if (item !== undefined) next.push(item);
      } else {
        const m = /^\?\(@\.([\w.]+)\s*==\s*["']?([^"']*)["']?\)$/.exec(inner);
        if (m) {
          for (const item of v) {
            const got = m[1].split(".").reduce((c: Json, k) => (c == null ? undefined : c[k]), item);
            if (got !== undefined && String(got) === m[2]) next.push(item);
          }
        }
      }
    }
    cur = next;
  }
  return cur;
}

export function humanAge(from: string | undefined, now = Date.now()): string {
  if (!from) return "<unknown>";
  const s = Math.max(0, Math.floor((now - Date.parse(from)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

interface Column {
  def: Json;
  cell: (o: KObject) => Json;
}

const nameCol: Column = {
  def: { name: "Name", type: "string", format: "name", description: "Name of the object", priority: 0 },
  cell: (o) => o.metadata.name,
};
const ageCol: Column = {
  def: { name: "Age", type: "string", format: "", description: "Time since creation", priority: 0 },
  cell: (o) => humanAge(o.metadata.creationTimestamp),
};

function simple(name: string, cell: (o: KObject) => Json, type = "string"): Column {
  return { def: { name, type, format: "", description: name, priority: 0 }, cell };
}

const BUILTIN_COLUMNS: Record<string, Column[]> = {
  "/pods": [
    nameCol,
    simple("Ready", (o) => {
      const cs: Json[] = o.status?.containerStatuses ?? [];
      return `${cs.filter((c) => c.ready).length}/${(o.spec?.containers ?? []).length}`;
    }),
    simple("Status", (o) => (o.metadata.deletionTimestamp ? "Terminating" : (o.status?.phase ?? "Pending"))),
    simple(
      "Restarts",
      (o) => (o.status?.containerStatuses ?? []).reduce((n: number, c: Json) => n + (c.restartCount ?? 0), 0),
      "integer",
    ),
    ageCol,
  ],
  "/configmaps": [
    nameCol,
    simple(
      "Data",
      (o) => Object.keys(o.data ?? {}).length + Object.keys(o.binaryData ?? {}).length,
      "integer",
    ),
    ageCol,
  ],
  "/namespaces": [nameCol, simple("Status", (o) => o.status?.phase ?? "Active"), ageCol],
  "apps/statefulsets": [
    nameCol,
    simple("Ready", (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`),
    ageCol,
  ],
  "/services": [
    nameCol,
    simple("Type", (o) => o.spec?.type ?? "ClusterIP"),
    simple("Cluster-IP", (o) => o.spec?.clusterIP ?? "<none>"),
    simple(
      "Port(s)",
      (o) => (o.spec?.ports ?? []).map((p: Json) => `${p.port}/${p.protocol ?? "TCP"}`).join(",") || "<none>",
    ),
    ageCol,
  ],
  "/persistentvolumeclaims": [nameCol, simple("Status", (o) => o.status?.phase ?? "Pending"), ageCol],
  "/events": [
    simple("Last Seen", (o) => humanAge(o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp)),
    simple("Type", (o) => o.type ?? ""),
    simple("Reason", (o) => o.reason ?? ""),
    simple(
      "Object",
      (o) => `${String(o.involvedObject?.kind ?? "").toLowerCase()}/${o.involvedObject?.name ?? ""}`,
    ),
    simple("Message", (o) => o.message ?? ""),
  ],
  "policy/poddisruptionbudgets": [
    nameCol,
    simple("Min Available", (o) => o.spec?.minAvailable ?? "N/A"),
    simple("Max Unavailable", (o) => o.spec?.maxUnavailable ?? "N/A"),
    simple("Allowed Disruptions", (o) => o.status?.disruptionsAllowed ?? 0, "integer"),
    ageCol,
  ],
  "coordination.k8s.io/leases": [nameCol, simple("Holder", (o) => o.spec?.holderIdentity ?? ""), ageCol],
  "apps/deployments": [
    nameCol,
    simple("Ready", (o) => `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`),
    ageCol,
  ],
};

function crdColumns(cols: PrinterColumn[] | undefined): Column[] {
  if (!cols || cols.length === 0) return [nameCol, ageCol];
  return [
    nameCol,
    ...cols.map((c) => ({
      def: {
        name: c.name,
        type: c.type,
        format: c.format ?? "",
        description: c.description ?? "",
        priority: c.priority ?? 0,
      },
      cell: (o: KObject) => {
        const vs = evalJsonPath(o, c.jsonPath);
        if (vs.length === 0) return null;
        if (c.type === "date") return humanAge(String(vs[0]));
        const v = vs[0];
        return typeof v === "object" ? JSON.stringify(v) : v;
      },
    })),
  ];
}

export function wantsTable(accept: string | undefined): boolean {
  return !!accept && /as=Table/.test(accept) && /g=meta\.k8s\.io/.test(accept);
}

export function toTable(
  t: ResourceType,
  items: KObject[],
  resourceVersion: string,
  includeObject: string | null,
): Json {
  const cols = t.crdName
    ? crdColumns(t.printerColumns)
    : (BUILTIN_COLUMNS[`${t.group}/${t.plural}`] ?? [nameCol, ageCol]);
  return {
    kind: "Table",
    apiVersion: "meta.k8s.io/v1",
    metadata: { resourceVersion },
    columnDefinitions: cols.map((c) => c.def),
    rows: items.map((o) => ({
      cells: cols.map((c) => c.cell(o)),
      object:
        includeObject === "None"
          ? undefined
          : includeObject === "Object"
            ? o
            : { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata },
    })),
  };
}
