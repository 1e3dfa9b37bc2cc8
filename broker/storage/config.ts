/**
 * Per-log configuration, named after Kafka's topic-level configs (camelCase), with Kafka's defaults.
 * Long.MAX_VALUE defaults are kept as a plain (huge) number: they only ever mean "never".
 */
export type CleanupPolicy = "delete" | "compact" | "compact,delete";
export type TimestampType = "CreateTime" | "LogAppendTime";

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  segmentJitterMs: number;
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  /** -1 = keep forever */
  retentionMs: number;
  /** -1 = no size limit */
  retentionBytes: number;
  cleanupPolicy: CleanupPolicy;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  maxCompactionLagMs: number;
  flushMessages: number;
  flushMs: number;
  messageTimestampType: TimestampType;
  maxMessageBytes: number;
  fileDeleteDelayMs: number;
}

/** Long.MAX_VALUE as the nearest double (2^63): only ever compared against, meaning "never". */
export const LONG_MAX = 2 ** 63;

export function defaultLogConfig(): LogConfig {
  return {
    segmentBytes: 1024 * 1024 * 1024,
    segmentMs: 7 * 24 * 3600 * 1000,
    segmentJitterMs: 0,
    indexIntervalBytes: 4096,
    segmentIndexBytes: 10 * 1024 * 1024,
    retentionMs: 7 * 24 * 3600 * 1000,
    retentionBytes: -1,
    cleanupPolicy: "delete",
    deleteRetentionMs: 24 * 3600 * 1000,
    minCleanableDirtyRatio: 0.5,
    minCompactionLagMs: 0,
    maxCompactionLagMs: LONG_MAX,
    flushMessages: LONG_MAX,
    flushMs: LONG_MAX,
    messageTimestampType: "CreateTime",
    maxMessageBytes: 1024 * 1024 + 12,
    fileDeleteDelayMs: 60_000,
  };
}

export class ConfigError extends Error {
  override name = "ConfigError";
  /** INVALID_CONFIG */
  readonly code = 40;
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(`${key}: ${message}`);
  }
}

type Parser = (key: string, raw: string) => unknown;

const int =
  (min: number, max = LONG_MAX): Parser =>
  (key, raw) => {
    const s = raw.trim();
    if (!/^-?\d+$/.test(s)) throw new ConfigError(key, `'${raw}' is not an integer`);
    const v = Number(s);
    if (v < min || v > max) throw new ConfigError(key, `${s} is outside [${min}, ${max}]`);
    return v;
  };

const INT_MAX = 2147483647;

const ratio: Parser = (key, raw) => {
  const v = Number(raw.trim());
  if (raw.trim() === "" || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new ConfigError(key, `'${raw}' is not a number in [0, 1]`);
  }
  return v;
};

const oneOf =
  (choices: string[], normalise: (s: string) => string = (s) => s): Parser =>
  (key, raw) => {
    const v = normalise(raw.trim());
    if (!choices.includes(v)) throw new ConfigError(key, `'${raw}' must be one of ${choices.join(", ")}`);
    return v;
  };

const policy: Parser = (key, raw) => {
  const parts = [
    ...new Set(
      raw
        .split(",")
        .map((s) => s.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
  if (parts.length === 0 || parts.some((p) => p !== "delete" && p !== "compact")) {
    throw new ConfigError(key, `'${raw}' must be delete, compact or compact,delete`);
  }
  return parts.length === 2 ? "compact,delete" : parts[0];
};

/** Kafka topic key -> [LogConfig field, parser]. */
const KEYS: Record<string, [keyof LogConfig, Parser]> = {
  "segment.bytes": ["segmentBytes", int(14, INT_MAX)],
  "segment.ms": ["segmentMs", int(1)],
  "segment.jitter.ms": ["segmentJitterMs", int(0)],
  "index.interval.bytes": ["indexIntervalBytes", int(0, INT_MAX)],
  "segment.index.bytes": ["segmentIndexBytes", int(4, INT_MAX)],
  "retention.ms": ["retentionMs", int(-1)],
  "retention.bytes": ["retentionBytes", int(-1)],
  "cleanup.policy": ["cleanupPolicy", policy],
  "delete.retention.ms": ["deleteRetentionMs", int(0)],
  "min.cleanable.dirty.ratio": ["minCleanableDirtyRatio", ratio],
  "min.compaction.lag.ms": ["minCompactionLagMs", int(0)],
  "max.compaction.lag.ms": ["maxCompactionLagMs", int(1)],
  "flush.messages": ["flushMessages", int(1)],
  "flush.ms": ["flushMs", int(0)],
  "message.timestamp.type": ["messageTimestampType", oneOf(["CreateTime", "LogAppendTime"])],
  "max.message.bytes": ["maxMessageBytes", int(0, INT_MAX)],
  "file.delete.delay.ms": ["fileDeleteDelayMs", int(0)],
};

export const LOG_CONFIG_KEYS: readonly string[] = Object.keys(KEYS);

/**
 * Apply Kafka topic-level properties on top of `base`. Keys that are not storage settings
 * (min.insync.replicas, compression.type, ...) are ignored here; bad values throw a ConfigError
 * naming the key.
 */
export function logConfigFromProperties(props: Record<string, string>, base: LogConfig): LogConfig {
  const out: LogConfig = { ...base };
  for (const [key, raw] of Object.entries(props)) {
    const entry = KEYS[key];
    if (!entry) continue;
    const [field, parse] = entry;
    (out as unknown as Record<string, unknown>)[field] = parse(key, String(raw));
  }
  return out;
}

export const isCompacted = (c: LogConfig): boolean => c.cleanupPolicy !== "delete";
export const hasDeletePolicy = (c: LogConfig): boolean => c.cleanupPolicy !== "compact";
