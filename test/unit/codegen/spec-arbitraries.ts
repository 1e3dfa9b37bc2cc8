/**
 * fast-check arbitraries for any message at any version, built by walking the JSON specs (via the
 * generator's spec model), plus spec-derived defaults computed independently of the generated code.
 */
import fc from "fast-check";
import type {
  FieldModel,
  MessageModel,
  PrimName,
  StructModel,
  VRange,
} from "../../../protocol/codegen/spec.js";
import { contains, intersect } from "../../../protocol/codegen/spec.js";

type Value = unknown;
type Obj = Record<string, Value>;

/** Whether field `f` is carried on the wire at `version` (as a regular or as a tagged field). */
export function inVersion(f: FieldModel, version: number, flexible: VRange | null): boolean {
  if (!contains(f.versions, version)) return false;
  if (f.tag === undefined) return true;
  if (contains(f.tagged, version)) return contains(flexible, version);
  // Regular in versions before tagging starts (none of the current specs do this).
  return f.tagged !== null && version < f.tagged.lo;
}

function nullDefault(f: FieldModel): boolean {
  return f.defaultRaw === "null";
}

/** The spec default of a field, computed from the JSON rules in messages/README.md. */
export function specDefault(f: FieldModel): Value {
  const t = f.type;
  const d = f.defaultRaw;
  if (t.kind === "array") return nullDefault(f) ? null : [];
  if (t.kind === "struct") return nullDefault(f) ? null : structDefault(t.struct);
  switch (t.prim) {
    case "bool":
      return d === true || d === "true";
    case "int64":
      return d === undefined || d === null ? 0n : BigInt(d as string | number);
    case "string":
      return nullDefault(f) ? null : d === undefined || d === null ? "" : String(d);
    case "uuid":
      return "AAAAAAAAAAAAAAAAAAAAAA";
    case "bytes":
      return nullDefault(f) ? null : Buffer.alloc(0);
    case "records":
      return null;
    default:
      return d === undefined || d === null || d === "" ? 0 : Number(d);
  }
}

export function structDefault(s: StructModel): Obj {
  const o: Obj = {};
  for (const f of s.fields) o[f.prop] = specDefault(f);
  return o;
}

const INT_RANGES: Partial<Record<PrimName, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
};

function primArb(p: PrimName): fc.Arbitrary<Value> {
  const ints = INT_RANGES[p];
  if (ints) return fc.integer({ min: ints[0], max: ints[1] });
  switch (p) {
    case "bool":
      return fc.boolean();
    case "int64":
      return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    case "float64":
      return fc.double({ noNaN: true });
    case "string":
      return fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: "grapheme", maxLength: 4 }));
    case "uuid":
      return fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Buffer.from(b).toString("base64url"));
    default:
      return fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b));
  }
}

export interface Generated<T = Value> {
  value: T;
  /** What reading the written bytes must give: absent fields at their defaults. */
  expected: T;
}

/** Value + expected value for struct `s` at `version`; `depth` bounds nesting. */
export function structArb(
  s: StructModel,
  version: number,
  flexible: VRange | null,
  depth = 0,
): fc.Arbitrary<Generated<Obj>> {
  const parts: Record<string, fc.Arbitrary<Generated>> = {};
  for (const f of s.fields) parts[f.prop] = fieldArb(f, version, flexible, depth);
  return fc.record(parts).map((r) => {
    const value: Obj = {};
    const expected: Obj = {};
    for (const f of s.fields) {
      value[f.prop] = r[f.prop]!.value;
      expected[f.prop] = r[f.prop]!.expected;
    }
    return { value, expected };
  });
}

function same(v: Value): Generated {
  return { value: v, expected: v };
}

function fieldArb(
  f: FieldModel,
  version: number,
  flexible: VRange | null,
  depth: number,
): fc.Arbitrary<Generated> {
  const def = specDefault(f);
  if (!inVersion(f, version, flexible)) {
    // Ignorable fields may hold anything: they are dropped on write and read back as defaults.
    if (f.ignorable && f.type.kind === "prim") {
      return primArb(f.type.prim).map((v) => ({ value: v, expected: def }));
    }
    return fc.constant({ value: def, expected: def });
  }
  const nullable = contains(f.nullable, version);
  const t = f.type;
  let arb: fc.Arbitrary<Generated>;
  if (t.kind === "prim") {
    arb = primArb(t.prim).map(same);
  } else if (t.kind === "struct") {
    arb = structArb(t.struct, version, flexible, depth + 1);
  } else {
    const elem = t.elem;
    const elemArb =
      elem.kind === "prim"
        ? primArb(elem.prim).map(same)
        : structArb(elem.struct, version, flexible, depth + 1);
    arb = fc.array(elemArb, { maxLength: depth >= 2 ? 1 : 3 }).map((xs) => ({
      value: xs.map((x) => x.value),
      expected: xs.map((x) => x.expected),
    }));
  }
  const choices: fc.Arbitrary<Generated>[] = [arb];
  if (nullable) choices.push(fc.constant(same(null)));
  // Defaults matter for tagged fields (omitted when default): generate them often.
  if (f.tag !== undefined) choices.push(fc.constant({ value: def, expected: def }));
  return choices.length === 1 ? arb : fc.oneof(...choices);
}

/** A non-default value for a field, used to check out-of-version writes. */
export function nonDefaultValue(f: FieldModel): Value {
  const t = f.type;
  if (t.kind === "array") return nullDefault(f) ? [] : [specDefaultElem(f)];
  if (t.kind === "struct") return nullDefault(f) ? structDefault(t.struct) : undefined;
  const d = specDefault(f);
  switch (t.prim) {
    case "bool":
      return !d;
    case "int64":
      return (d as bigint) + 1n;
    case "string":
      return d === "zz" ? "yy" : "zz";
    case "uuid":
      return "AQEBAQEBAQEBAQEBAQEBAQ";
    case "bytes":
    case "records":
      return Buffer.from([1, 2, 3]);
    default:
      return (d as number) === 1 ? 2 : 1;
  }
}

function specDefaultElem(f: FieldModel): Value {
  const t = f.type;
  if (t.kind !== "array") throw new Error("not an array");
  return t.elem.kind === "struct"
    ? structDefault(t.elem.struct)
    : specDefault({ ...f, type: t.elem, defaultRaw: undefined });
}

export function versionsOf(m: MessageModel): number[] {
  const out: number[] = [];
  for (let v = m.valid.lo; v <= m.valid.hi; v++) out.push(v);
  return out;
}

export { intersect };
