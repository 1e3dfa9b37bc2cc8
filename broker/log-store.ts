import type { Logger } from "pino";
import type { LogStore, PartitionLogView } from "./api/context.js";
import type { MetadataChange } from "./metadata/controller.js";
import type { MetadataImage, TopicImage } from "./metadata/image.js";
import { METADATA_TOPIC } from "./metadata/local-log.js";
import type { ProducerLogs } from "./partition/registry.js";
import { type LogConfig, logConfigFromProperties } from "./storage/config.js";
import type { LogManager } from "./storage/log-manager.js";
import type { PartitionLog } from "./storage/partition-log.js";

/**
 * Keeps storage in step with the metadata image: a log for every partition this node hosts,
 * topic configs applied, logs of deleted topics removed. Also the handlers' view of storage
 * (LogStore) with one append event stream for fetch long-polls.
 */
export class BrokerLogStore implements LogStore {
  private readonly appendListeners = new Set<(topic: string, partition: number) => void>();
  private readonly watched = new WeakSet<PartitionLog>();

  /** The broker-level defaults in effect (static server.properties overlaid with dynamic configs). */
  private defaults: LogConfig;
  /** Topics as last applied, so a change of defaults can recompute every topic's config. */
  private readonly topics = new Map<string, TopicImage>();

  constructor(
    private readonly manager: LogManager,
    private readonly nodeId: number,
    /** The defaults `manager` was opened with; it merges per-topic overrides over these. */
    private readonly staticDefaults: LogConfig,
    private readonly log: Logger,
    /** Producer state per partition (idempotence, transactions); appends go through it. */
    private readonly producers?: ProducerLogs,
  ) {
    this.defaults = staticDefaults;
  }

  /** The broker-level log defaults in effect now. */
  get logDefaults(): LogConfig {
    return this.defaults;
  }

  /**
   * New broker-level defaults (a dynamic broker config changed): every topic's effective config is
   * recomputed (its own overrides over the new defaults) and pushed to its logs.
   */
  setLogDefaults(defaults: LogConfig): void {
    this.defaults = defaults;
    for (const t of this.topics.values()) this.manager.updateTopicConfig(t.name, this.overridesOf(t));
  }

  getLog(topic: string, partition: number): PartitionLogView | undefined {
    const log = this.manager.getLog(topic, partition);
    return log && this.producers ? this.producers.view(log) : log;
  }

  onAppend(cb: (topic: string, partition: number) => void): () => void {
    this.appendListeners.add(cb);
    return () => this.appendListeners.delete(cb);
  }

  private topicConfigs = new Map<string, LogConfig>();

  topicLogConfig(topic: string): LogConfig {
    return this.topicConfigs.get(topic) ?? this.defaults;
  }

  private watch(log: PartitionLog): void {
    if (this.watched.has(log)) return;
    this.watched.add(log);
    this.producers?.of(log);
    log.onAppend(() => {
      for (const l of this.appendListeners) l(log.topic, log.partition);
    });
  }

  /**
   * The topic's effective config (its overrides over the current defaults), expressed as
   * differences from the STATIC defaults, because that is what LogManager merges overrides over.
   */
  private overridesOf(t: TopicImage): Partial<LogConfig> {
    const full = logConfigFromProperties(Object.fromEntries(t.configs), this.defaults);
    this.topicConfigs.set(t.name, full);
    this.topics.set(t.name, t);
    const out: Partial<LogConfig> = {};
    for (const k of Object.keys(full) as (keyof LogConfig)[]) {
      if (full[k] !== this.staticDefaults[k]) (out as Record<string, unknown>)[k] = full[k];
    }
    return out;
  }

  private async ensureTopic(t: TopicImage): Promise<void> {
    const overrides = this.overridesOf(t);
    this.manager.updateTopicConfig(t.name, overrides);
    for (const p of t.partitions.values()) {
      if (!p.replicas.includes(this.nodeId)) continue;
      const log = await this.manager.createLog(t.name, p.partitionId, t.id, overrides);
      this.watch(log);
    }
  }

  private async removeTopic(t: TopicImage): Promise<void> {
    this.topicConfigs.delete(t.name);
    this.topics.delete(t.name);
    for (const p of t.partitions.values()) {
      const l = this.manager.getLog(t.name, p.partitionId);
      if (l) this.producers?.forget(l);
      await this.manager.deleteLog(t.name, p.partitionId);
    }
    this.log.info({ topic: t.name, topicId: t.id }, "deleted topic logs");
  }

  /** At start: create missing logs, delete logs the metadata no longer knows (stray after a crash). */
  async reconcile(image: MetadataImage): Promise<void> {
    for (const t of image.topicsByName.values()) await this.ensureTopic(t);
    for (const l of this.manager.allLogs()) {
      if (l.topic === METADATA_TOPIC) continue;
      const t = image.topic(l.topic);
      const stray =
        t === undefined || !t.partitions.has(l.partition) || (l.topicId !== "" && l.topicId !== t.id);
      if (stray) {
        this.log.warn({ topic: l.topic, partition: l.partition, topicId: l.topicId }, "deleting stray log");
        await this.manager.deleteLog(l.topic, l.partition);
      } else {
        this.watch(l);
      }
    }
    // Serve only once every partition's producer state is back (LSO, duplicate detection).
    if (this.producers) {
      await Promise.all(
        this.manager
          .allLogs()
          .filter((l) => l.topic !== METADATA_TOPIC)
          .map((l) => this.producers!.of(l).ready.catch(() => undefined)),
      );
    }
  }

  /** Controller change listener. */
  async apply(change: MetadataChange): Promise<void> {
    const { before, after } = change;
    for (const t of before.topicsById.values()) {
      if (!after.topicById(t.id)) await this.removeTopic(t);
    }
    for (const t of after.topicsById.values()) {
      const old = before.topicById(t.id);
      if (!old || old.partitions !== t.partitions || old.configs !== t.configs) await this.ensureTopic(t);
    }
  }
}
