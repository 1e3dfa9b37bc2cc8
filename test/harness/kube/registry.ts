// Which resources are served: built-ins plus every established CRD version.
import { BUILTIN_RESOURCES } from "./builtins.js";
import { ALL_VERBS, type Json, type KObject, type PrinterColumn, type ResourceType } from "./types.js";

export interface CrdVersionInfo {
  type: ResourceType;
  schema?: Json; // openAPIV3Schema
}

export class Registry {
  private readonly byGvr = new Map<string, ResourceType>();
  private readonly crdVersions = new Map<string, CrdVersionInfo[]>(); // crd name -> versions
  private readonly schemas = new Map<string, Json>(); // group/version/plural -> schema

  constructor() {
    for (const t of BUILTIN_RESOURCES) this.byGvr.set(gvrKey(t.group, t.version, t.plural), t);
  }

  lookup(group: string, version: string, plural: string): ResourceType | undefined {
    return this.byGvr.get(gvrKey(group, version, plural));
  }

  byKind(group: string, version: string, kind: string): ResourceType | undefined {
    for (const t of this.byGvr.values())
      if (t.group === group && t.version === version && t.kind === kind) return t;
    return undefined;
  }

  /** Every version served for a group/plural (used by GC and storage-wide lookups). */
  versionsOf(group: string, plural: string): ResourceType[] {
    return [...this.byGvr.values()].filter((t) => t.group === group && t.plural === plural);
  }

  all(): ResourceType[] {
    return [...this.byGvr.values()];
  }

  schemaFor(t: ResourceType): Json | undefined {
    return this.schemas.get(gvrKey(t.group, t.version, t.plural));
  }

  /** Serve (or re-serve after an update) the versions of a CRD. */
  installCrd(crd: KObject): void {
    this.removeCrd(crd.metadata.name!);
    const spec = crd.spec ?? {};
    const names = spec.names ?? {};
    const infos: CrdVersionInfo[] = [];
    for (const v of spec.versions ?? []) {
      if (v.served === false) continue;
      const t: ResourceType = {
        group: spec.group,
        version: v.name,
        plural: names.plural,
        singular: names.singular ?? String(names.kind).toLowerCase(),
        kind: names.kind,
        namespaced: spec.scope !== "Cluster",
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        statusSubresource: v.subresources?.status !== undefined,
        verbs: ALL_VERBS,
        printerColumns: (v.additionalPrinterColumns as PrinterColumn[] | undefined) ?? undefined,
        crdName: crd.metadata.name,
        scale: v.subresources?.scale?.specReplicasPath ? v.subresources.scale : undefined,
      };
      const key = gvrKey(t.group, t.version, t.plural);
      this.byGvr.set(key, t);
      if (v.schema?.openAPIV3Schema) this.schemas.set(key, v.schema.openAPIV3Schema);
      infos.push({ type: t, schema: v.schema?.openAPIV3Schema });
    }
    this.crdVersions.set(crd.metadata.name!, infos);
  }

  removeCrd(name: string): void {
    for (const info of this.crdVersions.get(name) ?? []) {
      const key = gvrKey(info.type.group, info.type.version, info.type.plural);
      this.byGvr.delete(key);
      this.schemas.delete(key);
    }
    this.crdVersions.delete(name);
  }
}

function gvrKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}
