import { describe, expect, it } from "vitest";
import { FetchSessionCache } from "../../../broker/api/fetch-sessions.js";

describe("fetch session cache (KIP-227)", () => {
  it("follows the (sessionId, epoch) rules", () => {
    let now = 0;
    const c = new FetchSessionCache(2, () => now, 1000);
    expect(c.lookup(0, -1)).toEqual({ kind: "sessionless" });
    expect(c.lookup(0, 0)).toEqual({ kind: "new", closedId: null });
    const s = c.create(new Map(), false)!;
    expect(s.nextEpoch).toBe(1);
    expect(c.lookup(s.id, 2)).toEqual({ kind: "error", code: "INVALID_FETCH_SESSION_EPOCH" });
    const inc = c.lookup(s.id, 1);
    expect(inc.kind).toBe("incremental");
    c.advance(s);
    expect(c.lookup(s.id, 2).kind).toBe("incremental");
    expect(c.lookup(999, 1)).toEqual({ kind: "error", code: "FETCH_SESSION_ID_NOT_FOUND" });
    expect(c.lookup(s.id, -1)).toEqual({ kind: "sessionless" });
    expect(c.lookup(s.id, 2)).toEqual({ kind: "error", code: "FETCH_SESSION_ID_NOT_FOUND" });
    now = 10;
  });

  it("evicts only sessions idle long enough when full", () => {
    let now = 0;
    const c = new FetchSessionCache(1, () => now, 1000);
    const a = c.create(new Map(), false)!;
    now = 500;
    expect(c.create(new Map(), false)).toBeNull();
    now = 2000;
    const b = c.create(new Map(), false)!;
    expect(b.id).not.toBe(a.id);
    expect(c.lookup(a.id, 1)).toEqual({ kind: "error", code: "FETCH_SESSION_ID_NOT_FOUND" });
    expect(c.size).toBe(1);
  });
});
