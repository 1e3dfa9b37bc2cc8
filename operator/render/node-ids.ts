/**
 * Node ids: ordinal n of a pool is node `firstNodeId + n`, forever. A pool keeps the first id it
 * was given (explicit nodeIdStart, else the one recorded earlier, else the lowest free block).
 */
import { NODE_ID_BLOCK } from "../constants.js";

export interface PoolIds {
  name: string;
  replicas: number;
  nodeIdStart?: number;
}

interface Range {
  start: number;
  end: number; // exclusive
}

const overlaps = (a: Range, b: Range) => a.start < b.end && b.start < a.end;

/** First node id per pool. Deterministic in (pools, previous). */
export function assignNodeIds(
  pools: readonly PoolIds[],
  previous: ReadonlyMap<string, number>,
): Map<string, number> {
  const out = new Map<string, number>();
  const taken: Range[] = [];
  const reserve = (p: PoolIds, start: number) => {
    out.set(p.name, start);
    taken.push({ start, end: start + Math.max(p.replicas, NODE_ID_BLOCK) });
  };
  for (const p of pools) {
    const fixed = p.nodeIdStart ?? previous.get(p.name);
    if (fixed !== undefined) reserve(p, fixed);
  }
  for (const p of pools) {
    if (out.has(p.name)) continue;
    let start = 0;
    const size = Math.max(p.replicas, NODE_ID_BLOCK);
    for (;;) {
      const candidate = { start, end: start + size };
      const clash = taken.find((r) => overlaps(r, candidate));
      if (!clash) break;
      start = Math.ceil(clash.end / NODE_ID_BLOCK) * NODE_ID_BLOCK;
    }
    reserve(p, start);
  }
  return out;
}

/** Problems with the ids: a pinned start that moved, or two pools sharing ids. */
export function nodeIdProblems(
  pools: readonly PoolIds[],
  previous: ReadonlyMap<string, number>,
  assigned: ReadonlyMap<string, number>,
): string[] {
  const problems: string[] = [];
  for (const p of pools) {
    const before = previous.get(p.name);
    if (p.nodeIdStart !== undefined && before !== undefined && before !== p.nodeIdStart) {
      problems.push(
        `pool ${p.name}: nodeIdStart ${p.nodeIdStart} differs from its node ids in use (from ${before})`,
      );
    }
  }
  const ranges = pools.map((p) => ({ name: p.name, start: assigned.get(p.name) ?? 0, replicas: p.replicas }));
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (
        overlaps({ start: a.start, end: a.start + a.replicas }, { start: b.start, end: b.start + b.replicas })
      ) {
        problems.push(`pools ${a.name} and ${b.name} would share node ids`);
      }
    }
  }
  return problems;
}
