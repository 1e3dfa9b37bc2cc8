// Shared types of the in-process test API server.

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are free-form JSON.
export type Json = any;

export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [key: string]: Json;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: Json[];
  [key: string]: Json;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface ScalePaths {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** One served resource at one group/version. Storage is shared by all versions of a group/plural. */
export interface ResourceType {
  group: string; // "" for core
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  statusSubresource: boolean;
  /** Whether a main-endpoint write may change status (true for types without a status subresource). */
  verbs: string[];
  printerColumns?: PrinterColumn[];
  /** The scale subresource's JSON paths, when the resource has one. */
  scale?: ScalePaths;
  /** Name of the CRD that defines it, for custom resources. */
  crdName?: string;
}

export const ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export function apiVersionOf(t: Pick<ResourceType, "group" | "version">): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

/** Storage identity of a resource: the same for every version of it. */
export function storageKey(t: Pick<ResourceType, "group" | "plural">): string {
  return `${t.group}/${t.plural}`;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf("/");
  return i < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}
