/**
 * Glue between the transaction coordinator and the broker: owns __transaction_state (created on
 * first use, like Kafka), appends the coordinator's records to it and loads/unloads its partitions
 * as the metadata image says this node leads them (recovering in-flight transactions). Producer id
 * blocks come from producer-id-blocks.ts, markers go through txn-markers.ts.
 */
import type { Logger } from "pino";
import { ErrorCode, KafkaError } from "../../protocol/errors/index.js";
import { buildBatch } from "../../protocol/records/batch.js";
import type { LogStore } from "../api/context.js";
import type { MetadataRecord } from "../metadata/records.js";
import type { Time } from "./group/time.js";
import { type GroupService, type OffsetsTopicController, partitionRecords } from "./group-service.js";
import { ProducerIdBlocks } from "./producer-id-blocks.js";
import { TRANSACTION_STATE_TOPIC, TransactionCoordinator, type TxnCoordinatorConfig } from "./txn/index.js";
import { DEFAULT_TXN_CONFIG } from "./txn/types.js";
import { LocalMarkerWriter, type MarkerSpec, restagePendingTxnOffsets } from "./txn-markers.js";

const TXN_TOPIC_DEFAULTS = {
  "transaction.state.log.replication.factor": 3,
  "transaction.state.log.segment.bytes": 104_857_600,
};

export interface TxnServiceController extends OffsetsTopicController {
  commit(records: MetadataRecord[]): Promise<void>;
}

export interface TxnServiceOptions {
  nodeId: number;
  controller: TxnServiceController;
  logs: Pick<LogStore, "getLog">;
  groups: GroupService;
  props: ReadonlyMap<string, string>;
  /** Records of the metadata log at start (ProducerIdsRecords are replayed from them). */
  metadataRecords: readonly MetadataRecord[];
  log: Logger;
  /** Clock and timers of the coordinator (tests inject ManualTime). */
  time?: Time;
}

function numberProp(props: ReadonlyMap<string, string>, key: string, dflt: number): number {
  const raw = props.get(key);
  if (raw === undefined || raw.trim() === "") return dflt;
  const n = Number(raw.trim());
  return Number.isFinite(n) ? n : dflt;
}

export function txnConfigFromProps(props: ReadonlyMap<string, string>): TxnCoordinatorConfig {
  const out = { ...DEFAULT_TXN_CONFIG };
  for (const k of Object.keys(out) as (keyof TxnCoordinatorConfig)[]) out[k] = numberProp(props, k, out[k]);
  return out;
}

export class TxnService {
  readonly coordinator: TransactionCoordinator;
  readonly producerIds: ProducerIdBlocks;
  private readonly markers: LocalMarkerWriter;
  private readonly numPartitions: number;
  private readonly loads = new Map<number, { epoch: number; done: Promise<void> }>();
  private topicId: string | null = null;
  private creating: Promise<number> | null = null;
  private stopped = false;
  /** Settles once pending transactional offsets found at start are staged again (for tests). */
  restaged: Promise<void> = Promise.resolve();

  constructor(private readonly opts: TxnServiceOptions) {
    this.producerIds = new ProducerIdBlocks(opts.nodeId, opts.controller, opts.metadataRecords);
    this.markers = new LocalMarkerWriter({
      nodeId: opts.nodeId,
      image: () => opts.controller.image,
      logs: opts.logs,
      groups: opts.groups,
      log: opts.log,
    });
    const config = txnConfigFromProps(opts.props);
    // The group's offsets partition must be computed as the group coordinator does.
    config["offsets.topic.num.partitions"] = opts.groups.coordinator.config["offsets.topic.num.partitions"];
    const existing = opts.controller.image.topic(TRANSACTION_STATE_TOPIC);
    if (existing && existing.partitions.size !== config["transaction.state.log.num.partitions"]) {
      opts.log.warn(
        { configured: config["transaction.state.log.num.partitions"], actual: existing.partitions.size },
        "transaction.state.log.num.partitions differs from the existing __transaction_state; using the topic's",
      );
      config["transaction.state.log.num.partitions"] = existing.partitions.size;
    }
    this.numPartitions = config["transaction.state.log.num.partitions"];
    this.coordinator = new TransactionCoordinator({
      writer: { append: (p, records) => this.append(p, records) },
      markers: { writeMarkers: (req) => this.markers.writeMarkers(req) },
      producerIds: this.producerIds.allocator,
      config,
      logger: opts.log,
      time: opts.time,
    });
  }

  start(): void {
    this.opts.controller.onChange(() => this.sync());
    this.sync();
    this.coordinator.startup();
    const { groups, logs, log } = this.opts;
    this.restaged = groups
      .whenLoaded()
      .then(() =>
        restagePendingTxnOffsets(groups, logs, groups.coordinator.config["offsets.topic.num.partitions"]),
      )
      .then(
        (n) => {
          if (n > 0) log.info({ transactions: n }, "restaged pending transactional offset commits");
        },
        (err: unknown) => log.warn({ err }, "restaging pending transactional offset commits failed"),
      );
  }

  async whenLoaded(): Promise<void> {
    await Promise.all([...this.loads.values()].map((l) => l.done));
  }

  /** Creates __transaction_state if missing; concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    if (this.stopped) return Promise.resolve(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (this.opts.controller.image.topic(TRANSACTION_STATE_TOPIC)) return Promise.resolve(ErrorCode.NONE);
    this.creating ??= this.createTopic().finally(() => {
      this.creating = null;
    });
    return this.creating;
  }

  private async createTopic(): Promise<number> {
    const { props, controller, log } = this.opts;
    const rf = numberProp(
      props,
      "transaction.state.log.replication.factor",
      TXN_TOPIC_DEFAULTS["transaction.state.log.replication.factor"],
    );
    const segmentBytes = numberProp(
      props,
      "transaction.state.log.segment.bytes",
      TXN_TOPIC_DEFAULTS["transaction.state.log.segment.bytes"],
    );
    try {
      await controller.createTopic({
        name: TRANSACTION_STATE_TOPIC,
        numPartitions: this.numPartitions,
        replicationFactor: Math.max(1, Math.min(rf, controller.liveBrokers.length)),
        configs: new Map([
          ["cleanup.policy", "compact"],
          ["compression.type", "uncompressed"],
          ["segment.bytes", String(segmentBytes)],
        ]),
      });
      log.info(
        { topic: TRANSACTION_STATE_TOPIC, partitions: this.numPartitions },
        "created transaction state topic",
      );
    } catch (err) {
      if (!(err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS)) {
        log.error({ err }, "creating __transaction_state failed");
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }
    this.sync();
    await this.whenLoaded();
    return ErrorCode.NONE;
  }

  private sync(): void {
    if (this.stopped) return;
    const topic = this.opts.controller.image.topic(TRANSACTION_STATE_TOPIC);
    if (this.topicId !== null && topic?.id !== this.topicId) {
      for (const p of [...this.loads.keys()]) this.unload(p);
    }
    this.topicId = topic?.id ?? null;
    if (!topic) return;
    for (let p = 0; p < this.numPartitions; p++) {
      const part = topic.partitions.get(p);
      const leads = part !== undefined && part.leader === this.opts.nodeId;
      const current = this.loads.get(p);
      if (part && leads && (!current || current.epoch !== part.leaderEpoch)) this.load(p, part.leaderEpoch);
      else if (!leads && current) this.unload(p);
    }
  }

  private load(partition: number, leaderEpoch: number): void {
    const log = this.opts.logs.getLog(TRANSACTION_STATE_TOPIC, partition);
    if (!log) {
      this.opts.log.warn({ partition }, "no local log for a led __transaction_state partition");
      return;
    }
    const done = this.coordinator
      .onPartitionLoad(partition, leaderEpoch, partitionRecords(log))
      .catch((err: unknown) => {
        this.opts.log.error({ err, partition }, "loading __transaction_state partition failed");
        this.coordinator.onPartitionUnload(partition);
      });
    this.loads.set(partition, { epoch: leaderEpoch, done });
  }

  private unload(partition: number): void {
    this.loads.delete(partition);
    this.coordinator.onPartitionUnload(partition);
  }

  private async append(partition: number, records: { key: Buffer; value: Buffer | null }[]): Promise<void> {
    const part = this.opts.controller.image.topic(TRANSACTION_STATE_TOPIC)?.partitions.get(partition);
    const log = this.opts.logs.getLog(TRANSACTION_STATE_TOPIC, partition);
    if (!part || !log)
      throw new KafkaError(
        ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        `no log for ${TRANSACTION_STATE_TOPIC}-${partition}`,
      );
    if (part.leader !== this.opts.nodeId)
      throw new KafkaError(
        ErrorCode.NOT_LEADER_OR_FOLLOWER,
        `not leader of ${TRANSACTION_STATE_TOPIC}-${partition}`,
      );
    const batch = await buildBatch({ records });
    await log.append(batch, { leaderEpoch: part.leaderEpoch, assignOffsets: true });
  }

  /** WriteTxnMarkers: one marker into a partition this broker leads; returns its error code. */
  writeMarker(req: MarkerSpec, topic: string, partition: number): Promise<number> {
    return this.markers.writeMarker(req, topic, partition);
  }

  /** transaction.partition.verification.enable (Kafka 3.9's default: on). */
  get verificationEnabled(): boolean {
    return (this.opts.props.get("transaction.partition.verification.enable") ?? "true").trim() !== "false";
  }

  /**
   * Produce-side check (KIP-890) that the partition is in the producer's ongoing transaction, so a
   * zombie cannot start a transaction nobody will ever end. Coordinator trouble maps to a retriable
   * NOT_ENOUGH_REPLICAS, a fenced producer to INVALID_PRODUCER_EPOCH, as Kafka's produce path does.
   */
  verifyPartition(
    transactionalId: string,
    producerId: bigint,
    producerEpoch: number,
    topic: string,
    partition: number,
  ): number {
    const r = this.coordinator.verifyPartitionsInTxn({
      transactionalId,
      producerId,
      producerEpoch,
      partitions: [{ topic, partition }],
    });
    const code = r.partitions[0]?.errorCode ?? r.errorCode;
    switch (code) {
      case ErrorCode.NONE:
      case ErrorCode.INVALID_TXN_STATE:
      case ErrorCode.INVALID_PRODUCER_ID_MAPPING:
        return code;
      case ErrorCode.PRODUCER_FENCED:
        return ErrorCode.INVALID_PRODUCER_EPOCH;
      case ErrorCode.CONCURRENT_TRANSACTIONS:
      case ErrorCode.COORDINATOR_LOAD_IN_PROGRESS:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE:
      case ErrorCode.NOT_COORDINATOR:
        return ErrorCode.NOT_ENOUGH_REPLICAS;
      default:
        return code;
    }
  }

  shutdown(): void {
    this.stopped = true;
    this.loads.clear();
    this.coordinator.shutdown();
  }
}
