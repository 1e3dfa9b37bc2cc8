/**
 * Emits the TypeScript for one struct (a message root or a nested struct): interface, default,
 * read and write. Every version decision (presence, nullability, compact encoding, tagged) is
 * resolved here into plain `version` comparisons, so the generated code does no per-field
 * interpretation at run time.
 */
import { defaultExpr, fieldTs, Imports, nonDefault, readValue, writeValue } from "./emit-values.js";
import type { FieldModel, PrimName, StructModel, VRange } from "./spec.js";
import { intersect, union } from "./spec.js";

export { Imports };

/** Condition selecting the versions of `target` among the `possible` ones ("true"/"false" if constant). */
export function cond(possible: VRange | null, target: VRange | null): string {
  if (possible === null) return "false";
  const i = intersect(possible, target);
  if (i === null) return "false";
  const parts: string[] = [];
  if (i.lo > possible.lo) parts.push(`version >= ${i.lo}`);
  if (i.hi < possible.hi) parts.push(`version <= ${i.hi}`);
  return parts.length === 0 ? "true" : parts.join(" && ");
}

interface Segment {
  range: VRange;
  nullable: boolean;
}

/** Splits `range` into runs where nullability does not change. */
function segments(range: VRange, nullable: VRange | null): Segment[] {
  const cuts = new Set<number>();
  if (nullable !== null) {
    if (nullable.lo > range.lo && nullable.lo <= range.hi) cuts.add(nullable.lo);
    if (nullable.hi + 1 > range.lo && nullable.hi + 1 <= range.hi) cuts.add(nullable.hi + 1);
  }
  const starts = [range.lo, ...[...cuts].sort((a, b) => a - b)];
  return starts.map((lo, k) => {
    const hi = k + 1 < starts.length ? starts[k + 1]! - 1 : range.hi;
    return { range: { lo, hi }, nullable: nullable !== null && lo >= nullable.lo && lo <= nullable.hi };
  });
}

function unwrap(code: string[]): string[] {
  if (code.length >= 2 && code[0] === "{" && code[code.length - 1] === "}") {
    return code.slice(1, -1).map((l) => l.slice(2));
  }
  return code;
}

/** Picks code by version among ascending, contiguous segments: one comparison per branch. */
function branch(parts: { lo: number; code: string[] }[], ind: string, inBlock = false): string[] {
  // Merge neighbours that generate the same code (e.g. nullability is irrelevant for ints).
  const merged: { lo: number; code: string[] }[] = [];
  for (const p of parts) {
    const last = merged[merged.length - 1];
    if (last && last.code.join("\n") === p.code.join("\n")) continue;
    merged.push(p);
  }
  if (merged.length === 1) return (inBlock ? unwrap(merged[0]!.code) : merged[0]!.code).map((l) => ind + l);
  const out: string[] = [];
  for (let k = merged.length - 1; k >= 0; k--) {
    const p = merged[k]!;
    const head =
      k === merged.length - 1
        ? `if (version >= ${p.lo}) {`
        : k > 0
          ? `} else if (version >= ${p.lo}) {`
          : "} else {";
    out.push(ind + head, ...unwrap(p.code).map((l) => `${ind}  ${l}`));
  }
  out.push(`${ind}}`);
  return out;
}

/** Versions in which `f` is a regular (untagged) field. */
function untagged(f: FieldModel): VRange | null {
  if (f.tag === undefined || f.versions === null) return f.versions;
  if (f.tagged === null) return f.versions;
  return intersect(f.versions, { lo: 0, hi: f.tagged.lo - 1 });
}

const STATIC_SIZE: Partial<Record<PrimName, number>> = {
  bool: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  float64: 8,
  uuid: 16,
};

export interface StructContext {
  flexible: VRange | null;
  imp: Imports;
  exported: boolean;
  /** Top-level messages check the version; nested structs trust their caller. */
  checkVersion: VRange | null;
}

export function emitStruct(s: StructModel, ctx: StructContext): string {
  const { imp } = ctx;
  const P = s.possible;
  const out: string[] = [];
  const regular = s.fields.filter((f) => untagged(f) !== null || f.tag === undefined);
  const taggedFields = s.fields.filter((f) => f.tag !== undefined).sort((a, b) => a.tag! - b.tag!);
  const flexCond = cond(P, ctx.flexible);

  // Interface
  out.push(`export interface ${s.name} {`);
  for (const f of s.fields) {
    out.push(`  ${f.prop}: ${fieldTs(f)};`);
  }
  out.push("}", "");

  // Default
  out.push(`export function default${s.name}(): ${s.name} {`);
  out.push("  return {");
  for (const f of s.fields) out.push(`    ${f.prop}: ${defaultExpr(f, imp)},`);
  out.push("  };", "}", "");

  // Read
  out.push(`export function read${s.name}(r: Reader, version: number): ${s.name} {`);
  if (ctx.checkVersion) {
    const v = ctx.checkVersion;
    out.push(
      `  if (version < ${v.lo} || version > ${v.hi}) ${imp.use("versionOutOfRange")}("${s.name}", version);`,
    );
  }
  for (const f of s.fields) {
    const local = `f_${f.prop}`;
    const reg = f.tag === undefined ? f.versions : untagged(f);
    const present = cond(P, reg);
    const ts = fieldTs(f);
    if (f.tag !== undefined || present === "false") {
      out.push(`  let ${local}: ${ts} = ${defaultExpr(f, imp)};`);
      if (present === "false") continue;
    } else {
      out.push(`  let ${local}: ${ts};`);
    }
    const range = intersect(P, reg)!;
    const code = branch(
      segments(range, f.nullable).map((sg) => ({
        lo: sg.range.lo,
        code: readValue(f, cond(sg.range, f.flexible), sg.nullable, false, local, s.name, imp),
      })),
      present === "true" ? "  " : "    ",
      present !== "true",
    );
    if (
      present === "true" &&
      f.tag === undefined &&
      code.length === 1 &&
      code[0]!.startsWith(`  ${local} = `)
    ) {
      // Always present and a single expression: declare and read in one statement.
      out[out.length - 1] = `  const ${local}: ${ts} = ${code[0]!.slice(local.length + 5)}`;
    } else if (present === "true") out.push(...code);
    else if (f.tag !== undefined) out.push(`  if (${present}) {`, ...code, "  }");
    else
      out.push(`  if (${present}) {`, ...code, "  } else {", `    ${local} = ${defaultExpr(f, imp)};`, "  }");
  }
  if (flexCond !== "false") {
    const ind = flexCond === "true" ? "  " : "    ";
    const body: string[] = [];
    const known = taggedFields.filter((f) => cond(P, f.tagged) !== "false");
    if (known.length === 0) {
      body.push(`${ind}${imp.use("skipTaggedFields")}(r);`);
    } else {
      body.push(
        `${ind}const nt = r.uvarint();`,
        `${ind}for (let ti = 0; ti < nt; ti++) {`,
        `${ind}  const tag = r.uvarint();`,
        `${ind}  const size = r.uvarint();`,
        `${ind}  switch (tag) {`,
      );
      for (const f of known) {
        const range = intersect(P, f.tagged)!;
        const c = cond(intersect(P, ctx.flexible), f.tagged);
        const code = branch(
          segments(range, f.nullable).map((sg) => ({
            lo: sg.range.lo,
            code: readValue(f, "true", sg.nullable, true, `f_${f.prop}`, s.name, imp),
          })),
          c === "true" ? `${ind}      ` : `${ind}        `,
          c !== "true",
        );
        body.push(`${ind}    case ${f.tag}:`);
        if (c === "true") body.push(...code);
        else body.push(`${ind}      if (${c}) {`, ...code, `${ind}      } else r.raw(size);`);
        body.push(`${ind}      break;`);
      }
      body.push(`${ind}    default:`, `${ind}      r.raw(size);`, `${ind}  }`, `${ind}}`);
    }
    if (flexCond === "true") out.push(...body);
    else out.push(`  if (${flexCond}) {`, ...body, "  }");
  }
  out.push("  return {");
  for (const f of s.fields) out.push(`    ${f.prop}: f_${f.prop},`);
  out.push("  };", "}", "");

  // Write
  out.push(`export function write${s.name}(w: Writer, version: number, v: ${s.name}): void {`);
  if (ctx.checkVersion) {
    const v = ctx.checkVersion;
    out.push(
      `  if (version < ${v.lo} || version > ${v.hi}) ${imp.use("versionOutOfRange")}("${s.name}", version);`,
    );
  }
  const notInVersion = (f: FieldModel, ind: string) =>
    `${ind}if (${nonDefault(f, `v.${f.prop}`, imp)}) ${imp.use("fieldNotInVersion")}("${s.name}.${f.prop}", version);`;
  for (const f of regular) {
    const reg = f.tag === undefined ? f.versions : untagged(f);
    const present = cond(P, reg);
    if (present === "false") {
      if (!f.ignorable && f.tag === undefined) out.push(notInVersion(f, "  "));
      continue;
    }
    const range = intersect(P, reg)!;
    const code = branch(
      segments(range, f.nullable).map((sg) => ({
        lo: sg.range.lo,
        code: writeValue(f, cond(sg.range, f.flexible), sg.nullable, false, `v.${f.prop}`, s.name, imp),
      })),
      present === "true" ? "  " : "    ",
      present !== "true",
    );
    if (present === "true") out.push(...code);
    else {
      out.push(`  if (${present}) {`, ...code);
      if (!f.ignorable && f.tag === undefined) out.push("  } else {", notInVersion(f, "    "));
      out.push("  }");
    }
  }
  // Tagged fields: a non-default value outside the tagged versions is an error unless ignorable.
  for (const f of taggedFields) {
    const c = cond(P, f.tagged);
    if (f.ignorable || c === "true") continue;
    const present = cond(P, union(untagged(f), f.tagged));
    if (present === "true") continue;
    if (present === "false") out.push(notInVersion(f, "  "));
    else out.push(`  if (!(${present})) {`, notInVersion(f, "    "), "  }");
  }
  if (flexCond !== "false") {
    const ind = flexCond === "true" ? "  " : "    ";
    const body: string[] = [];
    const known = taggedFields.filter((f) => cond(P, f.tagged) !== "false");
    if (known.length === 0) {
      body.push(`${ind}w.uvarint(0);`);
    } else {
      const fp = intersect(P, ctx.flexible);
      body.push(`${ind}let nt = 0;`);
      for (const f of known) {
        const c = cond(fp, f.tagged);
        const nd = nonDefault(f, `v.${f.prop}`, imp);
        body.push(`${ind}const t_${f.prop} = ${c === "true" ? nd : `${c} && ${nd}`};`);
        body.push(`${ind}if (t_${f.prop}) nt++;`);
      }
      body.push(`${ind}w.uvarint(nt);`);
      for (const f of known) {
        const range = intersect(P, f.tagged)!;
        const t = f.type;
        const fixed = t.kind === "prim" ? STATIC_SIZE[t.prim] : undefined;
        const segs = segments(range, f.nullable);
        body.push(`${ind}if (t_${f.prop}) {`, `${ind}  w.uvarint(${f.tag});`);
        if (fixed !== undefined) {
          body.push(`${ind}  w.uvarint(${fixed});`);
          body.push(
            ...writeValue(f, "true", false, true, `v.${f.prop}`, s.name, imp).map((l) => `${ind}  ${l}`),
          );
        } else {
          imp.writerValue = true;
          body.push(`${ind}  const outer = w;`, `${ind}  {`, `${ind}    const w = new Writer(64);`);
          body.push(
            ...branch(
              segs.map((sg) => ({
                lo: sg.range.lo,
                code: writeValue(f, "true", sg.nullable, true, `v.${f.prop}`, s.name, imp),
              })),
              `${ind}    `,
              true,
            ),
          );
          body.push(
            `${ind}    const b = w.finish();`,
            `${ind}    outer.uvarint(b.length);`,
            `${ind}    outer.raw(b);`,
          );
          body.push(`${ind}  }`);
        }
        body.push(`${ind}}`);
      }
    }
    if (flexCond === "true") out.push(...body);
    else out.push(`  if (${flexCond}) {`, ...body, "  }");
  }
  out.push("}", "");
  return out.join("\n");
}
