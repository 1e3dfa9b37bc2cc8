// The resource operations (create, get, list, update, patch, delete) independent of HTTP.
import { parse as parseYaml } from "yaml";
import { type Owners, recordUpdate, serverSideApply } from "./apply.js";
import { validateBuiltin } from "./builtin-validation.js";
import { checkBase64, checkKind, validateCrd } from "./checks.js";
import { applyBuiltinDefaults } from "./defaults.js";
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  unsupportedMediaType,
} from "./errors.js";
import { builtinListKey, type ListKeyFn, schemaListKey } from "./fields.js";
import { immutableViolations } from "./immutable.js";
import { bumpGeneration, now, prepareCreate, prepareUpdate, unchanged } from "./lifecycle.js";
import { jsonPatch, mergePatch, strategicMerge } from "./patch.js";
import type { Registry } from "./registry.js";
import type { Matcher } from "./selectors.js";
import type { Store } from "./store.js";
import { apiVersionOf, type Json, type KObject, type ResourceType, storageKey } from "./types.js";
import { checkAgainstSchema } from "./validation.js";

export interface WriteOptions {
  /** fieldManager query parameter, or a name derived from the User-Agent. */
  manager: string;
  dryRun: boolean;
  fieldValidation: "Strict" | "Warn" | "Ignore";
  force: boolean;
  subresource?: "status";
}

export interface WriteResult {
  object: KObject;
  created: boolean;
  warnings: string[];
}

export interface DeleteOptions {
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  /** Pods only: how long the kubelet gets to stop them (default spec.terminationGracePeriodSeconds). */
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

export class KubeApi {
  /** Called after deletes so dependents and terminating namespaces get collected. */
  onDelete: () => void = () => {};

  constructor(
    readonly registry: Registry,
    readonly store: Store,
  ) {}

  get(t: ResourceType, ns: string | undefined, name: string): KObject {
    const o = this.store.get(storageKey(t), t.namespaced ? ns : undefined, name);
    if (!o) throw notFound(t, name);
    return asVersion(t, o);
  }

  list(
    t: ResourceType,
    ns: string | undefined,
    match: Matcher,
  ): { items: KObject[]; resourceVersion: string } {
    const items = this.store
      .list(storageKey(t), t.namespaced ? ns : undefined)
      .filter(match)
      .map((o) => asVersion(t, o));
    return { items, resourceVersion: String(this.store.currentRv()) };
  }

  create(
    t: ResourceType,
    ns: string | undefined,
    body: Json,
    opts: WriteOptions,
    owners?: Owners,
  ): WriteResult {
    if (!body || typeof body !== "object" || Array.isArray(body))
      throw badRequest("the request body must be an object");
    checkKind(t, body);
    if (t.namespaced && body.metadata?.namespace && body.metadata.namespace !== ns) {
      throw badRequest(
        "the namespace of the provided object does not match the namespace sent on the request",
      );
    }
    if (body.metadata?.resourceVersion)
      throw badRequest("resourceVersion should not be set on objects to be created");
    const obj = prepareCreate(t, body as KObject, ns);
    if (t.namespaced) this.requireNamespace(ns!, obj.metadata.name!);
    if (this.store.get(storageKey(t), obj.metadata.namespace, obj.metadata.name!))
      throw alreadyExists(t, obj.metadata.name!);
    const warnings = this.admit(t, obj, undefined, opts);
    if (opts.dryRun) return { object: asVersion(t, obj), created: true, warnings };
    const stored = this.store.put(storageKey(t), obj);
    this.setOwners(stored, owners ?? recordUpdate(undefined, stored, opts.manager, new Map(), this.keyOf(t)));
    if (t.plural === "customresourcedefinitions" && t.group === "apiextensions.k8s.io")
      this.registry.installCrd(stored);
    if (t.group === "" && t.plural === "namespaces") this.createDefaultServiceAccount(stored.metadata.name!);
    return { object: asVersion(t, stored), created: true, warnings };
  }

  update(t: ResourceType, ns: string | undefined, name: string, body: Json, opts: WriteOptions): WriteResult {
    if (!body || typeof body !== "object" || Array.isArray(body))
      throw badRequest("the request body must be an object");
    checkKind(t, body);
    if (body.metadata?.name !== undefined && body.metadata.name !== name) {
      throw badRequest("the name of the object does not match the name on the URL");
    }
    const old = this.get(t, ns, name);
    const rv = body.metadata?.resourceVersion;
    if ((rv === undefined || rv === "") && t.crdName) {
      // Built-ins allow unconditional updates; custom resources do not.
      throw invalid(t.kind, t.group, name, [
        {
          field: "metadata.resourceVersion",
          reason: "FieldValueInvalid",
          message: "Invalid value: 0x0: must be specified for an update",
        },
      ]);
    }
    return this.commit(t, old, body as KObject, opts);
  }

  patch(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    contentType: string,
    raw: string,
    opts: WriteOptions,
  ): WriteResult {
    const type = contentType.split(";")[0].trim();
    if (type === "application/apply-patch+yaml") return this.apply(t, ns, name, raw, opts);
    let patch: Json;
    try {
      patch = JSON.parse(raw);
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`);
    }
    const old = this.get(t, ns, name);
    let next: Json;
    if (type === "application/json-patch+json") next = jsonPatch(old, patch);
    else if (type === "application/merge-patch+json") next = mergePatch(old, patch);
    else if (type === "application/strategic-merge-patch+json") {
      // Custom resources have no Go struct tags: the real server refuses strategic merge for them.
      if (t.crdName) throw unsupportedMediaType(type);
      next = strategicMerge(old, patch);
    } else throw unsupportedMediaType(type);
    if (!next || typeof next !== "object" || !next.metadata)
      throw badRequest("the patch removed the object's metadata");
    return this.commit(t, old, next as KObject, opts);
  }

  private apply(
    t: ResourceType,
    ns: string | undefined,
    name: string,
    raw: string,
    opts: WriteOptions,
  ): WriteResult {
    if (!opts.manager || opts.manager === "") throw badRequest("fieldManager is required for apply requests");
    let config: Json;
    try {
      config = parseYaml(raw);
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
    if (!config || typeof config !== "object" || !config.apiVersion || !config.kind) {
      throw badRequest("apply patches must specify apiVersion and kind");
    }
    checkKind(t, config);
    config.metadata ??= {};
    if (config.metadata.name !== undefined && config.metadata.name !== name) {
      throw badRequest("the name of the object does not match the name on the URL");
    }
    if (config.metadata.managedFields) throw badRequest("metadata.managedFields must be nil");
    config.metadata.name = name;
    if (t.namespaced) {
      if (config.metadata.namespace !== undefined && config.metadata.namespace !== ns) {
        throw badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      config.metadata.namespace = ns;
    }
    const sub = opts.subresource === "status";
    if (sub)
      config = {
        apiVersion: config.apiVersion,
        kind: config.kind,
        metadata: { name },
        status: config.status,
      };
    else if (t.statusSubresource) delete config.status;
    const ownerKey = sub ? `${opts.manager}|status` : opts.manager;
    const old = this.store.get(storageKey(t), t.namespaced ? ns : undefined, name);
    if (!old) {
      if (sub) throw notFound(t, name);
      const owners: Owners = new Map([[ownerKey, new Set<string>()]]);
      delete config.metadata.resourceVersion;
      const target = { ...t, name };
      const { merged, owners: o } = serverSideApply(
        undefined,
        config,
        ownerKey,
        true,
        owners,
        target,
        this.keyOf(t),
      );
      return this.create(t, ns, merged, opts, o);
    }
    if (config.metadata.resourceVersion && config.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(t, name);
    }
    const live = asVersion(t, old);
    const res = serverSideApply(
      live,
      config,
      ownerKey,
      opts.force,
      this.owners(old),
      { ...t, name },
      this.keyOf(t),
    );
    res.merged.metadata.resourceVersion = old.metadata.resourceVersion;
    return this.commit(t, live, res.merged, opts, res.owners);
  }

  /** Validate and store an updated object; handles no-ops, generation and finalizer completion. */
  private commit(
    t: ResourceType,
    old: KObject,
    incoming: KObject,
    opts: WriteOptions,
    owners?: Owners,
  ): WriteResult {
    const name = old.metadata.name!;
    if (
      incoming.metadata?.resourceVersion &&
      incoming.metadata.resourceVersion !== old.metadata.resourceVersion
    ) {
      throw conflict(t, name);
    }
    const next = prepareUpdate(t, old, incoming, opts.subresource);
    const warnings = this.admit(t, next, old, opts);
    bumpGeneration(t, old, next);
    const ownerKey = opts.subresource === "status" ? `${opts.manager}|status` : opts.manager;
    const nextOwners = owners ?? recordUpdate(old, next, ownerKey, this.owners(old), this.keyOf(t));
    if (opts.dryRun) return { object: unchanged(old, next) ? old : next, created: false, warnings };
    if (unchanged(old, next)) {
      this.setOwners(old, nextOwners);
      return { object: old, created: false, warnings };
    }
    const skey = storageKey(t);
    // Removing the last finalizer deletes the object, once any grace period is over (grace 0).
    const graceOver = (next.metadata.deletionGracePeriodSeconds ?? 0) === 0;
    if (next.metadata.deletionTimestamp && graceOver && (next.metadata.finalizers ?? []).length === 0) {
      const gone = this.store.remove(skey, next.metadata.namespace, name)!;
      this.afterRemove(t, gone);
      return { object: asVersion(t, next), created: false, warnings };
    }
    const stored = this.store.put(skey, next);
    this.setOwners(stored, nextOwners);
    if (t.plural === "customresourcedefinitions" && t.group === "apiextensions.k8s.io")
      this.registry.installCrd(stored);
    return { object: asVersion(t, stored), created: false, warnings };
  }

  delete(t: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions): KObject {
    const obj = this.get(t, ns, name);
    const pre = opts.preconditions ?? {};
    if (pre.uid && pre.uid !== obj.metadata.uid) {
      throw conflict(
        t,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
      throw conflict(
        t,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion}`,
      );
    }
    if (opts.dryRun) return obj;
    const skey = storageKey(t);
    const graceful = this.gracefulPodDeletion(t, obj, opts);
    if (graceful) return graceful;
    const policy = opts.propagationPolicy ?? "Background";
    if (policy === "Orphan") this.orphanDependents(obj.metadata.uid!);
    const isNamespace = t.group === "" && t.plural === "namespaces";
    const finalizers = [...(obj.metadata.finalizers ?? [])];
    if (policy === "Foreground" && !finalizers.includes("foregroundDeletion"))
      finalizers.push("foregroundDeletion");
    if (finalizers.length > 0 || isNamespace) {
      const sameFinalizers = finalizers.length === (obj.metadata.finalizers ?? []).length;
      const graceDone = (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0;
      if (obj.metadata.deletionTimestamp && sameFinalizers && graceDone) return obj;
      const next = structuredClone(obj);
      next.metadata.finalizers = finalizers.length > 0 ? finalizers : undefined;
      if (!next.metadata.finalizers) delete next.metadata.finalizers;
      if (!next.metadata.deletionTimestamp) next.metadata.generation = (next.metadata.generation ?? 1) + 1;
      if (!next.metadata.deletionTimestamp || !graceDone) next.metadata.deletionTimestamp = now();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (isNamespace) next.status = { ...(next.status ?? {}), phase: "Terminating" };
      const stored = this.store.put(skey, next);
      this.onDelete();
      return asVersion(t, stored);
    }
    const gone = this.store.remove(skey, obj.metadata.namespace, name)!;
    this.afterRemove(t, gone);
    return asVersion(t, gone);
  }

  /**
   * A pod bound to a node (spec.nodeName) and still running is not removed by a delete with a grace
   * period: it gets deletionTimestamp = now + grace, and the kubelet removes it with a grace-0 delete.
   */
  private gracefulPodDeletion(t: ResourceType, obj: KObject, opts: DeleteOptions): KObject | undefined {
    if (t.group !== "" || t.plural !== "pods" || !obj.spec?.nodeName) return undefined;
    if (obj.status?.phase === "Succeeded" || obj.status?.phase === "Failed") return undefined;
    const grace = opts.gracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
    if (grace <= 0) return undefined;
    const current = obj.metadata.deletionGracePeriodSeconds;
    if (obj.metadata.deletionTimestamp && current !== undefined && current <= grace) return obj;
    const next = structuredClone(obj);
    next.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000)
      .toISOString()
      .replace(/\.\d+Z$/, "Z");
    next.metadata.deletionGracePeriodSeconds = grace;
    if (!obj.metadata.deletionTimestamp) next.metadata.generation = (next.metadata.generation ?? 1) + 1;
    return asVersion(t, this.store.put(storageKey(t), next));
  }

  deleteCollection(t: ResourceType, ns: string | undefined, match: Matcher, opts: DeleteOptions): KObject[] {
    const { items } = this.list(t, ns, match);
    return items.map((o) => this.delete(t, o.metadata.namespace, o.metadata.name!, opts));
  }

  private afterRemove(t: ResourceType, gone: KObject): void {
    if (t.plural === "customresourcedefinitions" && t.group === "apiextensions.k8s.io") {
      // The real server removes all custom objects of a deleted CRD before the CRD goes away.
      const spec = gone.spec ?? {};
      for (const o of this.store.list(`${spec.group}/${spec.names?.plural}`)) {
        this.store.remove(`${spec.group}/${spec.names?.plural}`, o.metadata.namespace, o.metadata.name!);
      }
      this.registry.removeCrd(gone.metadata.name!);
    }
    this.onDelete();
  }

  private orphanDependents(uid: string): void {
    for (const [skey, o] of [...this.store.entries()]) {
      const refs = o.metadata.ownerReferences ?? [];
      if (!refs.some((r) => r.uid === uid)) continue;
      const next = structuredClone(o);
      next.metadata.ownerReferences = refs.filter((r) => r.uid !== uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.store.put(skey, next);
    }
  }

  /** What the real service-account controller does for every new namespace. */
  private createDefaultServiceAccount(ns: string): void {
    const sa = this.registry.lookup("", "v1", "serviceaccounts")!;
    const opts: WriteOptions = {
      manager: "kube-controller-manager",
      dryRun: false,
      fieldValidation: "Ignore",
      force: false,
    };
    this.create(sa, ns, { metadata: { name: "default" } }, opts);
  }

  private requireNamespace(ns: string, name: string): void {
    const n = this.store.get("/namespaces", undefined, ns);
    if (!n)
      throw new ApiError(404, "NotFound", `namespaces "${ns}" not found`, { name: ns, kind: "namespaces" });
    if (n.metadata.deletionTimestamp) {
      throw forbidden(
        `unable to create new content in namespace ${ns} because it is being terminated (creating "${name}")`,
      );
    }
  }

  /** Defaults and validation (schemas of custom resources, basic CRD checks). Returns warnings. */
  private admit(t: ResourceType, obj: KObject, old: KObject | undefined, opts: WriteOptions): string[] {
    applyBuiltinDefaults(t.group, t.plural, obj, old);
    if (t.group === "" && t.plural === "secrets") checkBase64(t, obj);
    const causes = [
      ...validateBuiltin(t.group, t.plural, obj),
      ...(old && opts.subresource === undefined ? immutableViolations(t.group, t.plural, old, obj) : []),
    ];
    if (causes.length > 0) throw invalid(t.kind, t.group, obj.metadata.name ?? "", causes);
    if (t.plural === "customresourcedefinitions" && t.group === "apiextensions.k8s.io") validateCrd(obj);
    const schema = this.registry.schemaFor(t);
    if (!schema) return [];
    const check = checkAgainstSchema(obj, schema, old);
    const warnings: string[] = [];
    if (check.unknownFields.length > 0) {
      if (opts.fieldValidation === "Strict") {
        throw badRequest(
          `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${check.unknownFields.map((f) => `unknown field "${f}"`).join(", ")}`,
        );
      }
      if (opts.fieldValidation === "Warn")
        for (const f of check.unknownFields) warnings.push(`unknown field "${f}"`);
    }
    if (check.causes.length > 0) throw invalid(t.kind, t.group, obj.metadata.name ?? "", check.causes);
    return warnings;
  }

  /** How lists merge for server-side apply: by the CRD schema's list markers, or built-in merge keys. */
  private keyOf(t: ResourceType): ListKeyFn {
    const schema = this.registry.schemaFor(t);
    return schema ? schemaListKey(schema) : builtinListKey;
  }

  private owners(o: KObject): Owners {
    return this.store.managers.get(o.metadata.uid!) ?? new Map();
  }

  private setOwners(o: KObject, owners: Owners): void {
    this.store.managers.set(o.metadata.uid!, owners);
  }
}

function asVersion(t: ResourceType, o: KObject): KObject {
  o.apiVersion = apiVersionOf(t);
  o.kind = t.kind;
  return o;
}
