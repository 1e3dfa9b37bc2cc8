/**
 * Glue between the classic group coordinator and the broker: owns the __consumer_offsets topic
 * (created through the controller on first FindCoordinator, like Kafka), appends the coordinator's
 * records to the right partition log, and loads (or unloads) partition state whenever the metadata
 * image says this node leads (or stops leading) a partition — at start and after every change.
 */
import type { Logger } from "pino";
import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import { batchesIn, buildBatch, decodeBatch } from "../../protocol/records/batch.js";
import { ControlType, readControlRecord } from "../../protocol/records/control.js";
import { isControl, isTransactional, readBatchHeader } from "../../protocol/records/header.js";
import type { LogStore, PartitionLogView } from "../api/context.js";
import type { MetadataChange, TopicSpec } from "../metadata/controller.js";
import type { MetadataImage, TopicImage } from "../metadata/image.js";
import {
  DEFAULT_GROUP_CONFIG,
  GroupCoordinator,
  type GroupCoordinatorConfig,
  type GroupLogWriter,
  type LogRecord,
  type Time,
} from "./group/index.js";

export const GROUP_METADATA_TOPIC = "__consumer_offsets";

/** Kafka's defaults for the offsets topic that are not group coordinator settings. */
const OFFSETS_TOPIC_DEFAULTS = {
  "offsets.topic.replication.factor": 3,
  "offsets.topic.segment.bytes": 104_857_600,
};

/** Bytes read from the log per step while loading a partition. */
const LOAD_READ_BYTES = 1 << 20;

/** The slice of the controller the service needs (LocalController provides it). */
export interface OffsetsTopicController {
  readonly image: MetadataImage;
  readonly liveBrokers: number[];
  createTopic(spec: TopicSpec): Promise<TopicImage>;
  onChange(l: (change: MetadataChange) => Promise<void> | void): void;
}

export interface GroupServiceOptions {
  nodeId: number;
  controller: OffsetsTopicController;
  logs: Pick<LogStore, "getLog">;
  /** server.properties values as set (unset keys take Kafka's defaults). */
  props: ReadonlyMap<string, string>;
  log: Logger;
  time?: Time;
}

function numberProp(props: ReadonlyMap<string, string>, key: string, dflt: number): number {
  const raw = props.get(key);
  if (raw === undefined || raw.trim() === "") return dflt;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : dflt;
}

/** Coordinator settings from server.properties keys (Kafka's names and defaults). */
export function groupConfigFromProps(props: ReadonlyMap<string, string>): GroupCoordinatorConfig {
  const out = { ...DEFAULT_GROUP_CONFIG };
  for (const k of Object.keys(out) as (keyof GroupCoordinatorConfig)[]) {
    out[k] = numberProp(props, k, out[k]);
  }
  return out;
}

/** An error the coordinator maps by its numeric code (see GroupCoordinator.append). */
function appendError(code: number, message: string): Error {
  return new KafkaError(code, message);
}

/**
 * Records of one partition, in log order, as the coordinator's loader wants them. Transactional
 * offset commits count only once their COMMIT marker is seen; aborted ones are dropped.
 */
export async function* partitionRecords(
  log: PartitionLogView,
  until = log.logEndOffset,
): AsyncGenerator<LogRecord> {
  let offset = log.logStartOffset;
  const pending = new Map<bigint, LogRecord[]>();
  while (offset < until) {
    const res = await log.read(offset, LOAD_READ_BYTES, { maxOffset: until, minOneBatch: true });
    if (res.bytes === 0) break;
    let next = offset;
    for (const chunk of res.chunks) {
      for (const { at, size } of batchesIn(chunk)) {
        const h = readBatchHeader(chunk, at);
        next = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
        const batch = await decodeBatch(chunk.subarray(at, at + size));
        if (isControl(h.attributes)) {
          const rec = batch.records[0];
          const marker = rec ? readControlRecord(rec).type : ControlType.Abort;
          const held = pending.get(h.producerId) ?? [];
          pending.delete(h.producerId);
          if (marker === ControlType.Commit) yield* held;
          continue;
        }
        const records = batch.records.map((r) => ({ key: r.key, value: r.value }));
        if (isTransactional(h.attributes)) {
          const held = pending.get(h.producerId) ?? [];
          held.push(...records);
          pending.set(h.producerId, held);
        } else {
          yield* records;
        }
      }
    }
    if (next <= offset) break; // no progress: never spin
    offset = next;
    // Let the broker serve other requests between reads: a large partition loads in the
    // background (its groups answer COORDINATOR_LOAD_IN_PROGRESS meanwhile), as in Kafka.
    await new Promise<void>((r) => setImmediate(r));
  }
}

export class GroupService {
  readonly coordinator: GroupCoordinator;
  private readonly numPartitions: number;
  /** Partitions whose load was started and not unloaded since, with the load's promise. */
  private readonly loads = new Map<number, Promise<void>>();
  /** Id of the offsets topic the loads belong to (a recreated topic starts over). */
  private topicId: string | null = null;
  private creating: Promise<number> | null = null;
  private stopped = false;

  constructor(private readonly opts: GroupServiceOptions) {
    const config = groupConfigFromProps(opts.props);
    // The partition of a group must never change: an existing topic's size wins over the config.
    const existing = opts.controller.image.topic(GROUP_METADATA_TOPIC);
    if (existing && existing.partitions.size !== config["offsets.topic.num.partitions"]) {
      opts.log.warn(
        { configured: config["offsets.topic.num.partitions"], actual: existing.partitions.size },
        "offsets.topic.num.partitions differs from the existing __consumer_offsets; using the topic's",
      );
      config["offsets.topic.num.partitions"] = existing.partitions.size;
    }
    this.numPartitions = config["offsets.topic.num.partitions"];
    const writer: GroupLogWriter = { append: (p, records) => this.append(p, records) };
    this.coordinator = new GroupCoordinator({
      writer,
      config,
      time: opts.time,
      logger: opts.log,
    });
  }

  /** Follow the metadata image: load the partitions this node leads now and after each change. */
  start(): void {
    this.opts.controller.onChange(() => this.sync());
    this.sync();
  }

  /** Resolves once every partition load started so far has finished. */
  async whenLoaded(): Promise<void> {
    await Promise.all([...this.loads.values()]);
  }

  /**
   * FindCoordinator for a group: creates the offsets topic on first use, then names the leader
   * of the group's partition. COORDINATOR_NOT_AVAILABLE while that is impossible.
   */
  async findCoordinator(groupId: string): Promise<{ errorCode: number; nodeId: number }> {
    const err = await this.ensureTopic();
    if (err !== ErrorCode.NONE) return { errorCode: err, nodeId: -1 };
    const part = this.opts.controller.image
      .topic(GROUP_METADATA_TOPIC)
      ?.partitions.get(this.coordinator.partitionFor(groupId));
    if (!part || part.leader < 0) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, nodeId: -1 };
    return { errorCode: ErrorCode.NONE, nodeId: part.leader };
  }

  /** Creates __consumer_offsets if missing; concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    if (this.stopped) return Promise.resolve(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (this.opts.controller.image.topic(GROUP_METADATA_TOPIC)) return Promise.resolve(ErrorCode.NONE);
    this.creating ??= this.createTopic().finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  private async createTopic(): Promise<number> {
    const { props, controller, log } = this.opts;
    const rf = numberProp(
      props,
      "offsets.topic.replication.factor",
      OFFSETS_TOPIC_DEFAULTS["offsets.topic.replication.factor"],
    );
    const segmentBytes = numberProp(
      props,
      "offsets.topic.segment.bytes",
      OFFSETS_TOPIC_DEFAULTS["offsets.topic.segment.bytes"],
    );
    try {
      await controller.createTopic({
        name: GROUP_METADATA_TOPIC,
        numPartitions: this.numPartitions,
        // Kafka waits for offsets.topic.replication.factor brokers; a smaller cluster gets what it has.
        replicationFactor: Math.max(1, Math.min(rf, controller.liveBrokers.length)),
        configs: new Map([
          ["cleanup.policy", "compact"],
          ["compression.type", "producer"],
          ["segment.bytes", String(segmentBytes)],
        ]),
      });
      log.info({ topic: GROUP_METADATA_TOPIC, partitions: this.numPartitions }, "created offsets topic");
    } catch (err) {
      if (!(err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) {
        log.error({ err }, "creating __consumer_offsets failed");
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
    this.sync(); // the change listener already did this; harmless when it did
    await this.whenLoaded();
    return ErrorCode.NONE;
  }

  /** Bring loaded partitions in line with the image (idempotent). */
  private sync(): void {
    if (this.stopped) return;
    const topic = this.opts.controller.image.topic(GROUP_METADATA_TOPIC);
    if (this.topicId !== null && topic?.id !== this.topicId) {
      for (const p of [...this.loads.keys()]) this.unload(p);
    }
    this.topicId = topic?.id ?? null;
    if (!topic) return;
    for (let p = 0; p < this.numPartitions; p++) {
      const leads = topic.partitions.get(p)?.leader === this.opts.nodeId;
      if (leads && !this.loads.has(p)) this.load(p);
      else if (!leads && this.loads.has(p)) this.unload(p);
    }
  }

  private load(partition: number): void {
    const log = this.opts.logs.getLog(GROUP_METADATA_TOPIC, partition);
    if (!log) {
      this.opts.log.warn({ partition }, "no local log for a led __consumer_offsets partition");
      return;
    }
    const done = this.coordinator.onPartitionLoad(partition, partitionRecords(log)).catch((err: unknown) => {
      // Leave the partition unowned (NOT_COORDINATOR) rather than serve half-loaded state.
      this.opts.log.error({ err, partition }, "loading __consumer_offsets partition failed");
      this.coordinator.onPartitionUnload(partition);
    });
    this.loads.set(partition, done);
  }

  private unload(partition: number): void {
    this.loads.delete(partition);
    this.coordinator.onPartitionUnload(partition);
  }

  private async append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    const topic = this.opts.controller.image.topic(GROUP_METADATA_TOPIC);
    const part = topic?.partitions.get(partition);
    const log = this.opts.logs.getLog(GROUP_METADATA_TOPIC, partition);
    if (!part || !log) {
      throw appendError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `no log for ${GROUP_METADATA_TOPIC}-${partition}`,
      );
    }
    if (part.leader !== this.opts.nodeId) {
      throw appendError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `not leader of ${GROUP_METADATA_TOPIC}-${partition}`,
      );
    }
    const batch = await buildBatch({ records });
    await log.append(batch, { leaderEpoch: part.leaderEpoch, assignOffsets: true });
  }

  /** Stops the coordinator (pending joins are answered; later requests get COORDINATOR_NOT_AVAILABLE). */
  shutdown(): void {
    this.stopped = true;
    this.loads.clear();
    this.coordinator.shutdown();
  }
}
