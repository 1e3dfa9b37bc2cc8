import type { Logger } from "pino";
import { KafkaError } from "../../protocol/errors/index.js";
import type { LogConfig } from "../storage/config.js";
import { ConfigResourceType, type MetadataImage, type TopicImage } from "./image.js";
import type { LocalMetadataLog } from "./local-log.js";
import type { MetadataRecord } from "./records.js";
import { validateTopicConfigs, validateTopicName } from "./topic-rules.js";
import { randomUuid } from "./uuid.js";

/**
 * The single-node controller: turns admin intents (create/delete topic, add partitions, alter
 * configs) into metadata records, commits them to the metadata log, then publishes the new image.
 * Operations run one at a time, so "check, then write" cannot race (two auto-creates of one
 * topic create it once). Listeners (storage) act on each published change before the operation
 * resolves, so a topic is usable as soon as its creation returns.
 */
export interface TopicSpec {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  /** Explicit replica assignment per partition (overrides count and factor). */
  assignments?: Map<number, number[]>;
  configs?: Map<string, string>;
}

export interface MetadataChange {
  before: MetadataImage;
  after: MetadataImage;
  records: MetadataRecord[];
}

export type ChangeListener = (change: MetadataChange) => Promise<void> | void;

export interface ControllerOptions {
  nodeId: number;
  logDefaults: () => LogConfig;
  log: Logger;
}

export class LocalController {
  private imageRef: MetadataImage;
  private readonly listeners: ChangeListener[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly metadataLog: LocalMetadataLog,
    initial: MetadataImage,
    private readonly opts: ControllerOptions,
  ) {
    this.imageRef = initial;
  }

  get image(): MetadataImage {
    return this.imageRef;
  }

  /** Live brokers this controller can place replicas on (just this node until raft lands). */
  get liveBrokers(): number[] {
    return [this.opts.nodeId];
  }

  onChange(l: ChangeListener): void {
    this.listeners.push(l);
  }

  /** Run `fn` exclusively; it returns records to commit (or none) and a result. */
  private exclusive<T>(fn: (image: MetadataImage) => { records: MetadataRecord[]; result: T }): Promise<T> {
    const run = async (): Promise<T> => {
      const before = this.imageRef;
      const { records, result } = fn(before);
      if (records.length === 0) return result;
      const committed = await this.metadataLog.append(records);
      const after = before.apply(records, committed[committed.length - 1]!.offset);
      this.imageRef = after;
      for (const l of this.listeners) await l({ before, after, records });
      return result;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** Check a spec without committing (CreateTopics validate_only). */
  validateTopic(spec: TopicSpec, image = this.imageRef): Map<number, number[]> {
    validateTopicName(spec.name);
    if (image.topic(spec.name)) {
      throw KafkaError.of("TOPIC_ALREADY_EXISTS", `Topic '${spec.name}' already exists.`);
    }
    const collides = [...image.topicsByName.keys()].find(
      (n) => n !== spec.name && n.replace(/\./g, "_") === spec.name.replace(/\./g, "_"),
    );
    if (collides) {
      throw KafkaError.of(
        "INVALID_TOPIC_EXCEPTION",
        `Topic '${spec.name}' collides with existing topic: ${collides} ('.' and '_' are treated alike)`,
      );
    }
    validateTopicConfigs(spec.configs ?? new Map(), this.opts.logDefaults());
    return this.placeReplicas(spec);
  }

  private placeReplicas(spec: TopicSpec): Map<number, number[]> {
    const brokers = this.liveBrokers;
    if (spec.assignments && spec.assignments.size > 0) {
      const ids = [...spec.assignments.keys()].sort((a, b) => a - b);
      ids.forEach((id, i) => {
        if (id !== i) throw KafkaError.of("INVALID_REPLICA_ASSIGNMENT", "Partitions must be numbered 0..n-1");
      });
      for (const [p, replicas] of spec.assignments) {
        if (replicas.length === 0 || new Set(replicas).size !== replicas.length) {
          throw KafkaError.of(
            "INVALID_REPLICA_ASSIGNMENT",
            `Partition ${p} has an empty or duplicate replica list`,
          );
        }
        const unknown = replicas.find((r) => !brokers.includes(r));
        if (unknown !== undefined) {
          throw KafkaError.of(
            "INVALID_REPLICA_ASSIGNMENT",
            `Broker ${unknown} of partition ${p} is not registered`,
          );
        }
      }
      return spec.assignments;
    }
    if (!Number.isInteger(spec.numPartitions) || spec.numPartitions <= 0) {
      throw KafkaError.of(
        "INVALID_PARTITIONS",
        `Number of partitions was set to an invalid non-positive value.`,
      );
    }
    if (!Number.isInteger(spec.replicationFactor) || spec.replicationFactor <= 0) {
      throw KafkaError.of("INVALID_REPLICATION_FACTOR", "Replication factor must be larger than 0.");
    }
    if (spec.replicationFactor > brokers.length) {
      throw KafkaError.of(
        "INVALID_REPLICATION_FACTOR",
        `Unable to replicate the partition ${spec.replicationFactor} time(s): The target replication factor of ` +
          `${spec.replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`,
      );
    }
    const out = new Map<number, number[]>();
    for (let p = 0; p < spec.numPartitions; p++) {
      const replicas: number[] = [];
      for (let r = 0; r < spec.replicationFactor; r++) replicas.push(brokers[(p + r) % brokers.length]!);
      out.set(p, replicas);
    }
    return out;
  }

  createTopic(spec: TopicSpec): Promise<TopicImage> {
    return this.exclusive((image) => {
      const placement = this.validateTopic(spec, image);
      const topicId = randomUuid();
      const records: MetadataRecord[] = [{ type: "TopicRecord", data: { name: spec.name, topicId } }];
      for (const [name, value] of spec.configs ?? []) {
        records.push({
          type: "ConfigRecord",
          data: { resourceType: ConfigResourceType.TOPIC, resourceName: spec.name, name, value },
        });
      }
      for (const [partitionId, replicas] of placement)
        records.push(partitionRecord(topicId, partitionId, replicas));
      return { records, result: topicId };
    }).then((id) => this.imageRef.topicById(id)!);
  }

  deleteTopic(topicId: string): Promise<void> {
    return this.exclusive((image) => {
      if (!image.topicById(topicId)) throw KafkaError.of("UNKNOWN_TOPIC_ID");
      return { records: [{ type: "RemoveTopicRecord", data: { topicId } }], result: undefined };
    });
  }

  /** Grow a topic to `total` partitions (CreatePartitions). */
  createPartitions(
    name: string,
    total: number,
    assignments?: number[][],
    validateOnly = false,
  ): Promise<void> {
    return this.exclusive((image) => {
      const t = image.topic(name);
      if (!t) throw KafkaError.of("UNKNOWN_TOPIC_OR_PARTITION", `The topic '${name}' does not exist.`);
      const current = t.partitions.size;
      if (total < current) {
        throw KafkaError.of(
          "INVALID_PARTITIONS",
          `Topic currently has ${current} partitions, which is higher than the requested ${total}.`,
        );
      }
      if (total === current) {
        throw KafkaError.of("INVALID_PARTITIONS", `Topic already has ${current} partitions.`);
      }
      const rf = t.partitions.get(0)?.replicas.length ?? 1;
      const placement = this.placeReplicas({
        name,
        numPartitions: total,
        replicationFactor: rf,
      });
      if (assignments && assignments.length !== total - current) {
        throw KafkaError.of(
          "INVALID_REPLICA_ASSIGNMENT",
          `Expected ${total - current} assignments, got ${assignments.length}`,
        );
      }
      const records: MetadataRecord[] = [];
      for (let p = current; p < total; p++) {
        const replicas = assignments?.[p - current] ?? placement.get(p)!;
        const unknown = replicas.find((r) => !this.liveBrokers.includes(r));
        if (unknown !== undefined) {
          throw KafkaError.of("INVALID_REPLICA_ASSIGNMENT", `Broker ${unknown} is not registered`);
        }
        records.push(partitionRecord(t.id, p, replicas));
      }
      return { records: validateOnly ? [] : records, result: undefined };
    });
  }

  /**
   * Set (value) or delete (null) topic config keys. `replace` drops every key not listed
   * (AlterConfigs semantics); otherwise only listed keys change (IncrementalAlterConfigs).
   */
  alterTopicConfigs(
    name: string,
    changes: Map<string, string | null>,
    opts: { replace?: boolean; validateOnly?: boolean } = {},
  ): Promise<void> {
    return this.exclusive((image) => {
      const t = image.topic(name);
      if (!t) throw KafkaError.of("UNKNOWN_TOPIC_OR_PARTITION", `The topic '${name}' does not exist.`);
      const next = new Map(opts.replace ? [] : t.configs);
      for (const [k, v] of changes) {
        if (v === null) next.delete(k);
        else next.set(k, v);
      }
      validateTopicConfigs(next, this.opts.logDefaults());
      const records: MetadataRecord[] = [];
      const keys = new Set([...t.configs.keys(), ...next.keys()]);
      for (const k of keys) {
        const v = next.get(k) ?? null;
        if ((t.configs.get(k) ?? null) === v) continue;
        records.push({
          type: "ConfigRecord",
          data: { resourceType: ConfigResourceType.TOPIC, resourceName: name, name: k, value: v },
        });
      }
      return { records: opts.validateOnly ? [] : records, result: undefined };
    });
  }

  /** Commit arbitrary records (broker dynamic configs, later features); validated by the caller. */
  commit(records: MetadataRecord[]): Promise<void> {
    return this.exclusive(() => ({ records, result: undefined }));
  }
}

function partitionRecord(topicId: string, partitionId: number, replicas: number[]): MetadataRecord {
  return {
    type: "PartitionRecord",
    data: {
      partitionId,
      topicId,
      replicas,
      isr: [...replicas],
      removingReplicas: [],
      addingReplicas: [],
      leader: replicas[0]!,
      leaderRecoveryState: 0,
      leaderEpoch: 0,
      partitionEpoch: 0,
      directories: [],
      eligibleLeaderReplicas: null,
      lastKnownElr: null,
    },
  };
}
