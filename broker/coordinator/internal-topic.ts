/**
 * The broker-side glue every coordinator needs for its internal topic (__consumer_offsets,
 * __transaction_state): create the topic once through the controller, append the coordinator's
 * records to a partition it leads, and load (or unload) partition state whenever the metadata
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
import type { LogRecord } from "./group/types.js";

/** Bytes read from the log per step while loading a partition. */
const LOAD_READ_BYTES = 1 << 20;

/** The slice of the controller an internal topic needs (LocalController provides it). */
export interface InternalTopicController {
  readonly image: MetadataImage;
  readonly liveBrokers: number[];
  createTopic(spec: TopicSpec): Promise<TopicImage>;
  onChange(l: (change: MetadataChange) => Promise<void> | void): void;
}

/** A server.properties number, or the default when unset, blank or not a number. */
export function numberProp(props: ReadonlyMap<string, string>, key: string, dflt: number): number {
  const raw = props.get(key);
  if (raw === undefined || raw.trim() === "") return dflt;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : dflt;
}

/**
 * The partition count to use: the configured one, unless the topic already exists with another
 * (a key's partition must never change, so the existing topic's size wins).
 */
export function effectivePartitions(
  image: MetadataImage,
  topicName: string,
  configKey: string,
  configured: number,
  log: Logger,
): number {
  const existing = image.topic(topicName);
  if (!existing || existing.partitions.size === configured) return configured;
  log.warn(
    { configured, actual: existing.partitions.size },
    `${configKey} differs from the existing ${topicName}; using the topic's`,
  );
  return existing.partitions.size;
}

/**
 * Records of one partition, in log order, as a coordinator's loader wants them. Transactional
 * records count only once their COMMIT marker is seen; aborted ones are dropped.
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
    // background (its keys answer COORDINATOR_LOAD_IN_PROGRESS meanwhile), as in Kafka.
    await new Promise<void>((r) => setImmediate(r));
  }
}

/** What differs between internal topics: name, settings and the coordinator behind them. */
export interface InternalTopicSpec {
  name: string;
  numPartitions: number;
  /** server.properties keys (and Kafka's defaults) of the topic's replication factor and segment size. */
  replicationFactor: { key: string; dflt: number };
  segmentBytes: { key: string; dflt: number };
  compressionType: string;
  /** Words for the "created ..." log line, e.g. "offsets topic". */
  label: string;
  /** Load again when the leader epoch changes while this node stays leader. */
  reloadOnEpochChange: boolean;
  /** Hands a led partition's records to the coordinator; a rejection unloads the partition. */
  load(partition: number, leaderEpoch: number, records: AsyncGenerator<LogRecord>): Promise<void>;
  unload(partition: number): void;
}

export interface InternalTopicOptions {
  nodeId: number;
  controller: InternalTopicController;
  logs: Pick<LogStore, "getLog">;
  props: ReadonlyMap<string, string>;
  log: Logger;
}

export class InternalTopic {
  /** Partitions whose load was started and not unloaded since, with its epoch and promise. */
  private readonly loads = new Map<number, { epoch: number; done: Promise<void> }>();
  /** Id of the topic the loads belong to (a recreated topic starts over). */
  private topicId: string | null = null;
  private creating: Promise<number> | null = null;
  private stopped = false;

  constructor(
    private readonly opts: InternalTopicOptions,
    private readonly spec: InternalTopicSpec,
  ) {}

  /** Follow the metadata image: load the partitions this node leads now and after each change. */
  start(): void {
    this.opts.controller.onChange(() => this.sync());
    this.sync();
  }

  /** Resolves once every partition load started so far has finished. */
  async whenLoaded(): Promise<void> {
    await Promise.all([...this.loads.values()].map((l) => l.done));
  }

  /** Creates the topic if missing; concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    if (this.stopped) return Promise.resolve(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (this.opts.controller.image.topic(this.spec.name)) return Promise.resolve(ErrorCode.NONE);
    this.creating ??= this.createTopic().finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  private async createTopic(): Promise<number> {
    const { props, controller, log } = this.opts;
    const { name, numPartitions, replicationFactor, segmentBytes } = this.spec;
    const rf = numberProp(props, replicationFactor.key, replicationFactor.dflt);
    const segment = numberProp(props, segmentBytes.key, segmentBytes.dflt);
    try {
      await controller.createTopic({
        name,
        numPartitions,
        // Kafka waits for that many brokers; a smaller cluster gets what it has.
        replicationFactor: Math.max(1, Math.min(rf, controller.liveBrokers.length)),
        configs: new Map([
          ["cleanup.policy", "compact"],
          ["compression.type", this.spec.compressionType],
          ["segment.bytes", String(segment)],
        ]),
      });
      log.info({ topic: name, partitions: numPartitions }, `created ${this.spec.label}`);
    } catch (err) {
      if (!(err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) {
        log.error({ err }, `creating ${name} failed`);
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
    const topic = this.opts.controller.image.topic(this.spec.name);
    if (this.topicId !== null && topic?.id !== this.topicId) {
      for (const p of [...this.loads.keys()]) this.unload(p);
    }
    this.topicId = topic?.id ?? null;
    if (!topic) return;
    for (let p = 0; p < this.spec.numPartitions; p++) {
      const part = topic.partitions.get(p);
      const leads = part !== undefined && part.leader === this.opts.nodeId;
      const current = this.loads.get(p);
      const stale =
        current !== undefined && this.spec.reloadOnEpochChange && current.epoch !== part?.leaderEpoch;
      if (part && leads && (!current || stale)) this.load(p, part.leaderEpoch);
      else if (!leads && current) this.unload(p);
    }
  }

  private load(partition: number, leaderEpoch: number): void {
    const { name } = this.spec;
    const log = this.opts.logs.getLog(name, partition);
    if (!log) {
      this.opts.log.warn({ partition }, `no local log for a led ${name} partition`);
      return;
    }
    const done = this.spec.load(partition, leaderEpoch, partitionRecords(log)).catch((err: unknown) => {
      // Leave the partition unowned (NOT_COORDINATOR) rather than serve half-loaded state.
      this.opts.log.error({ err, partition }, `loading ${name} partition failed`);
      this.spec.unload(partition);
    });
    this.loads.set(partition, { epoch: leaderEpoch, done });
  }

  private unload(partition: number): void {
    this.loads.delete(partition);
    this.spec.unload(partition);
  }

  /** Appends records to a partition this node leads, as one batch with offsets assigned. */
  async append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    const { name } = this.spec;
    const part = this.opts.controller.image.topic(name)?.partitions.get(partition);
    const log = this.opts.logs.getLog(name, partition);
    if (!part || !log) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `no log for ${name}-${partition}`);
    }
    if (part.leader !== this.opts.nodeId) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `not leader of ${name}-${partition}`);
    }
    const batch = await buildBatch({ records });
    await log.append(batch, { leaderEpoch: part.leaderEpoch, assignOffsets: true });
  }

  /** Stops following the image; later ensureTopic calls get COORDINATOR_NOT_AVAILABLE. */
  shutdown(): void {
    this.stopped = true;
    this.loads.clear();
  }
}
