/** Condition bookkeeping: lastTransitionTime moves only when a condition's status changes. */
import type { Condition } from "../crd/schema.js";

export type ConditionInput = Pick<Condition, "type" | "status" | "reason" | "message">;

export function setConditions(
  previous: readonly Condition[] | undefined,
  updates: readonly ConditionInput[],
  now: string,
  generation: number | undefined,
): Condition[] {
  const out = [...(previous ?? [])];
  for (const u of updates) {
    const i = out.findIndex((c) => c.type === u.type);
    const old = i >= 0 ? out[i] : undefined;
    const next: Condition = {
      type: u.type,
      status: u.status,
      reason: u.reason ?? "",
      message: u.message ?? "",
      lastTransitionTime: old && old.status === u.status ? (old.lastTransitionTime ?? now) : now,
      ...(generation !== undefined ? { observedGeneration: generation } : {}),
    };
    if (i >= 0) out[i] = next;
    else out.push(next);
  }
  return out;
}

export function removeConditions(previous: readonly Condition[], types: readonly string[]): Condition[] {
  return previous.filter((c) => !types.includes(c.type));
}

export const findCondition = (conditions: readonly Condition[] | undefined, type: string) =>
  conditions?.find((c) => c.type === type);
