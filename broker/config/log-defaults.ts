import { defaultLogConfig, type LogConfig, logConfigFromProperties } from "../storage/config.js";

/**
 * Broker-level log settings (server.properties `log.*`, `message.max.bytes`) are the defaults of
 * the topic-level settings; this maps them to the topic-level names storage understands, with
 * Kafka's precedence (ms over minutes over hours).
 */
const DIRECT: Record<string, string> = {
  "log.segment.bytes": "segment.bytes",
  "log.roll.jitter.ms": "segment.jitter.ms",
  "log.index.interval.bytes": "index.interval.bytes",
  "log.index.size.max.bytes": "segment.index.bytes",
  "log.retention.bytes": "retention.bytes",
  "log.cleanup.policy": "cleanup.policy",
  "log.cleaner.delete.retention.ms": "delete.retention.ms",
  "log.cleaner.min.cleanable.ratio": "min.cleanable.dirty.ratio",
  "log.cleaner.min.compaction.lag.ms": "min.compaction.lag.ms",
  "log.cleaner.max.compaction.lag.ms": "max.compaction.lag.ms",
  "log.flush.interval.messages": "flush.messages",
  "log.flush.interval.ms": "flush.ms",
  "log.message.timestamp.type": "message.timestamp.type",
  "message.max.bytes": "max.message.bytes",
  "log.segment.delete.delay.ms": "file.delete.delay.ms",
};

const HOUR = 3_600_000;

function firstOf(props: Map<string, string>, keys: [string, number][]): string | null {
  for (const [k, mult] of keys) {
    const v = props.get(k)?.trim();
    if (v === undefined || v === "") continue;
    if (!/^-?\d+$/.test(v)) return v; // let the parser report it under the topic-level name
    const n = Number(v);
    return String(n < 0 ? -1 : n * mult);
  }
  return null;
}

/** server.properties -> topic-level default properties (only keys that were set). */
export function topicDefaultsFromBroker(props: Map<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [broker, topic] of Object.entries(DIRECT)) {
    const v = props.get(broker);
    if (v !== undefined) out[topic] = v.trim();
  }
  const retention = firstOf(props, [
    ["log.retention.ms", 1],
    ["log.retention.minutes", 60_000],
    ["log.retention.hours", HOUR],
  ]);
  if (retention !== null) out["retention.ms"] = retention;
  const roll = firstOf(props, [
    ["log.roll.ms", 1],
    ["log.roll.hours", HOUR],
  ]);
  if (roll !== null) out["segment.ms"] = roll;
  return out;
}

/** The LogConfig every topic starts from on this broker. Throws storage's ConfigError on bad values. */
export function brokerLogDefaults(props: Map<string, string>): LogConfig {
  return logConfigFromProperties(topicDefaultsFromBroker(props), defaultLogConfig());
}
