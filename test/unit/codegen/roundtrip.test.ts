/**
 * Every message and record schema, every valid version: random values built from the JSON specs
 * are written and read back by the generated codec; fields absent in a version come back as their
 * spec defaults. Also checks Kafka's write-side rules for fields outside their versions.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadSpecSet } from "../../../protocol/codegen/main.js";
import { buildModel, type MessageModel } from "../../../protocol/codegen/spec.js";
import { Reader } from "../../../protocol/primitives/reader.js";
import { Writer } from "../../../protocol/primitives/writer.js";
import {
  inVersion,
  nonDefaultValue,
  specDefault,
  structArb,
  structDefault,
  versionsOf,
} from "./spec-arbitraries.js";

type Codec = {
  read: (r: Reader, version: number) => unknown;
  write: (w: Writer, version: number, v: unknown) => void;
  def: () => unknown;
};

const set = loadSpecSet();
const cases: { label: string; path: string; model: MessageModel }[] = [
  ...set.messages.map((spec) => ({
    label: spec.name,
    path: `../../../protocol/generated/messages/${spec.name}.js`,
    model: buildModel(spec),
  })),
  ...set.records.flatMap(({ dir, specs }) =>
    specs.map((spec) => ({
      label: `records/${dir}/${spec.name}`,
      path: `../../../protocol/generated/records/${dir}/${spec.name}.js`,
      model: buildModel(spec),
    })),
  ),
];

async function codec(path: string, name: string): Promise<Codec> {
  const m = (await import(path)) as Record<string, unknown>;
  return {
    read: m[`read${name}`] as Codec["read"],
    write: m[`write${name}`] as Codec["write"],
    def: m[`default${name}`] as Codec["def"],
  };
}

describe("generated codecs round-trip every version", () => {
  it("covers every spec file", () => {
    expect(set.messages.length).toBeGreaterThan(180);
    expect(cases.length).toBeGreaterThan(240);
  });

  for (const { label, path, model } of cases) {
    it(label, async () => {
      const c = await codec(path, model.name);
      expect(c.def()).toEqual(structDefault(model.root));
      for (const version of versionsOf(model)) {
        fc.assert(
          fc.property(structArb(model.root, version, model.flexible), ({ value, expected }) => {
            const w = new Writer(16);
            c.write(w, version, value);
            const bytes = w.finish();
            const r = new Reader(bytes);
            const back = c.read(r, version);
            expect(back).toEqual(expected);
            expect(r.remaining).toBe(0);
            // Writing what was read gives the same bytes (no information lost or invented).
            const w2 = new Writer(16);
            c.write(w2, version, back);
            expect(w2.finish().equals(bytes)).toBe(true);
          }),
          { numRuns: 12 },
        );
      }
    });
  }
});

describe("fields outside their versions", () => {
  it("throws for non-ignorable fields and silently drops ignorable ones, for every top-level field", async () => {
    let threw = 0;
    let dropped = 0;
    for (const { path, model } of cases) {
      const c = await codec(path, model.name);
      for (const version of versionsOf(model)) {
        for (const f of model.root.fields) {
          if (inVersion(f, version, model.flexible)) continue;
          const bad = nonDefaultValue(f);
          if (bad === undefined) continue;
          const value = { ...(c.def() as object), [f.prop]: bad };
          const w = new Writer();
          if (f.ignorable) {
            c.write(w, version, value);
            const back = c.read(new Reader(w.finish()), version) as Record<string, unknown>;
            expect(back[f.prop]).toEqual(specDefault(f));
            dropped++;
          } else {
            expect(() => c.write(w, version, value), `${model.name}.${f.prop} v${version}`).toThrow(
              /cannot be written at version/,
            );
            threw++;
          }
        }
      }
    }
    expect(threw).toBeGreaterThan(100);
    expect(dropped).toBeGreaterThan(100);
  });

  it("rejects versions outside the spec's range", async () => {
    const { readProduceRequest, writeProduceRequest, defaultProduceRequest } = await import(
      "../../../protocol/generated/messages/ProduceRequest.js"
    );
    expect(() => writeProduceRequest(new Writer(), 12, defaultProduceRequest())).toThrow(
      /does not support version 12/,
    );
    expect(() => readProduceRequest(new Reader(Buffer.alloc(64)), -1)).toThrow(/does not support version -1/);
  });
});
