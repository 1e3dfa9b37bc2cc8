import { KafkaError } from "../../protocol/errors/index.js";
import { LOG_CONFIG_KEYS, type LogConfig, logConfigFromProperties } from "../storage/config.js";

/** Topic naming and topic-config rules, as Kafka enforces them. */
export const MAX_TOPIC_NAME_LENGTH = 249;

/** Throws INVALID_TOPIC_EXCEPTION with Kafka's reasons. */
export function validateTopicName(name: string): void {
  if (name === "") throw KafkaError.of("INVALID_TOPIC_EXCEPTION", "Topic name is illegal, it can't be empty");
  if (name === "." || name === "..") {
    throw KafkaError.of("INVALID_TOPIC_EXCEPTION", `Topic name cannot be "." or ".."`);
  }
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw KafkaError.of(
      "INVALID_TOPIC_EXCEPTION",
      `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`,
    );
  }
  if (!/^[a-zA-Z0-9._-]+$/.test(name)) {
    throw KafkaError.of(
      "INVALID_TOPIC_EXCEPTION",
      `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`,
    );
  }
}

/** Topic-level keys Kafka knows that are not storage settings; accepted and kept in metadata. */
const OTHER_TOPIC_KEYS = [
  "min.insync.replicas",
  "compression.type",
  "compression.gzip.level",
  "compression.lz4.level",
  "compression.zstd.level",
  "unclean.leader.election.enable",
  "message.downconversion.enable",
  "message.format.version",
  "message.timestamp.difference.max.ms",
  "message.timestamp.before.max.ms",
  "message.timestamp.after.max.ms",
  "preallocate",
  "follower.replication.throttled.replicas",
  "leader.replication.throttled.replicas",
  "local.retention.ms",
  "local.retention.bytes",
  "remote.storage.enable",
];

export const TOPIC_CONFIG_KEYS: ReadonlySet<string> = new Set([...LOG_CONFIG_KEYS, ...OTHER_TOPIC_KEYS]);

/** Validate topic config overrides against the broker defaults; throws INVALID_CONFIG naming the key. */
export function validateTopicConfigs(configs: ReadonlyMap<string, string>, defaults: LogConfig): LogConfig {
  for (const k of configs.keys()) {
    if (!TOPIC_CONFIG_KEYS.has(k)) throw KafkaError.of("INVALID_CONFIG", `Unknown topic config name: ${k}`);
  }
  const mir = configs.get("min.insync.replicas");
  if (mir !== undefined && !/^\d+$/.test(mir.trim())) {
    throw KafkaError.of("INVALID_CONFIG", `Invalid value ${mir} for configuration min.insync.replicas`);
  }
  try {
    return logConfigFromProperties(Object.fromEntries(configs), defaults);
  } catch (err) {
    throw KafkaError.of("INVALID_CONFIG", (err as Error).message);
  }
}
