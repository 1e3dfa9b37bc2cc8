/**
 * Glue between the transaction coordinator and the broker: owns __transaction_state (created on
 * first use, like Kafka), appends the coordinator's records to it and loads/unloads its partitions
 * as the metadata image says this node leads them (recovering in-flight transactions). Producer id
 * blocks come from producer-id-blocks.ts, markers go through txn-markers.ts.
 */
import type { Logger } from "pino";
import { ErrorCode } from "../../protocol/errors/index.js";
import type { LogStore } from "../api/context.js";
import type { MetadataRecord } from "../metadata/records.js";
import type { Time } from "./group/time.js";
import type { GroupService, OffsetsTopicController } from "./group-service.js";
import { effectivePartitions, InternalTopic, numberProp } from "./internal-topic.js";
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

export function txnConfigFromProps(props: ReadonlyMap<string, string>): TxnCoordinatorConfig {
  const out = { ...DEFAULT_TXN_CONFIG };
  for (const k of Object.keys(out) as (keyof TxnCoordinatorConfig)[]) out[k] = numberProp(props, k, out[k]);
  return out;
}

export class TxnService {
  readonly coordinator: TransactionCoordinator;
  readonly producerIds: ProducerIdBlocks;
  private readonly markers: LocalMarkerWriter;
  private readonly topic: InternalTopic;
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
    config["transaction.state.log.num.partitions"] = effectivePartitions(
      opts.controller.image,
      TRANSACTION_STATE_TOPIC,
      "transaction.state.log.num.partitions",
      config["transaction.state.log.num.partitions"],
      opts.log,
    );
    this.topic = new InternalTopic(opts, {
      name: TRANSACTION_STATE_TOPIC,
      numPartitions: config["transaction.state.log.num.partitions"],
      replicationFactor: {
        key: "transaction.state.log.replication.factor",
        dflt: TXN_TOPIC_DEFAULTS["transaction.state.log.replication.factor"],
      },
      segmentBytes: {
        key: "transaction.state.log.segment.bytes",
        dflt: TXN_TOPIC_DEFAULTS["transaction.state.log.segment.bytes"],
      },
      compressionType: "uncompressed",
      label: "transaction state topic",
      // A new leader epoch means state to recover again (in-flight transactions), as in Kafka.
      reloadOnEpochChange: true,
      load: (partition, epoch, records) => this.coordinator.onPartitionLoad(partition, epoch, records),
      unload: (partition) => this.coordinator.onPartitionUnload(partition),
    });
    this.coordinator = new TransactionCoordinator({
      writer: { append: (p, records) => this.topic.append(p, records) },
      markers: { writeMarkers: (req) => this.markers.writeMarkers(req) },
      producerIds: this.producerIds.allocator,
      config,
      logger: opts.log,
      time: opts.time,
    });
  }

  start(): void {
    this.topic.start();
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

  whenLoaded(): Promise<void> {
    return this.topic.whenLoaded();
  }

  /** Creates __transaction_state if missing; concurrent callers share one creation. */
  ensureTopic(): Promise<number> {
    return this.topic.ensureTopic();
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
    this.topic.shutdown();
    this.coordinator.shutdown();
  }
}
