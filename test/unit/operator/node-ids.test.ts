import { describe, expect, it } from "vitest";
import { assignNodeIds, nodeIdProblems } from "../../../operator/render/node-ids.js";

describe("node ids", () => {
  it("gives the first pool 0 and later pools the next free block of 100", () => {
    const pools = [
      { name: "a", replicas: 3 },
      { name: "b", replicas: 3 },
      { name: "c", replicas: 150 },
      { name: "d", replicas: 1 },
    ];
    expect(Object.fromEntries(assignNodeIds(pools, new Map()))).toEqual({ a: 0, b: 100, c: 200, d: 400 });
  });

  it("honours explicit starts and recorded starts before filling gaps", () => {
    const pools = [
      { name: "new", replicas: 3 },
      { name: "pinned", replicas: 3, nodeIdStart: 0 },
      { name: "old", replicas: 3 },
    ];
    expect(Object.fromEntries(assignNodeIds(pools, new Map([["old", 100]])))).toEqual({
      pinned: 0,
      old: 100,
      new: 200,
    });
  });

  it("reports a moved nodeIdStart and overlapping pools", () => {
    const pools = [
      { name: "a", replicas: 3, nodeIdStart: 5 },
      { name: "b", replicas: 3, nodeIdStart: 6 },
    ];
    const previous = new Map([["a", 0]]);
    const problems = nodeIdProblems(pools, previous, assignNodeIds(pools, previous));
    expect(problems).toEqual([
      "pool a: nodeIdStart 5 differs from its node ids in use (from 0)",
      "pools a and b would share node ids",
    ]);
  });
});
