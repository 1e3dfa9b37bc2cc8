import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FrameReader, FrameSizeError } from "../../../broker/network/frame-reader.js";

function framed(frames: Buffer[]): Buffer {
  return Buffer.concat(
    frames.flatMap((f) => {
      const len = Buffer.alloc(4);
      len.writeInt32BE(f.length);
      return [len, f];
    }),
  );
}

describe("FrameReader", () => {
  it("reassembles frames across any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 8, maxLength: 300 }), { minLength: 1, maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (frames, cuts) => {
          const bytes = framed(frames.map((f) => Buffer.from(f)));
          const r = new FrameReader(1000);
          const got: Buffer[] = [];
          let at = 0;
          let i = 0;
          while (at < bytes.length) {
            const n = cuts[i++ % cuts.length]!;
            r.push(bytes.subarray(at, at + n), (f) => got.push(Buffer.from(f)));
            at += n;
          }
          expect(got.map((g) => g.toString("hex"))).toEqual(
            frames.map((f) => Buffer.from(f).toString("hex")),
          );
          expect(r.partial).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("rejects oversized, negative and too-small sizes before buffering", () => {
    const big = Buffer.alloc(4);
    big.writeInt32BE(2000);
    expect(() => new FrameReader(1000).push(big, () => undefined)).toThrow(FrameSizeError);
    expect(() => new FrameReader(1000).push(Buffer.from([0xff, 0xff, 0xff, 0xff]), () => undefined)).toThrow(
      FrameSizeError,
    );
    expect(() => new FrameReader(1000).push(Buffer.from([0, 0, 0, 3, 1, 2, 3]), () => undefined)).toThrow(
      /invalid frame size 3/,
    );
  });
});
