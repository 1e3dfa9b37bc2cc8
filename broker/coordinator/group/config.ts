/** Group coordinator settings, by their Kafka server.properties names, with Kafka's defaults. */
export interface GroupCoordinatorConfig {
  "offsets.topic.num.partitions": number;
  "group.min.session.timeout.ms": number;
  "group.max.session.timeout.ms": number;
  "group.initial.rebalance.delay.ms": number;
  "group.max.size": number;
  "offsets.retention.minutes": number;
  "offsets.retention.check.interval.ms": number;
  "offset.metadata.max.bytes": number;
}

export const DEFAULT_GROUP_CONFIG: GroupCoordinatorConfig = {
  "offsets.topic.num.partitions": 50,
  "group.min.session.timeout.ms": 6000,
  "group.max.session.timeout.ms": 1_800_000,
  "group.initial.rebalance.delay.ms": 3000,
  "group.max.size": 2147483647,
  "offsets.retention.minutes": 10080,
  "offsets.retention.check.interval.ms": 600_000,
  "offset.metadata.max.bytes": 4096,
};

/** How long a new member's JoinGroup may wait before it is dropped (Kafka: 5 minutes). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

export function resolveGroupConfig(partial: Partial<GroupCoordinatorConfig> = {}): GroupCoordinatorConfig {
  return { ...DEFAULT_GROUP_CONFIG, ...partial };
}
