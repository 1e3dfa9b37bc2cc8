// HTTP routing: maps Kubernetes REST paths and verbs onto KubeApi operations.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DeleteOptions, KubeApi, WriteOptions } from "./api.js";
import { apiGroup, apiGroupList, apiVersions, resourceList, versionInfo } from "./discovery.js";
import { ApiError, badRequest, methodNotAllowed } from "./errors.js";
import { paginate } from "./paging.js";
import { getScale, writeScale } from "./scale.js";
import { selectorMatcher } from "./selectors.js";
import { toTable, wantsTable } from "./table.js";
import type { Json, KObject, ResourceType } from "./types.js";
import type { WatchHub } from "./watch.js";

export interface RouterOptions {
  bookmarkIntervalMs: number;
  /** Called with every request line, for debugging. */
  log?: (line: string) => void;
}

interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

function send(res: ServerResponse, code: number, body: Json, headers: Record<string, string> = {}): void {
  const data = JSON.stringify(body);
  res.writeHead(code, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(data),
    ...headers,
  });
  res.end(data);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function parseJson(raw: string): Json {
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw badRequest(`error decoding request body: ${(e as Error).message}`);
  }
}

export class Router {
  constructor(
    private readonly api: KubeApi,
    private readonly watches: WatchHub,
    private readonly opts: RouterOptions,
  ) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (e) {
      const err =
        e instanceof ApiError ? e : new ApiError(500, "InternalError", String((e as Error)?.stack ?? e));
      if (!res.headersSent) send(res, err.code, err.toStatus());
      else res.end();
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    this.opts.log?.(
      `${method} ${req.url} accept=${req.headers.accept ?? ""} ct=${req.headers["content-type"] ?? ""}`,
    );
    const reg = this.api.registry;
    if (method === "GET") {
      if (path === "/version") return send(res, 200, versionInfo());
      if (path === "/healthz" || path === "/readyz" || path === "/livez") {
        res.writeHead(200, { "Content-Type": "text/plain" });
        res.end("ok");
        return;
      }
      if (path === "/api") return send(res, 200, apiVersions(req.headers.host ?? "127.0.0.1"));
      if (path === "/apis") return send(res, 200, apiGroupList(reg));
      if (path === "/openapi/v2") return this.openApiV2(req, res);
      if (path === "/openapi/v3") return send(res, 200, { paths: {} });
      const gv = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
      if (gv) {
        const doc = gv[1] ? resourceList(reg, "", "v1") : resourceList(reg, gv[2], gv[3]);
        if (doc) return send(res, 200, doc);
      }
      const g = /^\/apis\/([^/]+)$/.exec(path);
      if (g) {
        const doc = apiGroup(reg, g[1]);
        if (doc) return send(res, 200, doc);
      }
    }
    const target = this.parseTarget(path);
    if (!target) throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    return this.resource(req, res, url, target);
  }

  private openApiV2(req: IncomingMessage, res: ServerResponse): void {
    // kubectl asks for protobuf; an empty message is a valid empty OpenAPI document, so validation finds no
    // schema and skips client-side checks (the server still validates custom resources).
    if ((req.headers.accept ?? "").includes("protobuf")) {
      res.writeHead(200, {
        "Content-Type": "application/com.github.proto-openapi.spec.v2.v1.0+protobuf",
        "Content-Length": 0,
      });
      res.end();
      return;
    }
    send(res, 200, {
      swagger: "2.0",
      info: { title: "gregor-test-apiserver", version: "v1.31.0" },
      paths: {},
      definitions: {},
    });
  }

  private parseTarget(path: string): Target | undefined {
    const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.+)$/.exec(path);
    if (!m) return undefined;
    const group = m[1] ? "" : m[2];
    const version = m[1] ?? m[3];
    let segs: string[];
    try {
      segs = m[4].split("/").map(decodeURIComponent);
    } catch {
      throw badRequest(`malformed path ${JSON.stringify(path)}`);
    }
    let watchPath = false;
    if (segs[0] === "watch") {
      watchPath = true;
      segs = segs.slice(1);
    }
    let namespace: string | undefined;
    if (
      segs[0] === "namespaces" &&
      segs.length >= 3 &&
      !(segs.length === 3 && (segs[2] === "status" || segs[2] === "finalize"))
    ) {
      namespace = segs[1];
      segs = segs.slice(2);
    }
    const type = this.api.registry.lookup(group, version, segs[0]);
    if (!type || segs.length > 3) return undefined;
    if (namespace !== undefined && !type.namespaced) return undefined;
    return { type, namespace, name: segs[1], subresource: segs[2], watchPath };
  }

  private async scale(
    req: IncomingMessage,
    res: ServerResponse,
    q: URLSearchParams,
    tg: Target,
    name: string,
  ): Promise<void> {
    const { type: t, namespace: ns } = tg;
    if (t.namespaced && ns === undefined)
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    if (req.method === "GET") return send(res, 200, getScale(this.api, t, ns, name));
    if (req.method !== "PUT" && req.method !== "PATCH") throw methodNotAllowed();
    const ct =
      req.method === "PATCH"
        ? String(req.headers["content-type"] ?? "application/merge-patch+json")
        : undefined;
    const body = await readBody(req);
    return send(res, 200, writeScale(this.api, t, ns, name, body, ct, this.writeOptions(req, q, undefined)));
  }

  private writeOptions(req: IncomingMessage, q: URLSearchParams, sub: string | undefined): WriteOptions {
    const ua = String(req.headers["user-agent"] ?? "unknown");
    const fv = q.get("fieldValidation");
    // Apply requests must name their manager; other writes default to the client's name, as the real server does.
    const isApply = String(req.headers["content-type"] ?? "").startsWith("application/apply-patch");
    return {
      manager: q.get("fieldManager") ?? (isApply ? "" : ua.split("/")[0]),
      dryRun: q.getAll("dryRun").includes("All"),
      fieldValidation: fv === "Strict" || fv === "Warn" || fv === "Ignore" ? fv : "Warn",
      force: q.get("force") === "true",
      subresource: sub === "status" ? "status" : undefined,
    };
  }

  private async resource(req: IncomingMessage, res: ServerResponse, url: URL, tg: Target): Promise<void> {
    const q = url.searchParams;
    const { type: t, namespace: ns, name, subresource: sub } = tg;
    const method = req.method ?? "GET";
    if (sub === "scale" && t.scale && name !== undefined) return this.scale(req, res, q, tg, name);
    if (sub !== undefined && sub !== "status")
      throw new ApiError(
        404,
        "NotFound",
        `the server could not find the requested resource (subresource ${sub})`,
      );
    if (sub === "status" && !t.statusSubresource)
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    const table = wantsTable(req.headers.accept);
    const match = (): ReturnType<typeof selectorMatcher> =>
      selectorMatcher(q.get("labelSelector"), q.get("fieldSelector"));
    const sendObj = (code: number, o: KObject, warnings: string[] = []): void => {
      const headers: Record<string, string> = {};
      if (warnings.length > 0) headers.Warning = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(", ");
      send(
        res,
        code,
        table && method === "GET"
          ? toTable(t, [o], o.metadata.resourceVersion ?? "", q.get("includeObject"))
          : o,
        headers,
      );
    };
    const watch = method === "GET" && (tg.watchPath || q.get("watch") === "true" || q.get("watch") === "1");
    if (name === undefined || (watch && sub === undefined)) {
      if (t.namespaced && ns === undefined && method !== "GET") throw methodNotAllowed();
      if (method === "GET") {
        if (watch) {
          const timeout = q.get("timeoutSeconds");
          const selected = match();
          this.watches.serve(
            t,
            {
              namespace: ns,
              // A watch on an item path (legacy) watches that one object.
              match: name === undefined ? selected : (o) => o.metadata.name === name && selected(o),
              resourceVersion: q.get("resourceVersion"),
              allowBookmarks: q.get("allowWatchBookmarks") === "true",
              sendInitialEvents: q.get("sendInitialEvents") === "true",
              timeoutSeconds: timeout === null ? null : Number(timeout),
              bookmarkIntervalMs: this.opts.bookmarkIntervalMs,
              render: table
                ? (o) => toTable(t, [o], o.metadata.resourceVersion ?? "", q.get("includeObject"))
                : undefined,
            },
            res,
          );
          return;
        }
        const all = this.api.list(t, ns, match());
        const page = paginate(all.items, all.resourceVersion, q.get("limit"), q.get("continue"));
        if (table) {
          const tbl = toTable(t, page.items, page.metadata.resourceVersion, q.get("includeObject"));
          return send(res, 200, { ...tbl, metadata: page.metadata });
        }
        return send(res, 200, {
          kind: `${t.kind}List`,
          apiVersion: t.group ? `${t.group}/${t.version}` : t.version,
          metadata: page.metadata,
          items: page.items,
        });
      }
      if (method === "POST") {
        const r = this.api.create(
          t,
          ns,
          parseJson(await readBody(req)),
          this.writeOptions(req, q, undefined),
        );
        return sendObj(201, r.object, r.warnings);
      }
      if (method === "DELETE") {
        const opts = deleteOptions(await readBody(req), q);
        const deleted = this.api.deleteCollection(t, ns, match(), opts);
        return send(res, 200, {
          kind: `${t.kind}List`,
          apiVersion: t.group ? `${t.group}/${t.version}` : t.version,
          metadata: {},
          items: deleted,
        });
      }
      throw methodNotAllowed();
    }
    if (t.namespaced && ns === undefined)
      throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    switch (method) {
      case "GET":
        return sendObj(200, this.api.get(t, ns, name));
      case "PUT": {
        const r = this.api.update(
          t,
          ns,
          name,
          parseJson(await readBody(req)),
          this.writeOptions(req, q, sub),
        );
        return sendObj(200, r.object, r.warnings);
      }
      case "PATCH": {
        const ct = String(req.headers["content-type"] ?? "");
        const r = this.api.patch(t, ns, name, ct, await readBody(req), this.writeOptions(req, q, sub));
        return sendObj(r.created ? 201 : 200, r.object, r.warnings);
      }
      case "DELETE": {
        if (sub) throw methodNotAllowed();
        const o = this.api.delete(t, ns, name, deleteOptions(await readBody(req), q));
        return send(res, 200, o);
      }
      default:
        throw methodNotAllowed();
    }
  }
}

function deleteOptions(raw: string, q: URLSearchParams): DeleteOptions {
  const body: Json = raw.trim() ? parseJson(raw) : {};
  const policy = body.propagationPolicy ?? q.get("propagationPolicy") ?? undefined;
  if (body.orphanDependents === true && !policy) body.propagationPolicy = "Orphan";
  if (policy !== undefined && !["Background", "Foreground", "Orphan"].includes(policy)) {
    throw badRequest(`invalid propagationPolicy ${JSON.stringify(policy)}`);
  }
  const dryRun = [...q.getAll("dryRun"), ...(Array.isArray(body.dryRun) ? body.dryRun : [])].includes("All");
  const graceRaw = body.gracePeriodSeconds ?? q.get("gracePeriodSeconds") ?? undefined;
  const gracePeriodSeconds = graceRaw === undefined ? undefined : Number(graceRaw);
  if (gracePeriodSeconds !== undefined && !Number.isInteger(gracePeriodSeconds)) {
    throw badRequest(`invalid gracePeriodSeconds ${JSON.stringify(graceRaw)}`);
  }
  return {
    propagationPolicy: body.propagationPolicy ?? policy,
    preconditions: body.preconditions,
    dryRun,
    gracePeriodSeconds,
  };
}
