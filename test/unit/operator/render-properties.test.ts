import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ANNOTATION_FIRST_NODE_ID } from "../../../operator/constants.js";
import type { KafkaClusterSpec, NodePool } from "../../../operator/crd/schema.js";
import { validateClusterSpec } from "../../../operator/crd/validate.js";
import { renderCluster } from "../../../operator/render/index.js";
import { assignNodeIds } from "../../../operator/render/node-ids.js";
import { CLUSTER_ID, cluster } from "./fixtures.js";

const poolArb: fc.Arbitrary<NodePool> = fc.record({
  name: fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
  roles: fc.constantFrom<NodePool["roles"]>(["broker"], ["controller"], ["broker", "controller"]),
  replicas: fc.integer({ min: 1, max: 7 }),
});

const specArb: fc.Arbitrary<KafkaClusterSpec> = fc
  .record({
    nodePools: fc.uniqueArray(poolArb, { minLength: 1, maxLength: 4, selector: (p) => p.name }),
    config: fc.dictionary(
      fc.constantFrom("num.partitions", "log.retention.hours", "default.replication.factor"),
      fc.nat(100),
    ),
  })
  .filter((s) => validateClusterSpec("c", s).length === 0);

/** What the reconciler reads back from the StatefulSets it applied. */
function recordedNodeIds(objs: ReturnType<typeof renderCluster>): Map<string, number> {
  const out = new Map<string, number>();
  for (const o of objs) {
    if (o.kind !== "StatefulSet") continue;
    const pool = o.metadata.labels!["kafka.gregor.dev/pool"]!;
    out.set(pool, Number(o.metadata.annotations![ANNOTATION_FIRST_NODE_ID]));
  }
  return out;
}

describe("render properties", () => {
  it("is deterministic", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        expect(renderCluster(cluster(spec), CLUSTER_ID)).toEqual(
          renderCluster(cluster(structuredClone(spec)), CLUSTER_ID),
        );
      }),
      { numRuns: 60 },
    );
  });

  it("converges: rendering again from what was applied changes nothing", () => {
    fc.assert(
      fc.property(specArb, (spec) => {
        const first = renderCluster(cluster(spec), CLUSTER_ID);
        const second = renderCluster(cluster(spec), CLUSTER_ID, recordedNodeIds(first));
        expect(JSON.stringify(second)).toBe(JSON.stringify(first));
      }),
      { numRuns: 60 },
    );
  });

  it("keeps existing node ids when a pool is added or pools are reordered", () => {
    fc.assert(
      fc.property(specArb, poolArb, (spec, extra) => {
        fc.pre(!spec.nodePools!.some((p) => p.name === extra.name));
        const before = recordedNodeIds(renderCluster(cluster(spec), CLUSTER_ID));
        const grown = { ...spec, nodePools: [extra, ...spec.nodePools!].reverse() };
        const after = recordedNodeIds(renderCluster(cluster(grown), CLUSTER_ID, before));
        for (const [pool, id] of before) expect(after.get(pool)).toBe(id);
      }),
      { numRuns: 60 },
    );
  });

  it("never gives two pods the same node id", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(poolArb, { minLength: 1, maxLength: 6, selector: (p) => p.name }),
        (pools) => {
          const starts = assignNodeIds(pools, new Map());
          const ids = pools.flatMap((p) =>
            Array.from({ length: p.replicas }, (_, i) => starts.get(p.name)! + i),
          );
          expect(new Set(ids).size).toBe(ids.length);
        },
      ),
      { numRuns: 100 },
    );
  });
});
