/**
 * Glue between the classic group coordinator and the broker: owns the __consumer_offsets topic
 * (created through the controller on first FindCoordinator, like Kafka), appends the coordinator's
 * records to the right partition log, and loads (or unloads) partition state whenever the metadata
 * image says this node leads (or stops leading) a partition — at start and after every change.
 */
import type { Logger } from "pino";
import { ErrorCode } from "../../protocol/errors/index.js";
import type { LogStore } from "../api/context.js";
import {
  DEFAULT_GROUP_CONFIG,
  GroupCoordinator,
  type GroupCoordinatorConfig,
  type GroupLogWriter,
  type Time,
} from "./group/index.js";
import {
  effectivePartitions,
  InternalTopic,
  type InternalTopicController,
  numberProp,
  partitionRecords,
} from "./internal-topic.js";

export { partitionRecords };

export const GROUP_METADATA_TOPIC = "__consumer_offsets";

/** Kafka's defaults for the offsets topic that are not group coordinator settings. */
const OFFSETS_TOPIC_DEFAULTS = {
  "offsets.topic.replication.factor": 3,
  "offsets.topic.segment.bytes": 104_857_600,
};

/** The slice of the controller the service needs (LocalController provides it). */
export type OffsetsTopicController = InternalTopicController;

export interface GroupServiceOptions {
  nodeId: number;
  controller: OffsetsTopicController;
  logs: Pick<LogStore, "getLog">;
  /** server.properties values as set (unset keys take Kafka's defaults). */
  props: ReadonlyMap<string, string>;
  log: Logger;
  time?: Time;
}

/** Coordinator settings from server.properties keys (Kafka's names and defaults). */
export function groupConfigFromProps(props: ReadonlyMap<string, string>): GroupCoordinatorConfig {
  const out = { ...DEFAULT_GROUP_CONFIG };
  for (const k of Object.keys(out) as (keyof GroupCoordinatorConfig)[]) {
    out[k] = numberProp(props, k, out[k]);
  }
  return out;
}

export class GroupService {
  readonly coordinator: GroupCoordinator;
  private readonly topic: InternalTopic;

  constructor(private readonly opts: GroupServiceOptions) {
    const config = groupConfigFromProps(opts.props);
    // The partition of a group must never change: an existing topic's size wins over the config.
    config["offsets.topic.num.partitions"] = effectivePartitions(
      opts.controller.image,
      GROUP_METADATA_TOPIC,
      "offsets.topic.num.partitions",
      config["offsets.topic.num.partitions"],
      opts.log,
    );
    this.topic = new InternalTopic(opts, {
      name: GROUP_METADATA_TOPIC,
      numPartitions: config["offsets.topic.num.partitions"],
      replicationFactor: {
        key: "offsets.topic.replication.factor",
        dflt: OFFSETS_TOPIC_DEFAULTS["offsets.topic.replication.factor"],
      },
      segmentBytes: {
        key: "offsets.topic.segment.bytes",
        dflt: OFFSETS_TOPIC_DEFAULTS["offsets.topic.segment.bytes"],
      },
      compressionType: "producer",
      label: "offsets topic",
      reloadOnEpochChange: false,
      load: (partition, _epoch, records) => this.coordinator.onPartitionLoad(partition, records),
      unload: (partition) => this.coordinator.onPartitionUnload(partition),
    });
    const writer: GroupLogWriter = { append: (p, records) => this.topic.append(p, records) };
    this.coordinator = new GroupCoordinator({
      writer,
      config,
      time: opts.time,
      logger: opts.log,
    });
  }

  /** Follow the metadata image: load the partitions this node leads now and after each change. */
  start(): void {
    this.topic.start();
  }

  /** Resolves once every partition load started so far has finished. */
  whenLoaded(): Promise<void> {
    return this.topic.whenLoaded();
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
    return this.topic.ensureTopic();
  }

  /** Stops the coordinator (pending joins are answered; later requests get COORDINATOR_NOT_AVAILABLE). */
  shutdown(): void {
    this.topic.shutdown();
    this.coordinator.shutdown();
  }
}
