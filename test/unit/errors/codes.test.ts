import { describe, expect, it } from "vitest";
import { ALL_ERRORS, ErrorCode, errorInfo, isRetriable, KafkaError } from "../../../protocol/errors/index.js";

describe("Kafka error table", () => {
  it("has the documented codes, names and retriable flags", () => {
    const spot: Array<[number, string, boolean]> = [
      [-1, "UNKNOWN_SERVER_ERROR", false],
      [0, "NONE", false],
      [1, "OFFSET_OUT_OF_RANGE", false],
      [2, "CORRUPT_MESSAGE", true],
      [3, "UNKNOWN_TOPIC_OR_PARTITION", true],
      [6, "NOT_LEADER_OR_FOLLOWER", true],
      [10, "MESSAGE_TOO_LARGE", false],
      [15, "COORDINATOR_NOT_AVAILABLE", true],
      [16, "NOT_COORDINATOR", true],
      [25, "UNKNOWN_MEMBER_ID", false],
      [27, "REBALANCE_IN_PROGRESS", false],
      [35, "UNSUPPORTED_VERSION", false],
      [41, "NOT_CONTROLLER", true],
      [47, "INVALID_PRODUCER_EPOCH", false],
      [56, "KAFKA_STORAGE_ERROR", true],
      [58, "SASL_AUTHENTICATION_FAILED", false],
      [72, "LISTENER_NOT_FOUND", true],
      [79, "MEMBER_ID_REQUIRED", false],
      [87, "INVALID_RECORD", false],
      [88, "UNSTABLE_OFFSET_COMMIT", true],
      [89, "THROTTLING_QUOTA_EXCEEDED", true],
      [90, "PRODUCER_FENCED", false],
      [100, "UNKNOWN_TOPIC_ID", true],
      [103, "INCONSISTENT_TOPIC_ID", true],
      [110, "FENCED_MEMBER_EPOCH", false],
      [120, "TRANSACTION_ABORTABLE", false],
      [122, "SHARE_SESSION_NOT_FOUND", true],
      [129, "REBOOTSTRAP_REQUIRED", false],
      [133, "SHARE_SESSION_LIMIT_REACHED", true],
    ];
    for (const [code, name, retriable] of spot) {
      const info = errorInfo(code);
      expect(info, name).toMatchObject({ code, name, retriable });
      expect(info.message.length).toBeGreaterThan(5);
      expect((ErrorCode as Record<string, number>)[name]).toBe(code);
      expect(isRetriable(code)).toBe(retriable);
    }
    expect(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION).toBe(3);
  });

  it("covers every code from -1 to 133 exactly once with unique names", () => {
    const codes = ALL_ERRORS.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect(new Set(ALL_ERRORS.map((e) => e.name)).size).toBe(codes.length);
    expect([...codes].sort((a, b) => a - b)).toEqual(Array.from({ length: 135 }, (_, i) => i - 1));
    expect(Object.keys(ErrorCode)).toHaveLength(135);
    for (const e of ALL_ERRORS) expect(e.name).toMatch(/^[A-Z][A-Z0-9_]*$/);
  });

  it("describes unknown codes without pretending they are known", () => {
    expect(errorInfo(9999)).toMatchObject({ code: 9999, retriable: false });
    expect(errorInfo(9999).name).toContain("9999");
    expect(isRetriable(9999)).toBe(false);
  });
});

describe("KafkaError", () => {
  it("carries code, name and retriable flag", () => {
    const e = KafkaError.of("NOT_LEADER_OR_FOLLOWER", "partition t-0 moved");
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(6);
    expect(e.retriable).toBe(true);
    expect(e.errorName).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(e.message).toBe("partition t-0 moved");
    expect(String(e)).toContain("NOT_LEADER_OR_FOLLOWER (6)");
    const d = new KafkaError(ErrorCode.INVALID_RECORD);
    expect(d.retriable).toBe(false);
    expect(d.message).toBe(errorInfo(87).message);
  });
});
