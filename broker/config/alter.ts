import { KafkaError } from "../../protocol/errors/index.js";
import { defaultLogConfig, logConfigFromProperties } from "../storage/config.js";
import {
  BROKER_CONFIG_BY_NAME,
  DYNAMIC_BROKER_CONFIGS,
  TOPIC_CONFIG_BY_NAME,
  TOPIC_CONFIG_DEFS,
  type ValueType,
} from "./catalog.js";

/**
 * Checking and applying config changes: value checks by type (Kafka's ConfigDef rules), the
 * dynamic-broker rules, and IncrementalAlterConfigs' SET / DELETE / APPEND / SUBTRACT.
 */
export const AlterOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

export interface AlterEntry {
  name: string;
  op: number;
  value: string | null;
}

const INT_MIN = -2147483648n;
const INT_MAX = 2147483647n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Why `raw` is not a valid value of `type` (null when it is). */
export function valueProblem(type: ValueType, raw: string, oneOf?: readonly string[]): string | null {
  const s = raw.trim();
  switch (type) {
    case "boolean":
      return /^(true|false)$/i.test(s) ? null : "Expected value to be either true or false";
    case "int":
    case "long": {
      if (!/^-?\d+$/.test(s)) return `Not a number of type ${type.toUpperCase()}`;
      const n = BigInt(s);
      const [lo, hi] = type === "int" ? [INT_MIN, INT_MAX] : [LONG_MIN, LONG_MAX];
      return n < lo || n > hi ? `Not a number of type ${type.toUpperCase()}` : null;
    }
    case "double":
      return s !== "" && Number.isFinite(Number(s)) ? null : "Not a number of type DOUBLE";
    case "list": {
      if (!oneOf) return null;
      const bad = s
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "" && !oneOf.includes(x));
      return bad.length ? `Invalid value ${bad[0]} for list, must be one of: ${oneOf.join(", ")}` : null;
    }
    default:
      return oneOf && !oneOf.includes(s) ? `String must be one of: ${oneOf.join(", ")}` : null;
  }
}

function invalidValue(name: string, raw: string, why: string): KafkaError {
  return KafkaError.of("INVALID_CONFIG", `Invalid value ${raw} for configuration ${name}: ${why}`);
}

/** Topic overrides: known keys, values of the right type (ranges are checked by storage's parser). */
export function validateTopicConfigValues(configs: ReadonlyMap<string, string | null>): void {
  for (const [name, raw] of configs) {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (!def) throw KafkaError.of("INVALID_CONFIG", `Unknown topic config name: ${name}`);
    if (raw === null) continue;
    const why = valueProblem(def.type, raw, def.oneOf);
    if (why) throw invalidValue(name, raw, why);
  }
}

/**
 * Dynamic broker changes: only keys Kafka lets change at runtime; values checked by type and, for
 * log defaults, by the same parser that reads the topic-level key.
 */
export function validateBrokerChanges(changes: ReadonlyMap<string, string | null>): void {
  const readOnly = [...changes.keys()].filter((k) => !DYNAMIC_BROKER_CONFIGS.has(k));
  if (readOnly.length > 0) {
    throw KafkaError.of(
      "INVALID_REQUEST",
      `Cannot update these configs dynamically: ${readOnly.join(", ")} (read-only or unknown broker configs)`,
    );
  }
  for (const [name, raw] of changes) {
    if (raw === null) continue;
    const topicDef = TOPIC_CONFIG_DEFS.find((d) => d.brokerSynonym === name);
    const type = BROKER_CONFIG_BY_NAME.get(name)?.type ?? topicDef?.type ?? "string";
    const why = valueProblem(type, raw, topicDef?.oneOf);
    if (why) throw invalidValue(name, raw, why);
    if (topicDef) {
      try {
        logConfigFromProperties({ [topicDef.name]: raw }, defaultLogConfig());
      } catch (err) {
        throw invalidValue(name, raw, (err as Error).message);
      }
    }
  }
}

/** Type of a key on a resource (topic configs, else broker configs). */
function typeOf(name: string, topic: boolean): ValueType | undefined {
  return topic ? TOPIC_CONFIG_BY_NAME.get(name)?.type : BROKER_CONFIG_BY_NAME.get(name)?.type;
}

function defaultOf(name: string, topic: boolean): string {
  return (topic ? TOPIC_CONFIG_BY_NAME.get(name)?.default : BROKER_CONFIG_BY_NAME.get(name)?.default) ?? "";
}

const split = (s: string): string[] =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");

/**
 * IncrementalAlterConfigs on a resource whose current settings are `current`: returns the keys
 * that change, value null meaning "remove". APPEND/SUBTRACT work on list configs and start from
 * the current value, or Kafka's default when the key is unset.
 */
export function incrementalChanges(
  current: ReadonlyMap<string, string>,
  entries: readonly AlterEntry[],
  topic: boolean,
): Map<string, string | null> {
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.name))
      throw KafkaError.of("INVALID_REQUEST", `Error due to duplicate config keys: ${e.name}`);
    seen.add(e.name);
  }
  const changes = new Map<string, string | null>();
  for (const e of entries) {
    switch (e.op) {
      case AlterOp.SET:
        if (e.value === null)
          throw KafkaError.of("INVALID_REQUEST", `Null value not supported for: ${e.name}`);
        changes.set(e.name, e.value);
        break;
      case AlterOp.DELETE:
        changes.set(e.name, null);
        break;
      case AlterOp.APPEND:
      case AlterOp.SUBTRACT: {
        const type = typeOf(e.name, topic);
        if (type === undefined) {
          throw KafkaError.of("INVALID_CONFIG", `Unknown config name: ${e.name}`);
        }
        if (type !== "list") {
          throw KafkaError.of(
            "INVALID_CONFIG",
            `Config value append/subtract is not allowed for config key: ${e.name} (not a list)`,
          );
        }
        const base = split(current.get(e.name) ?? defaultOf(e.name, topic));
        const given = split(e.value ?? "");
        const next =
          e.op === AlterOp.APPEND
            ? [...base, ...given.filter((g) => !base.includes(g))]
            : base.filter((b) => !given.includes(b));
        changes.set(e.name, next.join(","));
        break;
      }
      default:
        throw KafkaError.of("INVALID_REQUEST", `Unknown config operation ${e.op} for ${e.name}`);
    }
  }
  return changes;
}
