import { describe, expect, it } from "vitest";
import {
  AlterOp,
  incrementalChanges,
  validateBrokerChanges,
  validateTopicConfigValues,
  valueProblem,
} from "../../../broker/config/alter.js";
import { KafkaError } from "../../../protocol/errors/index.js";

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof KafkaError ? e.errorName : String(e);
  }
  return "none";
}

describe("valueProblem", () => {
  it("checks values by type", () => {
    expect(valueProblem("boolean", "TRUE")).toBeNull();
    expect(valueProblem("boolean", "yes")).toMatch(/true or false/);
    expect(valueProblem("int", "2147483647")).toBeNull();
    expect(valueProblem("int", "2147483648")).toMatch(/INT/);
    expect(valueProblem("long", "9223372036854775807")).toBeNull();
    expect(valueProblem("long", "9223372036854775808")).toMatch(/LONG/);
    expect(valueProblem("long", "1e3")).toMatch(/LONG/);
    expect(valueProblem("double", "0.5")).toBeNull();
    expect(valueProblem("double", "")).toMatch(/DOUBLE/);
    expect(valueProblem("list", "compact, delete", ["delete", "compact"])).toBeNull();
    expect(valueProblem("list", "compact,shred", ["delete", "compact"])).toMatch(/shred/);
    expect(valueProblem("string", "zstd", ["zstd", "gzip"])).toBeNull();
    expect(valueProblem("string", "ZSTD", ["zstd", "gzip"])).toMatch(/one of/);
  });
});

describe("validateTopicConfigValues", () => {
  it("rejects unknown keys and badly typed values with INVALID_CONFIG", () => {
    expect(codeOf(() => validateTopicConfigValues(new Map([["retention.ms", "1000"]])))).toBe("none");
    expect(codeOf(() => validateTopicConfigValues(new Map([["retention.ms", null]])))).toBe("none");
    expect(codeOf(() => validateTopicConfigValues(new Map([["retention.ms", "soon"]])))).toBe(
      "INVALID_CONFIG",
    );
    expect(codeOf(() => validateTopicConfigValues(new Map([["compression.type", "brotli"]])))).toBe(
      "INVALID_CONFIG",
    );
    expect(codeOf(() => validateTopicConfigValues(new Map([["preallocate", "maybe"]])))).toBe(
      "INVALID_CONFIG",
    );
    expect(codeOf(() => validateTopicConfigValues(new Map([["no.such", "1"]])))).toBe("INVALID_CONFIG");
  });
});

describe("validateBrokerChanges", () => {
  it("allows dynamic keys with valid values only", () => {
    expect(codeOf(() => validateBrokerChanges(new Map([["log.retention.ms", "1000"]])))).toBe("none");
    expect(codeOf(() => validateBrokerChanges(new Map([["message.max.bytes", null]])))).toBe("none");
    expect(codeOf(() => validateBrokerChanges(new Map([["log.retention.hours", "1"]])))).toBe(
      "INVALID_REQUEST",
    );
    expect(codeOf(() => validateBrokerChanges(new Map([["listeners", "x"]])))).toBe("INVALID_REQUEST");
    expect(codeOf(() => validateBrokerChanges(new Map([["message.max.bytes", "big"]])))).toBe(
      "INVALID_CONFIG",
    );
    // In range for the type but below the storage minimum (segment.bytes >= 14).
    expect(codeOf(() => validateBrokerChanges(new Map([["log.segment.bytes", "10"]])))).toBe(
      "INVALID_CONFIG",
    );
    expect(codeOf(() => validateBrokerChanges(new Map([["log.cleanup.policy", "shred"]])))).toBe(
      "INVALID_CONFIG",
    );
  });
});

describe("incrementalChanges", () => {
  const current = new Map([
    ["cleanup.policy", "compact"],
    ["retention.ms", "1000"],
  ]);

  it("SET and DELETE produce values and removals", () => {
    const out = incrementalChanges(
      current,
      [
        { name: "retention.ms", op: AlterOp.DELETE, value: null },
        { name: "segment.bytes", op: AlterOp.SET, value: "2000" },
      ],
      true,
    );
    expect([...out]).toEqual([
      ["retention.ms", null],
      ["segment.bytes", "2000"],
    ]);
  });

  it("APPEND and SUBTRACT work on lists, starting from Kafka's default when unset", () => {
    expect([
      ...incrementalChanges(current, [{ name: "cleanup.policy", op: AlterOp.APPEND, value: "delete" }], true),
    ]).toEqual([["cleanup.policy", "compact,delete"]]);
    expect([
      ...incrementalChanges(
        current,
        [{ name: "cleanup.policy", op: AlterOp.APPEND, value: "compact" }],
        true,
      ),
    ]).toEqual([["cleanup.policy", "compact"]]);
    expect([
      ...incrementalChanges(
        new Map(),
        [{ name: "cleanup.policy", op: AlterOp.APPEND, value: "compact" }],
        true,
      ),
    ]).toEqual([["cleanup.policy", "delete,compact"]]);
    expect([
      ...incrementalChanges(
        new Map(),
        [{ name: "cleanup.policy", op: AlterOp.SUBTRACT, value: "delete" }],
        true,
      ),
    ]).toEqual([["cleanup.policy", ""]]);
    expect([
      ...incrementalChanges(
        new Map(),
        [{ name: "leader.replication.throttled.replicas", op: AlterOp.APPEND, value: "0:1,1:1" }],
        true,
      ),
    ]).toEqual([["leader.replication.throttled.replicas", "0:1,1:1"]]);
  });

  it("refuses list operations on non-lists, duplicate keys, null SETs and unknown operations", () => {
    expect(
      codeOf(() =>
        incrementalChanges(current, [{ name: "retention.ms", op: AlterOp.APPEND, value: "1" }], true),
      ),
    ).toBe("INVALID_CONFIG");
    expect(
      codeOf(() =>
        incrementalChanges(
          current,
          [
            { name: "retention.ms", op: AlterOp.SET, value: "1" },
            { name: "retention.ms", op: AlterOp.DELETE, value: null },
          ],
          true,
        ),
      ),
    ).toBe("INVALID_REQUEST");
    expect(
      codeOf(() =>
        incrementalChanges(current, [{ name: "retention.ms", op: AlterOp.SET, value: null }], true),
      ),
    ).toBe("INVALID_REQUEST");
    expect(
      codeOf(() => incrementalChanges(current, [{ name: "retention.ms", op: 9, value: "1" }], true)),
    ).toBe("INVALID_REQUEST");
  });
});
