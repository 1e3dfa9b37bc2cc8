import { CONFIG_DEFS, type ConfigDef } from "./definitions.js";

/**
 * The configs DescribeConfigs lists, with what Kafka 3.9 says about them: topic-level configs
 * with their broker-level synonym (the server.properties key that supplies the default), broker
 * keys that exist only as such synonyms, which broker keys may change at runtime, and the
 * response's type and source ids.
 */

/** DescribeConfigs ConfigSource ids. */
export const ConfigSource = {
  UNKNOWN: 0,
  TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

/** DescribeConfigs ConfigType ids (v3+). */
export const ConfigTypeId = {
  UNKNOWN: 0,
  BOOLEAN: 1,
  STRING: 2,
  INT: 3,
  SHORT: 4,
  LONG: 5,
  DOUBLE: 6,
  LIST: 7,
  CLASS: 8,
  PASSWORD: 9,
} as const;

export type ValueType = ConfigDef["type"];

export function configTypeId(t: ValueType): number {
  switch (t) {
    case "boolean":
      return ConfigTypeId.BOOLEAN;
    case "string":
      return ConfigTypeId.STRING;
    case "int":
      return ConfigTypeId.INT;
    case "long":
      return ConfigTypeId.LONG;
    case "double":
      return ConfigTypeId.DOUBLE;
    case "list":
      return ConfigTypeId.LIST;
  }
}

export interface TopicConfigDef {
  name: string;
  type: ValueType;
  /** Kafka's topic-level default, as Kafka prints it. */
  default: string;
  doc: string;
  /** The broker key whose value is this config's default (Kafka's topic config synonym). */
  brokerSynonym?: string;
  /** Allowed values (compared case-insensitively for lists of enums). */
  oneOf?: string[];
}

const LONG_MAX = "9223372036854775807";
const COMPRESSION = ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"];

export const TOPIC_CONFIG_DEFS: readonly TopicConfigDef[] = [
  {
    name: "cleanup.policy",
    type: "list",
    default: "delete",
    brokerSynonym: "log.cleanup.policy",
    oneOf: ["delete", "compact"],
    doc: "What happens to old segments: delete them (retention) and/or compact them by key.",
  },
  {
    name: "compression.gzip.level",
    type: "int",
    default: "-1",
    brokerSynonym: "compression.gzip.level",
    doc: "Gzip level used when compression.type is gzip.",
  },
  {
    name: "compression.lz4.level",
    type: "int",
    default: "9",
    brokerSynonym: "compression.lz4.level",
    doc: "LZ4 level used when compression.type is lz4.",
  },
  {
    name: "compression.type",
    type: "string",
    default: "producer",
    brokerSynonym: "compression.type",
    oneOf: COMPRESSION,
    doc: "Final compression of the topic's data; 'producer' keeps what the producer sent.",
  },
  {
    name: "compression.zstd.level",
    type: "int",
    default: "3",
    brokerSynonym: "compression.zstd.level",
    doc: "Zstd level used when compression.type is zstd.",
  },
  {
    name: "delete.retention.ms",
    type: "long",
    default: "86400000",
    brokerSynonym: "log.cleaner.delete.retention.ms",
    doc: "How long tombstones stay readable on compacted topics.",
  },
  {
    name: "file.delete.delay.ms",
    type: "long",
    default: "60000",
    brokerSynonym: "log.segment.delete.delay.ms",
    doc: "Delay before a deleted segment's files are removed from disk.",
  },
  {
    name: "flush.messages",
    type: "long",
    default: LONG_MAX,
    brokerSynonym: "log.flush.interval.messages",
    doc: "Force an fsync after this many messages.",
  },
  {
    name: "flush.ms",
    type: "long",
    default: LONG_MAX,
    brokerSynonym: "log.flush.interval.ms",
    doc: "Force an fsync after this much time.",
  },
  {
    name: "follower.replication.throttled.replicas",
    type: "list",
    default: "",
    doc: "Replicas throttled on the follower side (partition:broker pairs or *).",
  },
  {
    name: "index.interval.bytes",
    type: "int",
    default: "4096",
    brokerSynonym: "log.index.interval.bytes",
    doc: "Bytes between offset index entries.",
  },
  {
    name: "leader.replication.throttled.replicas",
    type: "list",
    default: "",
    doc: "Replicas throttled on the leader side (partition:broker pairs or *).",
  },
  {
    name: "local.retention.bytes",
    type: "long",
    default: "-2",
    brokerSynonym: "log.local.retention.bytes",
    doc: "Local retention by size with tiered storage (-2: use retention.bytes).",
  },
  {
    name: "local.retention.ms",
    type: "long",
    default: "-2",
    brokerSynonym: "log.local.retention.ms",
    doc: "Local retention by time with tiered storage (-2: use retention.ms).",
  },
  {
    name: "max.compaction.lag.ms",
    type: "long",
    default: LONG_MAX,
    brokerSynonym: "log.cleaner.max.compaction.lag.ms",
    doc: "Longest time a record may stay uncompacted.",
  },
  {
    name: "max.message.bytes",
    type: "int",
    default: "1048588",
    brokerSynonym: "message.max.bytes",
    doc: "Largest record batch the topic accepts.",
  },
  {
    name: "message.downconversion.enable",
    type: "boolean",
    default: "true",
    brokerSynonym: "log.message.downconversion.enable",
    doc: "Whether old fetch versions may get down-converted records.",
  },
  {
    name: "message.format.version",
    type: "string",
    default: "3.0-IV1",
    brokerSynonym: "log.message.format.version",
    doc: "Deprecated; ignored for inter-broker protocol 3.0 and later.",
  },
  {
    name: "message.timestamp.after.max.ms",
    type: "long",
    default: LONG_MAX,
    brokerSynonym: "log.message.timestamp.after.max.ms",
    doc: "How far in the future a CreateTime timestamp may be.",
  },
  {
    name: "message.timestamp.before.max.ms",
    type: "long",
    default: LONG_MAX,
    brokerSynonym: "log.message.timestamp.before.max.ms",
    doc: "How far in the past a CreateTime timestamp may be.",
  },
  {
    name: "message.timestamp.difference.max.ms",
    type: "long",
    default: LONG_MAX,
    brokerSynonym: "log.message.timestamp.difference.max.ms",
    doc: "Deprecated; largest allowed difference between a CreateTime timestamp and the broker's clock.",
  },
  {
    name: "message.timestamp.type",
    type: "string",
    default: "CreateTime",
    brokerSynonym: "log.message.timestamp.type",
    oneOf: ["CreateTime", "LogAppendTime"],
    doc: "Whether record timestamps are the producer's (CreateTime) or the broker's (LogAppendTime).",
  },
  {
    name: "min.cleanable.dirty.ratio",
    type: "double",
    default: "0.5",
    brokerSynonym: "log.cleaner.min.cleanable.ratio",
    doc: "Dirty share of a log above which the cleaner compacts it.",
  },
  {
    name: "min.compaction.lag.ms",
    type: "long",
    default: "0",
    brokerSynonym: "log.cleaner.min.compaction.lag.ms",
    doc: "Shortest time a record stays uncompacted.",
  },
  {
    name: "min.insync.replicas",
    type: "int",
    default: "1",
    brokerSynonym: "min.insync.replicas",
    doc: "In-sync replicas an acks=all write needs.",
  },
  {
    name: "preallocate",
    type: "boolean",
    default: "false",
    brokerSynonym: "log.preallocate",
    doc: "Preallocate segment files.",
  },
  {
    name: "remote.storage.enable",
    type: "boolean",
    default: "false",
    doc: "Tiered storage for this topic.",
  },
  {
    name: "retention.bytes",
    type: "long",
    default: "-1",
    brokerSynonym: "log.retention.bytes",
    doc: "Largest size a partition may grow to before old segments are deleted (-1: no limit).",
  },
  {
    name: "retention.ms",
    type: "long",
    default: "604800000",
    brokerSynonym: "log.retention.ms",
    doc: "Longest time a segment is kept before it is deleted (-1: no limit).",
  },
  {
    name: "segment.bytes",
    type: "int",
    default: "1073741824",
    brokerSynonym: "log.segment.bytes",
    doc: "Segment file size.",
  },
  {
    name: "segment.index.bytes",
    type: "int",
    default: "10485760",
    brokerSynonym: "log.index.size.max.bytes",
    doc: "Offset index file size.",
  },
  {
    name: "segment.jitter.ms",
    type: "long",
    default: "0",
    brokerSynonym: "log.roll.jitter.ms",
    doc: "Random jitter subtracted from segment.ms.",
  },
  {
    name: "segment.ms",
    type: "long",
    default: "604800000",
    brokerSynonym: "log.roll.ms",
    doc: "Roll a new segment after this time even if the current one is not full.",
  },
  {
    name: "unclean.leader.election.enable",
    type: "boolean",
    default: "false",
    brokerSynonym: "unclean.leader.election.enable",
    doc: "Allow an out-of-sync replica to become leader (may lose data).",
  },
];

export const TOPIC_CONFIG_BY_NAME: ReadonlyMap<string, TopicConfigDef> = new Map(
  TOPIC_CONFIG_DEFS.map((d) => [d.name, d]),
);

/** Broker keys that appear as topic synonyms but not in the server.properties definitions. */
const EXTRA_BROKER_DEFS: ConfigDef[] = [
  { name: "log.roll.jitter.ms", type: "long", default: null, doc: "Segment roll jitter in ms." },
  { name: "log.roll.jitter.hours", type: "int", default: "0", doc: "Segment roll jitter in hours." },
  {
    name: "log.flush.scheduler.interval.ms",
    type: "long",
    default: LONG_MAX,
    doc: "How often the flusher checks logs.",
  },
  { name: "log.cleaner.delete.retention.ms", type: "long", default: "86400000", doc: "Tombstone retention." },
  { name: "log.segment.delete.delay.ms", type: "long", default: "60000", doc: "Delay before file deletion." },
  {
    name: "log.cleaner.max.compaction.lag.ms",
    type: "long",
    default: LONG_MAX,
    doc: "Max compaction lag.",
  },
  { name: "log.cleaner.min.compaction.lag.ms", type: "long", default: "0", doc: "Min compaction lag." },
  { name: "log.cleaner.min.cleanable.ratio", type: "double", default: "0.5", doc: "Min cleanable ratio." },
  { name: "log.local.retention.bytes", type: "long", default: "-2", doc: "Local retention bytes." },
  { name: "log.local.retention.ms", type: "long", default: "-2", doc: "Local retention ms." },
  {
    name: "log.message.downconversion.enable",
    type: "boolean",
    default: "true",
    doc: "Allow down-conversion.",
  },
  { name: "log.message.format.version", type: "string", default: "3.0-IV1", doc: "Deprecated." },
  {
    name: "log.message.timestamp.after.max.ms",
    type: "long",
    default: LONG_MAX,
    doc: "Future timestamp bound.",
  },
  {
    name: "log.message.timestamp.before.max.ms",
    type: "long",
    default: LONG_MAX,
    doc: "Past timestamp bound.",
  },
  {
    name: "log.message.timestamp.difference.max.ms",
    type: "long",
    default: LONG_MAX,
    doc: "Deprecated timestamp bound.",
  },
  { name: "log.preallocate", type: "boolean", default: "false", doc: "Preallocate segment files." },
  { name: "compression.gzip.level", type: "int", default: "-1", doc: "Gzip level." },
  { name: "compression.lz4.level", type: "int", default: "9", doc: "LZ4 level." },
  { name: "compression.zstd.level", type: "int", default: "3", doc: "Zstd level." },
  {
    name: "unclean.leader.election.enable",
    type: "boolean",
    default: "false",
    doc: "Allow unclean leader election.",
  },
];

export const BROKER_CONFIG_DEFS: readonly ConfigDef[] = [
  ...CONFIG_DEFS,
  ...EXTRA_BROKER_DEFS.filter((e) => !CONFIG_DEFS.some((d) => d.name === e.name)),
];

export const BROKER_CONFIG_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(
  BROKER_CONFIG_DEFS.map((d) => [d.name, d]),
);

/**
 * Broker keys that may change at runtime (IncrementalAlterConfigs / AlterConfigs on a broker
 * resource): as in Kafka, the primary broker synonym of every topic config except the
 * deprecated message format. Everything else is read-only (server.properties and a restart).
 */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set(
  TOPIC_CONFIG_DEFS.flatMap((d) =>
    d.brokerSynonym && d.brokerSynonym !== "log.message.format.version" ? [d.brokerSynonym] : [],
  ),
);

/**
 * All names that can supply a broker setting, most specific first (Kafka's broker config
 * synonyms): ms beats minutes beats hours.
 */
export function brokerSynonyms(name: string): string[] {
  switch (name) {
    case "log.roll.ms":
    case "log.roll.hours":
      return ["log.roll.ms", "log.roll.hours"];
    case "log.roll.jitter.ms":
    case "log.roll.jitter.hours":
      return ["log.roll.jitter.ms", "log.roll.jitter.hours"];
    case "log.flush.interval.ms":
      return ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"];
    case "log.retention.ms":
    case "log.retention.minutes":
    case "log.retention.hours":
      return ["log.retention.ms", "log.retention.minutes", "log.retention.hours"];
    default:
      return [name];
  }
}

/** Unit factor from a broker synonym to its topic-level value in ms (hours and minutes keys). */
export function synonymScale(name: string): number {
  if (name.endsWith(".hours")) return 3_600_000;
  if (name.endsWith(".minutes")) return 60_000;
  return 1;
}
