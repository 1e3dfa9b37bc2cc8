/**
 * `npm run codegen [-- --messages DIR --records DIR --out DIR]`: regenerates protocol/generated
 * from Kafka's JSON specs (default ../shared/kafka-protocol relative to the repo root).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generate, type SpecSet } from "./emit-files.js";
import { loadSpecs } from "./spec.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const DEFAULT_SPEC_ROOT = resolve(repoRoot, "../shared/kafka-protocol");
export const DEFAULT_OUT = join(repoRoot, "protocol/generated");

export interface CodegenOptions {
  messages?: string;
  records?: string;
}

export function loadSpecSet(opts: CodegenOptions = {}): SpecSet {
  const messages = opts.messages ?? join(DEFAULT_SPEC_ROOT, "messages");
  const records = opts.records ?? join(DEFAULT_SPEC_ROOT, "records");
  const dirs = readdirSync(records)
    .filter((d) => statSync(join(records, d)).isDirectory())
    .sort();
  return {
    messages: loadSpecs(messages),
    records: dirs.map((dir) => ({ dir, specs: loadSpecs(join(records, dir)) })),
  };
}

/** Writes every generated file under `out` and removes stale .ts files there. */
export function writeGenerated(files: Map<string, string>, out: string): void {
  const stale = (dir: string): string[] =>
    existsSync(dir)
      ? readdirSync(dir).flatMap((e) => {
          const p = join(dir, e);
          return statSync(p).isDirectory() ? stale(p) : p.endsWith(".ts") ? [p] : [];
        })
      : [];
  const keep = new Set([...files.keys()].map((f) => join(out, f)));
  for (const p of stale(out)) if (!keep.has(p)) rmSync(p);
  for (const [rel, text] of files) {
    const p = join(out, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
}

function parseArgs(argv: string[]): CodegenOptions & { out: string } {
  const opts: CodegenOptions & { out: string } = { out: DEFAULT_OUT };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a directory`);
      return resolve(v);
    };
    if (a === "--messages") opts.messages = next();
    else if (a === "--records") opts.records = next();
    else if (a === "--out") opts.out = next();
    else throw new Error(`unknown argument ${a} (expected --messages DIR --records DIR --out DIR)`);
  }
  return opts;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const files = generate(loadSpecSet(opts));
    writeGenerated(files, opts.out);
    console.log(`wrote ${files.size} files to ${opts.out}`);
  } catch (e) {
    console.error(`codegen: ${(e as Error).message}`);
    process.exit(1);
  }
}
