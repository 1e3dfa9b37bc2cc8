/**
 * A small typed REST client over @kubernetes/client-node's KubeConfig (auth, TLS) and fetch:
 * get/list/create/replace, server-side apply, status merge patch, delete, watch. The generated
 * typed APIs re-serialise objects through their models, which drops fields we need to round-trip
 * exactly, so objects stay plain JSON here.
 */
import {
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  type KubeConfig,
  RequestContext,
  Watch,
} from "@kubernetes/client-node";
import { FIELD_MANAGER } from "../constants.js";
import { type ResourceType, resourcePath, resourceType } from "./resources.js";

export interface KubeObj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
    }>;
    deletionTimestamp?: string;
    creationTimestamp?: string;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface ObjectList<T> {
  items: T[];
  resourceVersion: string;
}

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = "KubeApiError";
  }
}

export const isNotFound = (e: unknown) => e instanceof KubeApiError && e.status === 404;
export const isConflict = (e: unknown) => e instanceof KubeApiError && e.status === 409;
export const isAlreadyExists = (e: unknown) =>
  e instanceof KubeApiError && e.status === 409 && e.reason === "AlreadyExists";

export type WatchEvent<T> = { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR"; object: T };

const http = new IsomorphicFetchHttpLibrary();
const sendOnce = (ctx: RequestContext) => http.send(ctx).toPromise();

export class KubeClient {
  constructor(
    readonly config: KubeConfig,
    readonly fieldManager: string = FIELD_MANAGER,
  ) {}

  private get server(): string {
    const c = this.config.getCurrentCluster();
    if (!c) throw new Error("kubeconfig has no current cluster");
    return c.server.replace(/\/$/, "");
  }

  async request<T>(
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    path: string,
    opts: { query?: Record<string, string>; body?: unknown; contentType?: string } = {},
  ): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, v);
    const ctx = new RequestContext(url.toString(), HttpMethod[method]);
    ctx.setHeaderParam("Accept", "application/json");
    if (opts.body !== undefined) {
      ctx.setHeaderParam("Content-Type", opts.contentType ?? "application/json");
      ctx.setBody(JSON.stringify(opts.body));
    }
    await this.config.applySecurityAuthentication(ctx);
    let res: Awaited<ReturnType<typeof sendOnce>>;
    try {
      res = await sendOnce(ctx);
    } catch (err) {
      // A keep-alive socket the server closed while idle fails the request before it is sent; one
      // retry is safe because every call here is idempotent or handles AlreadyExists.
      if (!(err instanceof TypeError)) throw err;
      res = await sendOnce(ctx);
    }
    const text = await res.body.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.httpStatusCode >= 400) {
      const st = (parsed ?? {}) as { reason?: string; message?: string };
      throw new KubeApiError(
        res.httpStatusCode,
        st.reason ?? "Unknown",
        `${method} ${path}: ${res.httpStatusCode} ${st.message ?? text.slice(0, 300)}`,
      );
    }
    return parsed as T;
  }

  typeOf(obj: { apiVersion?: string; kind?: string }): ResourceType {
    return resourceType(obj.apiVersion ?? "", obj.kind ?? "");
  }

  async get<T extends KubeObj>(t: ResourceType, namespace: string, name: string): Promise<T | undefined> {
    try {
      return await this.request<T>("GET", resourcePath(t, namespace, name));
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async list<T extends KubeObj>(
    t: ResourceType,
    namespace?: string,
    labelSelector?: string,
  ): Promise<ObjectList<T>> {
    const query: Record<string, string> = {};
    if (labelSelector) query.labelSelector = labelSelector;
    const res = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string } }>(
      "GET",
      resourcePath(t, namespace),
      { query },
    );
    const items = (res.items ?? []).map((o) => ({ apiVersion: t.apiVersion, kind: t.kind, ...o }));
    return { items, resourceVersion: res.metadata?.resourceVersion ?? "" };
  }

  create<T extends KubeObj>(obj: T): Promise<T> {
    const t = this.typeOf(obj);
    return this.request<T>("POST", resourcePath(t, obj.metadata.namespace), {
      body: obj,
      query: { fieldManager: this.fieldManager },
    });
  }

  /** PUT with the object's resourceVersion: optimistic concurrency (409 on a stale read). */
  replace<T extends KubeObj>(obj: T): Promise<T> {
    const t = this.typeOf(obj);
    return this.request<T>("PUT", resourcePath(t, obj.metadata.namespace, obj.metadata.name), {
      body: obj,
      query: { fieldManager: this.fieldManager },
    });
  }

  /** Server-side apply under the operator's field manager, taking over conflicting fields. */
  apply<T extends KubeObj>(obj: T): Promise<T> {
    const t = this.typeOf(obj);
    return this.request<T>("PATCH", resourcePath(t, obj.metadata.namespace, obj.metadata.name), {
      body: obj,
      contentType: "application/apply-patch+yaml",
      query: { fieldManager: this.fieldManager, force: "true" },
    });
  }

  /** JSON merge patch of the status subresource (null values remove fields). */
  patchStatus<T extends KubeObj>(
    t: ResourceType,
    namespace: string,
    name: string,
    status: unknown,
  ): Promise<T> {
    return this.request<T>("PATCH", resourcePath(t, namespace, name, "status"), {
      body: { status },
      contentType: "application/merge-patch+json",
      query: { fieldManager: this.fieldManager },
    });
  }

  async delete(
    t: ResourceType,
    namespace: string,
    name: string,
    propagationPolicy = "Background",
  ): Promise<boolean> {
    try {
      await this.request("DELETE", resourcePath(t, namespace, name), {
        body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy },
      });
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  /** Starts a watch from resourceVersion; `done` is called once when it ends for any reason. */
  async watch<T>(
    t: ResourceType,
    namespace: string | undefined,
    params: { resourceVersion: string; labelSelector?: string },
    onEvent: (e: WatchEvent<T>) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const query: Record<string, string> = {
      resourceVersion: params.resourceVersion,
      allowWatchBookmarks: "true",
    };
    if (params.labelSelector) query.labelSelector = params.labelSelector;
    return new Watch(this.config).watch(
      resourcePath(t, namespace),
      query,
      (type, object) => onEvent({ type: type as WatchEvent<T>["type"], object: object as T }),
      done,
    );
  }
}
