/**
 * The server.properties keys Gregor understands, with Kafka's names, types and defaults.
 * Keys Kafka has that Gregor does not act on yet are accepted with a warning (so a
 * server.properties written for Kafka still starts), never silently misread.
 */
export type ConfigType = "int" | "long" | "boolean" | "string" | "list" | "double";

export interface ConfigDef {
  name: string;
  type: ConfigType;
  /** Kafka's default as text; null means "no default" (unset). */
  default: string | null;
  doc: string;
  /** Lower bound for numeric types (inclusive). */
  min?: number;
  /** Allowed values for strings (case-sensitive, like Kafka's ValidString). */
  oneOf?: string[];
}

const INT_MAX = 2147483647;

export const CONFIG_DEFS: ConfigDef[] = [
  {
    name: "node.id",
    type: "int",
    default: "-1",
    min: -1,
    doc: "Id of this node (broker and/or controller).",
  },
  { name: "broker.id", type: "int", default: "-1", min: -1, doc: "Alias of node.id (ZooKeeper-era name)." },
  {
    name: "process.roles",
    type: "list",
    default: "",
    doc: "Roles of this node: broker, controller or both.",
  },
  { name: "controller.quorum.voters", type: "list", default: "", doc: "id@host:port of the controllers." },
  { name: "controller.quorum.bootstrap.servers", type: "list", default: "", doc: "Controller bootstrap." },
  {
    name: "controller.listener.names",
    type: "list",
    default: "",
    doc: "Listener names used by controllers.",
  },
  {
    name: "listeners",
    type: "list",
    default: "PLAINTEXT://:9092",
    doc: "NAME://host:port to bind; empty host binds all interfaces, port 0 an ephemeral port.",
  },
  { name: "advertised.listeners", type: "list", default: null, doc: "Addresses given to clients." },
  {
    name: "listener.security.protocol.map",
    type: "list",
    default: "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL",
    doc: "Listener name to security protocol.",
  },
  {
    name: "inter.broker.listener.name",
    type: "string",
    default: null,
    doc: "Listener used between brokers.",
  },
  { name: "log.dirs", type: "list", default: null, doc: "Data directories (comma separated)." },
  {
    name: "log.dir",
    type: "string",
    default: "/tmp/kafka-logs",
    doc: "Data directory if log.dirs is unset.",
  },
  { name: "metadata.log.dir", type: "string", default: null, doc: "Metadata log directory (first log dir)." },
  { name: "num.partitions", type: "int", default: "1", min: 1, doc: "Partitions of auto-created topics." },
  { name: "default.replication.factor", type: "int", default: "1", min: 1, doc: "Replication factor." },
  { name: "auto.create.topics.enable", type: "boolean", default: "true", doc: "Create topics on first use." },
  { name: "delete.topic.enable", type: "boolean", default: "true", doc: "Allow DeleteTopics." },
  { name: "min.insync.replicas", type: "int", default: "1", min: 1, doc: "Min ISR for acks=all." },
  {
    name: "message.max.bytes",
    type: "int",
    default: "1048588",
    min: 0,
    doc: "Largest record batch accepted.",
  },
  {
    name: "socket.request.max.bytes",
    type: "int",
    default: "104857600",
    min: 1,
    doc: "Largest request frame accepted.",
  },
  { name: "socket.send.buffer.bytes", type: "int", default: "102400", min: -1, doc: "SO_SNDBUF (-1: OS)." },
  { name: "socket.receive.buffer.bytes", type: "int", default: "102400", min: -1, doc: "SO_RCVBUF." },
  {
    name: "queued.max.requests",
    type: "int",
    default: "500",
    min: 1,
    doc: "Requests being processed at once across connections before reading pauses.",
  },
  {
    name: "connections.max.idle.ms",
    type: "long",
    default: "600000",
    min: -1,
    doc: "Close connections idle this long.",
  },
  { name: "num.network.threads", type: "int", default: "3", min: 1, doc: "Accepted; Node uses one loop." },
  { name: "num.io.threads", type: "int", default: "8", min: 1, doc: "Accepted; Node uses one loop." },
  { name: "broker.rack", type: "string", default: null, doc: "Rack of this broker, given to clients." },
  {
    name: "max.incremental.fetch.session.cache.slots",
    type: "int",
    default: "1000",
    min: 0,
    doc: "Incremental fetch sessions kept (KIP-227).",
  },
  // Log defaults for topics (topic-level names without the "log." prefix override them).
  { name: "log.segment.bytes", type: "int", default: "1073741824", min: 14, doc: "Segment size." },
  { name: "log.roll.hours", type: "int", default: "168", min: 1, doc: "Roll segments after this age." },
  { name: "log.roll.ms", type: "long", default: null, min: 1, doc: "Roll age in ms (wins over hours)." },
  { name: "log.retention.hours", type: "int", default: "168", min: -1, doc: "Retention by time." },
  { name: "log.retention.minutes", type: "int", default: null, min: -1, doc: "Retention (wins over hours)." },
  { name: "log.retention.ms", type: "long", default: null, min: -1, doc: "Retention (wins over minutes)." },
  {
    name: "log.retention.bytes",
    type: "long",
    default: "-1",
    min: -1,
    doc: "Retention by size per partition.",
  },
  {
    name: "log.retention.check.interval.ms",
    type: "long",
    default: "300000",
    min: 1,
    doc: "How often retention runs.",
  },
  { name: "log.index.interval.bytes", type: "int", default: "4096", min: 0, doc: "Offset index density." },
  { name: "log.index.size.max.bytes", type: "int", default: "10485760", min: 4, doc: "Index file size." },
  {
    name: "log.flush.interval.messages",
    type: "long",
    default: String(2n ** 63n - 1n),
    min: 1,
    doc: "Fsync.",
  },
  { name: "log.flush.interval.ms", type: "long", default: null, min: 0, doc: "Fsync interval." },
  { name: "log.cleanup.policy", type: "list", default: "delete", doc: "delete and/or compact." },
  { name: "log.cleaner.enable", type: "boolean", default: "true", doc: "Run the log cleaner." },
  {
    name: "log.cleaner.backoff.ms",
    type: "long",
    default: "15000",
    min: 1,
    doc: "How often the cleaner looks for logs to compact.",
  },
  {
    name: "log.message.timestamp.type",
    type: "string",
    default: "CreateTime",
    oneOf: ["CreateTime", "LogAppendTime"],
    doc: "Timestamp type of new topics.",
  },
  { name: "compression.type", type: "string", default: "producer", doc: "Broker-side compression." },
  { name: "offsets.topic.replication.factor", type: "int", default: "3", min: 1, doc: "Replication factor." },
  { name: "offsets.topic.num.partitions", type: "int", default: "50", min: 1, doc: "__consumer_offsets." },
  { name: "transaction.state.log.replication.factor", type: "int", default: "3", min: 1, doc: "RF." },
  { name: "transaction.state.log.min.isr", type: "int", default: "2", min: 1, doc: "Min ISR." },
  {
    name: "transaction.state.log.num.partitions",
    type: "int",
    default: "50",
    min: 1,
    doc: "Partitions of __transaction_state.",
  },
  {
    name: "transaction.state.log.segment.bytes",
    type: "int",
    default: "104857600",
    min: 1,
    doc: "Segment size of __transaction_state.",
  },
  {
    name: "transaction.max.timeout.ms",
    type: "int",
    default: "900000",
    min: 1,
    doc: "Largest transaction timeout a producer may ask for.",
  },
  {
    name: "transactional.id.expiration.ms",
    type: "int",
    default: "604800000",
    min: 1,
    doc: "Idle time after which a transactional id is forgotten.",
  },
  {
    name: "transaction.abort.timed.out.transaction.cleanup.interval.ms",
    type: "int",
    default: "10000",
    min: 1,
    doc: "How often timed-out transactions are aborted.",
  },
  {
    name: "transaction.remove.expired.transaction.cleanup.interval.ms",
    type: "int",
    default: "3600000",
    min: 1,
    doc: "How often expired transactional ids are removed.",
  },
  {
    name: "transaction.partition.verification.enable",
    type: "boolean",
    default: "true",
    doc: "Check that a transactional produce targets a partition of the ongoing transaction.",
  },
  {
    name: "producer.id.expiration.ms",
    type: "int",
    default: "86400000",
    min: 1,
    doc: "Idle time after which a partition forgets a producer's state.",
  },
  {
    name: "producer.id.expiration.check.interval.ms",
    type: "int",
    default: "600000",
    min: 1,
    doc: "How often expired producer state is removed.",
  },
  { name: "group.initial.rebalance.delay.ms", type: "int", default: "3000", min: 0, doc: "Rebalance delay." },
  { name: "group.min.session.timeout.ms", type: "int", default: "6000", min: 0, doc: "Min session timeout." },
  { name: "group.max.session.timeout.ms", type: "int", default: "1800000", min: 0, doc: "Max session." },
  { name: "group.max.size", type: "int", default: String(INT_MAX), min: 1, doc: "Max members per group." },
  { name: "offsets.retention.minutes", type: "int", default: "10080", min: 1, doc: "Offset retention." },
  {
    name: "offsets.retention.check.interval.ms",
    type: "long",
    default: "600000",
    min: 1,
    doc: "How often expired offsets are removed.",
  },
  { name: "offset.metadata.max.bytes", type: "int", default: "4096", min: 0, doc: "Max commit metadata." },
  {
    name: "offsets.topic.segment.bytes",
    type: "int",
    default: "104857600",
    min: 1,
    doc: "Segment size of __consumer_offsets.",
  },
  {
    name: "replica.fetch.max.bytes",
    type: "int",
    default: "1048576",
    min: 0,
    doc: "Follower fetch size.",
  },
  // Gregor's own keys (no Kafka equivalent: Kafka exposes JMX instead).
  {
    name: "gregor.metrics.listener",
    type: "string",
    default: "http://:9404",
    doc: "HTTP address for /metrics, /healthz, /readyz; empty disables it.",
  },
  {
    name: "gregor.log.level",
    type: "string",
    default: "info",
    oneOf: ["trace", "debug", "info", "warn", "error", "fatal", "silent"],
    doc: "Log level.",
  },
  {
    name: "gregor.max.inflight.requests.per.connection",
    type: "int",
    default: "100",
    min: 1,
    doc: "Requests one connection may have in progress before the broker stops reading from it.",
  },
];

export const CONFIG_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(CONFIG_DEFS.map((d) => [d.name, d]));

export const LIMITS = { INT_MAX };
