/**
 * The pure part of `consumer-groups --reset-offsets`: option values to a scenario, and a scenario
 * plus the partitions' earliest/latest/at-time/committed offsets to the new offsets (clamped to
 * the log's range, as kafka-consumer-groups.sh does).
 */

/** Bad command-line input: the command prints it with the usage text and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** 'YYYY-MM-DDTHH:mm:SS[.sss]' with an optional Z or ±hh:mm (local time without one), as epoch ms. */
export function parseDateTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    s.trim(),
  );
  if (!m) throw new UsageError(`Error parsing date '${s}': expected format 'YYYY-MM-DDTHH:mm:SS.sss'`);
  const zone =
    m[8] && m[8] !== "Z" && !m[8].includes(":") ? `${m[8].slice(0, 3)}:${m[8].slice(3)}` : (m[8] ?? "");
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${(m[7] ?? "0").padEnd(3, "0")}${zone}`;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new UsageError(`Error parsing date '${s}'`);
  return ms;
}

export function integer(name: string, s: string): bigint {
  if (!/^-?\d+$/.test(s.trim())) throw new UsageError(`${name} needs an integer, got '${s}'`);
  return BigInt(s.trim());
}

export type Scenario =
  | { kind: "earliest" | "latest" | "current" }
  | { kind: "offset" | "shift"; n: bigint }
  | { kind: "datetime"; ts: bigint };

export interface PartitionOffsets {
  /** "topic:partition" -> offset (null: none). */
  earliest: Map<string, bigint | null>;
  latest: Map<string, bigint | null>;
  /** For --to-datetime: the first offset at or after the time (null: none, i.e. the end). */
  atTime: Map<string, bigint | null> | null;
  committed: Map<string, bigint>;
}

export interface PlannedOffset {
  topic: string;
  partition: number;
  offset: bigint;
}

export function planReset(
  parts: { topic: string; partition: number }[],
  scenario: Scenario,
  o: PartitionOffsets,
): PlannedOffset[] {
  return parts.map((p) => ({ ...p, offset: newOffset(p, scenario, o) }));
}

function newOffset(p: { topic: string; partition: number }, scenario: Scenario, o: PartitionOffsets): bigint {
  const k = `${p.topic}:${p.partition}`;
  const lo = o.earliest.get(k) ?? 0n;
  const hi = o.latest.get(k) ?? lo;
  const clamp = (x: bigint) => (x < lo ? lo : x > hi ? hi : x);
  switch (scenario.kind) {
    case "earliest":
      return lo;
    case "latest":
      return hi;
    case "current":
      return o.committed.get(k) ?? hi;
    case "offset":
      return clamp(scenario.n);
    case "shift": {
      const base = o.committed.get(k);
      if (base === undefined) {
        throw new Error(`Expected a committed offset for ${p.topic}-${p.partition} to shift from`);
      }
      return clamp(base + scenario.n);
    }
    case "datetime":
      return clamp(o.atTime?.get(k) ?? hi);
  }
}
