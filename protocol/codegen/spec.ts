/**
 * Loading and normalising Kafka's JSON message specs: comment stripping, version ranges, and a
 * resolved model (field types, struct names, version ranges) the emitter walks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Inclusive version range; `hi` is Infinity for open-ended ranges ("3+"). */
export interface VRange {
  lo: number;
  hi: number;
}

export interface RawField {
  name: string;
  type: string;
  versions?: string;
  nullableVersions?: string;
  taggedVersions?: string;
  flexibleVersions?: string;
  tag?: number;
  default?: string | number | boolean | null;
  ignorable?: boolean;
  fields?: RawField[];
  about?: string;
}

export interface RawSpec {
  apiKey?: number;
  type: "request" | "response" | "header" | "data" | "metadata";
  name: string;
  validVersions: string;
  flexibleVersions: string;
  deprecatedVersions?: string;
  latestVersionUnstable?: boolean;
  listeners?: string[];
  fields: RawField[];
  commonStructs?: { name: string; versions: string; fields: RawField[] }[];
}

/** Removes `//` comments outside of strings so the JSON can be parsed. */
export function stripComments(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === "\\") {
        out += text[++i] ?? "";
      } else if (c === '"') {
        inString = false;
      }
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else {
      out += c;
    }
  }
  return out;
}

export function parseVersions(s: string | undefined): VRange | null {
  if (s === undefined || s === "none" || s === "") return null;
  if (s.endsWith("+")) return { lo: Number(s.slice(0, -1)), hi: Number.POSITIVE_INFINITY };
  const dash = s.indexOf("-");
  if (dash > 0) return { lo: Number(s.slice(0, dash)), hi: Number(s.slice(dash + 1)) };
  const n = Number(s);
  if (!Number.isInteger(n)) throw new Error(`bad version range ${s}`);
  return { lo: n, hi: n };
}

export function intersect(a: VRange | null, b: VRange | null): VRange | null {
  if (a === null || b === null) return null;
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  return lo <= hi ? { lo, hi } : null;
}

export function union(a: VRange | null, b: VRange | null): VRange | null {
  if (a === null) return b;
  if (b === null) return a;
  return { lo: Math.min(a.lo, b.lo), hi: Math.max(a.hi, b.hi) };
}

export function contains(r: VRange | null, v: number): boolean {
  return r !== null && v >= r.lo && v <= r.hi;
}

export type PrimName =
  | "bool"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "int64"
  | "float64"
  | "string"
  | "uuid"
  | "bytes"
  | "records";

export const PRIMS: ReadonlySet<string> = new Set<PrimName>([
  "bool",
  "int8",
  "int16",
  "uint16",
  "int32",
  "uint32",
  "int64",
  "float64",
  "string",
  "uuid",
  "bytes",
  "records",
]);

export type FieldType =
  | { kind: "prim"; prim: PrimName }
  | { kind: "struct"; struct: StructModel }
  | { kind: "array"; elem: { kind: "prim"; prim: PrimName } | { kind: "struct"; struct: StructModel } };

export interface FieldModel {
  name: string; // spec name (PascalCase)
  prop: string; // camelCase property
  type: FieldType;
  versions: VRange | null; // intersected with the message's valid versions
  nullable: VRange | null;
  tagged: VRange | null; // tagged ∩ versions ∩ flexible
  tag: number | undefined;
  flexible: VRange | null; // for compact encodings of this field
  ignorable: boolean;
  defaultRaw: string | number | boolean | null | undefined;
}

export interface StructModel {
  name: string; // TypeScript type name, unique across the message file
  fields: FieldModel[];
  possible: VRange | null; // versions in which this struct can be read or written
}

export interface MessageModel {
  spec: RawSpec;
  name: string;
  valid: VRange;
  flexible: VRange | null;
  root: StructModel;
  structs: StructModel[]; // nested structs in definition order (root excluded)
}

export function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

export function loadSpecs(dir: string): RawSpec[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const text = stripComments(readFileSync(join(dir, f), "utf8"));
      try {
        return JSON.parse(text) as RawSpec;
      } catch (e) {
        throw new Error(`cannot parse ${join(dir, f)}: ${(e as Error).message}`);
      }
    });
}

/** Resolves a raw spec into the model: struct names prefixed, version ranges intersected. */
export function buildModel(spec: RawSpec): MessageModel {
  const valid = parseVersions(spec.validVersions);
  if (valid === null) throw new Error(`${spec.name}: no valid versions`);
  const flexible = parseVersions(spec.flexibleVersions);
  const structs: StructModel[] = [];
  const byName = new Map<string, StructModel>();
  const commons = new Map<string, RawField[]>();
  for (const c of spec.commonStructs ?? []) commons.set(c.name, c.fields);
  const structName = (n: string) => spec.name + n;

  const resolveStruct = (typeName: string, rawFields: RawField[] | undefined, range: VRange | null) => {
    let s = byName.get(typeName);
    if (s === undefined) {
      const fields = rawFields ?? commons.get(typeName);
      if (fields === undefined) throw new Error(`${spec.name}: unknown struct ${typeName}`);
      s = { name: structName(typeName), fields: [], possible: range };
      byName.set(typeName, s);
      structs.push(s);
      s.fields = fields.map((f) => resolveField(f, range));
    } else {
      s.possible = union(s.possible, range);
      // A common struct used again in a wider range: re-resolve its fields for the union.
      const fields = rawFields ?? commons.get(typeName)!;
      s.fields = fields.map((f) => resolveField(f, s!.possible));
    }
    return s;
  };

  const resolveField = (f: RawField, parent: VRange | null): FieldModel => {
    const versions = intersect(parseVersions(f.versions ?? f.taggedVersions), parent);
    const isArray = f.type.startsWith("[]");
    const base = isArray ? f.type.slice(2) : f.type;
    let type: FieldType;
    if (PRIMS.has(base)) {
      const p = { kind: "prim" as const, prim: base as PrimName };
      type = isArray ? { kind: "array", elem: p } : p;
    } else {
      const st = { kind: "struct" as const, struct: resolveStruct(base, f.fields, versions) };
      type = isArray ? { kind: "array", elem: st } : st;
    }
    const fieldFlex = f.flexibleVersions !== undefined ? parseVersions(f.flexibleVersions) : flexible;
    return {
      name: f.name,
      prop: camel(f.name),
      type,
      versions,
      nullable: parseVersions(f.nullableVersions),
      tagged:
        f.tag === undefined
          ? null
          : intersect(intersect(parseVersions(f.taggedVersions), versions), flexible),
      tag: f.tag,
      flexible: fieldFlex,
      ignorable: f.ignorable === true,
      defaultRaw: f.default,
    };
  };

  const root: StructModel = { name: spec.name, fields: [], possible: valid };
  root.fields = spec.fields.map((f) => resolveField(f, valid));
  return { spec, name: spec.name, valid, flexible, root, structs };
}
