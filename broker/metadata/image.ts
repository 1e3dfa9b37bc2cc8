/**
 * The in-memory metadata image: what the metadata log says the cluster looks like, built by
 * replaying its records in order. Images are immutable; `apply` returns a new image that shares
 * the untouched topics with the old one, so readers (handlers) can hold an image across awaits
 * without seeing half-applied changes.
 */
import type { MetadataRecord } from "./records.js";

/** ConfigRecord resource types (Kafka's ConfigResource.Type ids). */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4 } as const;

export interface PartitionImage {
  readonly partitionId: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly id: string;
  readonly partitions: ReadonlyMap<number, PartitionImage>;
  /** Topic-level config overrides (only keys that were set). */
  readonly configs: ReadonlyMap<string, string>;
}

export class MetadataImage {
  static readonly EMPTY = new MetadataImage(new Map(), new Map(), new Map(), -1n);

  private constructor(
    readonly topicsByName: ReadonlyMap<string, TopicImage>,
    readonly topicsById: ReadonlyMap<string, TopicImage>,
    /** Broker-level dynamic configs keyed by broker id ("" for cluster-wide defaults). */
    readonly brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>,
    /** Offset of the last record applied (-1 when empty). */
    readonly offset: bigint,
  ) {}

  topic(name: string): TopicImage | undefined {
    return this.topicsByName.get(name);
  }

  topicById(id: string): TopicImage | undefined {
    return this.topicsById.get(id);
  }

  /** Apply records in order; returns a new image (or this one if nothing changed). */
  apply(records: readonly MetadataRecord[], lastOffset: bigint): MetadataImage {
    if (records.length === 0) return this;
    const byId = new Map(this.topicsById);
    const brokerConfigs = new Map(this.brokerConfigs);
    for (const rec of records) applyOne(byId, brokerConfigs, rec);
    const byName = new Map<string, TopicImage>();
    for (const t of byId.values()) byName.set(t.name, t);
    return new MetadataImage(byName, byId, brokerConfigs, lastOffset);
  }
}

function applyOne(
  byId: Map<string, TopicImage>,
  brokerConfigs: Map<string, ReadonlyMap<string, string>>,
  rec: MetadataRecord,
): void {
  switch (rec.type) {
    case "TopicRecord": {
      const { name, topicId } = rec.data;
      byId.set(topicId, { name, id: topicId, partitions: new Map(), configs: new Map() });
      return;
    }
    case "PartitionRecord": {
      const d = rec.data;
      const t = byId.get(d.topicId);
      if (!t) return; // a partition of a removed topic: ignore, as Kafka's replay would fail it
      const partitions = new Map(t.partitions);
      partitions.set(d.partitionId, {
        partitionId: d.partitionId,
        replicas: d.replicas,
        isr: d.isr,
        leader: d.leader,
        leaderEpoch: d.leaderEpoch,
        partitionEpoch: d.partitionEpoch,
      });
      byId.set(t.id, { ...t, partitions });
      return;
    }
    case "PartitionChangeRecord": {
      const d = rec.data;
      const t = byId.get(d.topicId);
      const p = t?.partitions.get(d.partitionId);
      if (!t || !p) return;
      const partitions = new Map(t.partitions);
      const leaderChanged = d.leader !== -2 && d.leader !== p.leader;
      partitions.set(d.partitionId, {
        ...p,
        isr: d.isr ?? p.isr,
        replicas: d.replicas ?? p.replicas,
        leader: d.leader === -2 ? p.leader : d.leader,
        leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
        partitionEpoch: p.partitionEpoch + 1,
      });
      byId.set(t.id, { ...t, partitions });
      return;
    }
    case "RemoveTopicRecord":
      byId.delete(rec.data.topicId);
      return;
    case "ConfigRecord": {
      const d = rec.data;
      if (d.resourceType === ConfigResourceType.TOPIC) {
        const t = [...byId.values()].find((x) => x.name === d.resourceName);
        if (!t) return;
        const configs = new Map(t.configs);
        if (d.value === null) configs.delete(d.name);
        else configs.set(d.name, d.value);
        byId.set(t.id, { ...t, configs });
      } else if (d.resourceType === ConfigResourceType.BROKER) {
        const configs = new Map(brokerConfigs.get(d.resourceName) ?? []);
        if (d.value === null) configs.delete(d.name);
        else configs.set(d.name, d.value);
        brokerConfigs.set(d.resourceName, configs);
      }
      return;
    }
    default:
      // Records this node does not act on (features, broker registrations, ...) leave the image as is.
      return;
  }
}
