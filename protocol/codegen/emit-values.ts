/**
 * Value-level code for one field: TypeScript types, defaults, "differs from default" checks, and
 * the read/write statements for one (compact?, nullable?) combination. emit-struct.ts decides
 * which combination applies in which versions.
 */
import type { FieldModel, PrimName } from "./spec.js";

/** Tracks which runtime helpers a generated file needs to import. */
export class Imports {
  readonly runtime = new Set<string>();
  writerValue = false;
  use(name: string): string {
    this.runtime.add(name);
    return name;
  }
}

function primTs(p: PrimName): string {
  switch (p) {
    case "bool":
      return "boolean";
    case "int64":
      return "bigint";
    case "string":
    case "uuid":
      return "string";
    case "bytes":
      return "Buffer";
    case "records":
      return "Buffer | null";
    default:
      return "number";
  }
}

export function fieldTs(f: FieldModel): string {
  const t = f.type;
  let base: string;
  if (t.kind === "prim") base = primTs(t.prim);
  else if (t.kind === "struct") base = t.struct.name;
  else base = `${t.elem.kind === "prim" ? primTs(t.elem.prim) : t.elem.struct.name}[]`;
  const nullable = f.nullable !== null && !(t.kind === "prim" && t.prim === "records");
  return nullable ? `${base} | null` : base;
}

function isNullDefault(f: FieldModel): boolean {
  // Like Kafka, a JSON null default means "no default"; only the string "null" means null.
  return f.defaultRaw === "null";
}

export function defaultExpr(f: FieldModel, imp: Imports): string {
  const t = f.type;
  const d = f.defaultRaw;
  if (t.kind === "array") return isNullDefault(f) ? "null" : "[]";
  if (t.kind === "struct") return isNullDefault(f) ? "null" : `default${t.struct.name}()`;
  switch (t.prim) {
    case "bool":
      return String(d === true || d === "true");
    case "int64":
      return `${d === undefined ? 0n : BigInt(d as string | number)}n`;
    case "string":
      return isNullDefault(f) ? "null" : JSON.stringify(d === undefined ? "" : String(d));
    case "uuid":
      return '"AAAAAAAAAAAAAAAAAAAAAA"';
    case "bytes":
      return isNullDefault(f) ? "null" : imp.use("EMPTY_BYTES");
    case "records":
      return "null";
    default: {
      if (d === undefined || d === "") return "0";
      const n = Number(d);
      if (!Number.isFinite(n)) throw new Error(`bad default ${String(d)} for ${f.name}`);
      return String(n);
    }
  }
}

/** Expression that is true when `x` differs from the field's default (what Kafka checks). */
export function nonDefault(f: FieldModel, x: string, imp: Imports): string {
  const t = f.type;
  const typeNullable = f.nullable !== null;
  if (t.kind === "struct") {
    if (isNullDefault(f)) return `${x} !== null`;
    const eq = `${imp.use("deepEqual")}(${x}, default${t.struct.name}())`;
    return typeNullable ? `(${x} === null || !${eq})` : `!${eq}`;
  }
  if (t.kind === "array" || (t.kind === "prim" && t.prim === "bytes")) {
    if (isNullDefault(f)) return `${x} !== null`;
    return typeNullable ? `(${x} === null || ${x}.length !== 0)` : `${x}.length !== 0`;
  }
  if (t.prim === "records") return `${x} !== null`;
  return `${x} !== ${defaultExpr(f, imp)}`;
}

/** Picks the compact or the classic form; `flex` is "true", "false" or a version condition. */
function pick(flex: string, compact: string, plain: string): string {
  return flex === "true" ? compact : flex === "false" ? plain : `(${flex} ? ${compact} : ${plain})`;
}

function pickStmt(flex: string, compact: string, plain: string): string {
  return flex === "true" ? compact : flex === "false" ? plain : `if (${flex}) ${compact} else ${plain}`;
}

function primRead(p: PrimName, flex: string, nullable: boolean, imp: Imports): string {
  switch (p) {
    case "uuid":
      return `${imp.use("readUuid")}(r)`;
    case "string":
      return nullable
        ? pick(flex, "r.compactNullableString()", "r.nullableString()")
        : pick(flex, "r.compactString()", "r.string()");
    case "bytes":
      return nullable
        ? pick(flex, "r.compactNullableBytes()", "r.nullableBytes()")
        : pick(flex, "r.compactBytes()", "r.bytes()");
    case "records":
      return pick(flex, "r.compactNullableBytes()", "r.nullableBytes()");
    default:
      return `r.${p}()`;
  }
}

function primWrite(p: PrimName, flex: string, x: string, imp: Imports): string {
  switch (p) {
    case "uuid":
      return `w.raw(${imp.use("uuidBytes")}(${x}));`;
    case "string":
      return pickStmt(flex, `w.compactNullableString(${x});`, `w.nullableString(${x});`);
    case "bytes":
    case "records":
      return pickStmt(flex, `w.compactNullableBytes(${x});`, `w.nullableBytes(${x});`);
    default:
      return `w.${p}(${x});`;
  }
}

/** Statements reading one value of field `f` into `target`. `tagged`: inside a tagged field. */
export function readValue(
  f: FieldModel,
  flex: string,
  nullable: boolean,
  tagged: boolean,
  target: string,
  owner: string,
  imp: Imports,
): string[] {
  const t = f.type;
  if (t.kind === "prim") return [`${target} = ${primRead(t.prim, flex, nullable, imp)};`];
  if (t.kind === "struct") {
    const call = `read${t.struct.name}(r, version)`;
    if (!nullable) return [`${target} = ${call};`];
    return [`${target} = ${tagged ? "r.uvarint() === 0" : "r.int8() < 0"} ? null : ${call};`];
  }
  const elem = t.elem;
  const elemTs = elem.kind === "prim" ? primTs(elem.prim) : elem.struct.name;
  const elemRead =
    elem.kind === "prim" ? primRead(elem.prim, flex, false, imp) : `read${elem.struct.name}(r, version)`;
  return [
    "{",
    `  const n = r.arrayLength(${flex});`,
    nullable
      ? `  if (n < 0) ${target} = null;`
      : `  if (n < 0) ${imp.use("nullArray")}("${owner}.${f.prop}");`,
    "  else {",
    `    const a: ${elemTs}[] = [];`,
    `    for (let i = 0; i < n; i++) a.push(${elemRead});`,
    `    ${target} = a;`,
    "  }",
    "}",
  ];
}

/** Statements writing value `x` of field `f`. `tagged`: inside a tagged field (struct null marker). */
export function writeValue(
  f: FieldModel,
  flex: string,
  nullable: boolean,
  tagged: boolean,
  x: string,
  owner: string,
  imp: Imports,
): string[] {
  const t = f.type;
  const typeNullable = f.nullable !== null;
  const guarded = typeNullable && !nullable ? `${imp.use("nonNull")}(${x}, "${owner}.${f.prop}")` : x;
  if (t.kind === "prim") {
    // A null records field where the version has no null is sent as an empty record set.
    if (t.prim === "records" && !nullable)
      return [primWrite(t.prim, flex, `${x} ?? ${imp.use("EMPTY_BYTES")}`, imp)];
    return [primWrite(t.prim, flex, guarded, imp)];
  }
  if (t.kind === "struct") {
    const call = (y: string) => `write${t.struct.name}(w, version, ${y});`;
    if (!nullable) return [call(guarded)];
    const mark = tagged ? ["w.uvarint(0);", "w.uvarint(1);"] : ["w.int8(-1);", "w.int8(1);"];
    return [`if (${x} === null) ${mark[0]}`, `else {`, `  ${mark[1]}`, `  ${call(x)}`, "}"];
  }
  const elem = t.elem;
  const elemWrite =
    elem.kind === "prim" ? primWrite(elem.prim, flex, "e", imp) : `write${elem.struct.name}(w, version, e);`;
  if (nullable) {
    return [
      "{",
      `  const a = ${x};`,
      `  if (a === null) w.arrayLength(null, ${flex});`,
      "  else {",
      `    w.arrayLength(a.length, ${flex});`,
      `    for (const e of a) ${elemWrite}`,
      "  }",
      "}",
    ];
  }
  return [
    "{",
    `  const a = ${guarded};`,
    `  w.arrayLength(a.length, ${flex});`,
    `  for (const e of a) ${elemWrite}`,
    "}",
  ];
}
