import { describe, expect, it } from "vitest";
import { prettyLine } from "../../../broker/logger.js";

describe("terminal log lines", () => {
  it("shows time, level, message and the other fields", () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 1, 12, 3, 4, 5),
      pid: 1,
      name: "gregor",
      msg: "hi",
      topic: "t",
      n: 3,
    });
    expect(prettyLine(line)).toBe("12:03:04.005 WARN  hi  topic=t n=3\n");
    expect(prettyLine("not json")).toBe("not json");
  });
});
