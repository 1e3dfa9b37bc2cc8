import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ProtocolDecodeError, Reader } from "../../protocol/primitives/reader.js";
import { Writer } from "../../protocol/primitives/writer.js";

describe("wire primitives", () => {
  it("round-trips varints, varlongs and uvarints", () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.nat(),
        (i, l, u) => {
          const w = new Writer(1).varint(i).varlong(l).uvarint(u);
          const r = new Reader(w.finish());
          expect(r.varint()).toBe(i);
          expect(r.varlong()).toBe(l);
          expect(r.uvarint()).toBe(u);
          expect(r.remaining).toBe(0);
        },
      ),
    );
  });

  it("distinguishes null from empty for strings and bytes", () => {
    const w = new Writer()
      .nullableString(null)
      .nullableString("")
      .compactNullableString(null)
      .compactNullableString("é")
      .nullableBytes(null)
      .compactNullableBytes(Buffer.alloc(0));
    const r = new Reader(w.finish());
    expect(r.nullableString()).toBeNull();
    expect(r.nullableString()).toBe("");
    expect(r.compactNullableString()).toBeNull();
    expect(r.compactNullableString()).toBe("é");
    expect(r.nullableBytes()).toBeNull();
    expect(r.compactNullableBytes()).toEqual(Buffer.alloc(0));
  });

  it("throws a decode error on truncated input instead of reading past the end", () => {
    const bytes = new Writer().nullableString("hello").finish();
    expect(() => new Reader(bytes.subarray(0, 4)).nullableString()).toThrow(ProtocolDecodeError);
    expect(() => new Reader(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).uvarint()).toThrow(
      ProtocolDecodeError,
    );
    expect(() => new Reader(Buffer.from([0x7f, 0xff, 0xff, 0xff])).arrayLength(false)).toThrow(
      ProtocolDecodeError,
    );
  });
});
