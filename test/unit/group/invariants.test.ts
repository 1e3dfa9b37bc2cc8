/**
 * Random interleavings of group operations and time: the coordinator never throws, every parked
 * request is eventually answered, and the group's bookkeeping stays consistent.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClassicGroup } from "../../../broker/coordinator/group/group.js";
import type { JoinGroupResult } from "../../../broker/coordinator/group/types.js";
import { flush, joinReq, setup, syncReq } from "./harness.js";

const G = "prop-group";

type Op =
  | { kind: "join"; client: number; version: number; isStatic: boolean; meta: number }
  | { kind: "sync"; client: number }
  | { kind: "heartbeat"; client: number }
  | { kind: "leave"; client: number }
  | { kind: "commit"; client: number }
  | { kind: "advance"; ms: number };

const client = fc.integer({ min: 0, max: 2 });
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("join" as const),
    client,
    version: fc.constantFrom(3, 5, 9),
    isStatic: fc.boolean(),
    meta: fc.integer({ min: 0, max: 1 }),
  }),
  fc.record({ kind: fc.constant("sync" as const), client }),
  fc.record({ kind: fc.constant("heartbeat" as const), client }),
  fc.record({ kind: fc.constant("leave" as const), client }),
  fc.record({ kind: fc.constant("commit" as const), client }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.constantFrom(0, 100, 3000, 9000, 31_000) }),
);

function checkInvariants(group: ClassicGroup): void {
  const members = [...group.members.values()];
  expect(group.numMembersAwaitingJoin).toBe(members.filter((m) => m.isAwaitingJoin).length);
  if (members.length === 0) expect(group.leaderId).toBeNull();
  else expect(group.members.has(group.leaderId!)).toBe(true);
  if (group.is("Stable") || group.is("CompletingRebalance")) expect(members.length).toBeGreaterThan(0);
  for (const m of members) {
    if (m.groupInstanceId !== null) expect(group.staticMemberId(m.groupInstanceId)).toBe(m.memberId);
  }
  for (const id of group.pendingSyncMembers) expect(group.members.has(id)).toBe(true);
}

describe("group state machine invariants", () => {
  it("never throws, answers every request and keeps its bookkeeping consistent", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const h = await setup({ "group.initial.rebalance.delay.ms": 1000 });
        const groups = (h.coord as unknown as { groups: Map<string, ClassicGroup> }).groups;
        const state = [0, 1, 2].map((i) => ({
          memberId: "",
          instance: `inst-${i}`,
          isStatic: false,
          join: null as JoinGroupResult | null,
        }));
        const outstanding: Promise<unknown>[] = [];
        for (const o of ops) {
          if (o.kind === "advance") {
            h.time.advance(o.ms);
            await flush();
          } else {
            const c = state[o.client]!;
            const instance = c.isStatic ? c.instance : null;
            const gen = c.join?.generationId ?? -1;
            let p: Promise<unknown>;
            switch (o.kind) {
              case "join": {
                c.isStatic = o.isStatic;
                const req = joinReq(G, {
                  apiVersion: o.version,
                  memberId: c.memberId,
                  groupInstanceId: o.isStatic ? c.instance : null,
                  clientId: `c${o.client}`,
                  protocols: [{ name: "range", metadata: Buffer.from([o.meta]) }],
                });
                p = h.coord.joinGroup(req).then((r) => {
                  if (r.memberId !== "") c.memberId = r.memberId;
                  if (r.errorCode === 0) c.join = r;
                  if (r.errorCode === 25) c.memberId = "";
                });
                break;
              }
              case "sync":
                p = c.join
                  ? h.coord.syncGroup(
                      syncReq(G, c.join, {
                        groupInstanceId: instance,
                        assignments: c.join.members.map((m) => ({
                          memberId: m.memberId,
                          assignment: Buffer.from("x"),
                        })),
                      }),
                    )
                  : Promise.resolve();
                break;
              case "heartbeat":
                p = h.coord.heartbeat({
                  groupId: G,
                  generationId: gen,
                  memberId: c.memberId,
                  groupInstanceId: instance,
                });
                break;
              case "leave":
                p = h.coord.leaveGroup({
                  groupId: G,
                  members: [{ memberId: c.memberId, groupInstanceId: instance }],
                });
                break;
              case "commit":
                p = h.coord.commitOffsets({
                  groupId: G,
                  generationId: gen,
                  memberId: c.memberId,
                  groupInstanceId: instance,
                  topics: [
                    {
                      name: "t",
                      partitions: [
                        {
                          partitionIndex: 0,
                          committedOffset: 1n,
                          committedLeaderEpoch: -1,
                          committedMetadata: null,
                        },
                      ],
                    },
                  ],
                });
                break;
            }
            outstanding.push(p);
            await flush();
          }
          const g = groups.get(G);
          if (g) checkInvariants(g);
        }
        // With nobody acting any more, every parked request must be answered.
        let settled = 0;
        for (const p of outstanding) void p.then(() => settled++);
        for (let i = 0; i < 20; i++) {
          h.time.advance(60_000);
          await flush();
        }
        expect(settled).toBe(outstanding.length);
        const g = groups.get(G);
        if (g) {
          checkInvariants(g);
          expect(g.state).toBe("Empty"); // all sessions expired
        }
        h.coord.shutdown();
      }),
      { numRuns: 60 },
    );
  });
});
