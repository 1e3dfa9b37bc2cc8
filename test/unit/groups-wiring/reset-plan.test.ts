import { describe, expect, it } from "vitest";
import { integer, parseDateTime, planReset, UsageError } from "../../../cli/group-reset.js";

/** The offset arithmetic of `consumer-groups --reset-offsets`, without a broker. */
const parts = [
  { topic: "t", partition: 0 },
  { topic: "t", partition: 1 },
];
const offsets = {
  earliest: new Map<string, bigint | null>([
    ["t:0", 10n],
    ["t:1", 0n],
  ]),
  latest: new Map<string, bigint | null>([
    ["t:0", 20n],
    ["t:1", 5n],
  ]),
  atTime: new Map<string, bigint | null>([
    ["t:0", 15n],
    ["t:1", null],
  ]),
  committed: new Map<string, bigint>([["t:0", 12n]]),
};
const plan = (s: Parameters<typeof planReset>[1]) => planReset(parts, s, offsets).map((p) => p.offset);

describe("reset-offsets planning", () => {
  it("computes each scenario and clamps to the log's range", () => {
    expect(plan({ kind: "earliest" })).toEqual([10n, 0n]);
    expect(plan({ kind: "latest" })).toEqual([20n, 5n]);
    expect(plan({ kind: "current" })).toEqual([12n, 5n]); // no commit: the log end
    expect(plan({ kind: "offset", n: 3n })).toEqual([10n, 3n]);
    expect(plan({ kind: "offset", n: 99n })).toEqual([20n, 5n]);
    expect(plan({ kind: "datetime", ts: 0n })).toEqual([15n, 5n]); // nothing after: the end
    expect(planReset([parts[0]!], { kind: "shift", n: -5n }, offsets)[0]!.offset).toBe(10n);
    expect(planReset([parts[0]!], { kind: "shift", n: 3n }, offsets)[0]!.offset).toBe(15n);
    expect(() => plan({ kind: "shift", n: 1n })).toThrow(/committed offset for t-1/);
  });

  it("parses Kafka's datetime format with and without a zone", () => {
    expect(parseDateTime("2024-01-02T03:04:05.678Z")).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(parseDateTime("2024-01-02T03:04:05.678+01:00")).toBe(Date.UTC(2024, 0, 2, 2, 4, 5, 678));
    expect(parseDateTime("2024-01-02T03:04:05-0200")).toBe(Date.UTC(2024, 0, 2, 5, 4, 5, 0));
    expect(parseDateTime("2024-01-02T03:04:05.000")).toBe(new Date(2024, 0, 2, 3, 4, 5, 0).getTime());
    expect(() => parseDateTime("yesterday")).toThrow(UsageError);
    expect(() => parseDateTime("2024-13-40T00:00:00")).toThrow(UsageError);
    expect(integer("--shift-by", " -3 ")).toBe(-3n);
    expect(() => integer("--shift-by", "1.5")).toThrow(UsageError);
  });
});
