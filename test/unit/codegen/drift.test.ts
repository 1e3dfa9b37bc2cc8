/** The committed protocol/generated must be exactly what the generator makes from the specs. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generate, HEADER } from "../../../protocol/codegen/emit-files.js";
import { DEFAULT_OUT, loadSpecSet, writeGenerated } from "../../../protocol/codegen/main.js";

function listTs(root: string, dir = root): string[] {
  return readdirSync(dir)
    .flatMap((e) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? listTs(root, p) : p.endsWith(".ts") ? [relative(root, p)] : [];
    })
    .sort();
}

describe("generated code drift", () => {
  const tmp = mkdtempSync(join(tmpdir(), "gregor-codegen-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("regenerating into a temp dir gives byte-identical files", () => {
    writeGenerated(generate(loadSpecSet()), tmp);
    const fresh = listTs(tmp);
    const committed = listTs(DEFAULT_OUT);
    expect(committed).toEqual(fresh);
    const differing = fresh.filter(
      (f) => !readFileSync(join(tmp, f)).equals(readFileSync(join(DEFAULT_OUT, f))),
    );
    expect(differing, "run `npm run codegen` and commit the result").toEqual([]);
  });

  it("is deterministic and every file carries the generator header", () => {
    const a = generate(loadSpecSet());
    const b = generate(loadSpecSet());
    expect([...a.entries()]).toEqual([...b.entries()]);
    for (const [path, text] of a) expect(text.startsWith(HEADER), path).toBe(true);
    expect(HEADER).toContain("1eb7644349cb07139d6a3c1ad1986979647cac99");
  });
});
