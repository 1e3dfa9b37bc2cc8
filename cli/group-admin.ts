/** Group administration over KafkaClient: what kafka-consumer-groups.sh needs. */

import {
  type BrokerConnection,
  describeError,
  type KafkaClient,
  KafkaClientError,
} from "../protocol/client/kafka-client.js";
import type { ResponseByKey } from "../protocol/framing.js";

const RETRIABLE_COORDINATOR = new Set([14, 15, 16]); // LOAD_IN_PROGRESS, NOT_AVAILABLE, NOT_COORDINATOR

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  state: string;
}

export type DescribedGroup = ResponseByKey[15]["groups"][number];

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string;
}

/** Group operations on top of KafkaClient: coordinator lookup with retries, then the request. */
export class GroupAdmin {
  constructor(
    readonly client: KafkaClient,
    private readonly retryMs = 10_000,
  ) {}

  /** Runs `op` on the group's coordinator, re-locating it while it moves or loads. */
  private async onCoordinator<T>(
    group: string,
    op: (c: BrokerConnection) => Promise<{ code: number; value: T }>,
  ): Promise<T> {
    const deadline = Date.now() + this.retryMs;
    for (;;) {
      const conn = await this.coordinator(group);
      const { code, value } = await op(conn);
      if (code === 0) return value;
      if (!RETRIABLE_COORDINATOR.has(code) || Date.now() > deadline) {
        throw new KafkaClientError(`group '${group}': ${describeError(code)}`, code);
      }
      await sleep(200);
    }
  }

  async coordinator(group: string): Promise<BrokerConnection> {
    return (await this.locate(group)).conn;
  }

  /** The coordinator's node id and a connection to it. */
  async locate(group: string): Promise<{ nodeId: number; conn: BrokerConnection }> {
    const deadline = Date.now() + this.retryMs;
    const b = this.client.bootstrap;
    for (;;) {
      const v = b.pickVersion(10, 4);
      const r = await b.sendAt(10, v, {
        key: v >= 4 ? "" : group,
        keyType: 0,
        coordinatorKeys: v >= 4 ? [group] : [],
      });
      const c = v >= 4 ? r.coordinators[0] : { nodeId: r.nodeId, errorCode: r.errorCode };
      if (!c) throw new KafkaClientError("FindCoordinator returned no answer");
      if (c.errorCode === 0) {
        if (!this.client.broker(c.nodeId)) await this.client.refreshBrokers();
        return { nodeId: c.nodeId, conn: await this.client.node(c.nodeId) };
      }
      if (!RETRIABLE_COORDINATOR.has(c.errorCode) || Date.now() > deadline) {
        throw new KafkaClientError(
          `cannot find the coordinator of group '${group}': ${describeError(c.errorCode)}`,
          c.errorCode,
        );
      }
      await sleep(200);
    }
  }

  /** Groups of every broker, optionally only those in the given states (case-insensitive). */
  async listGroups(states: string[] = []): Promise<ListedGroup[]> {
    const out = new Map<string, ListedGroup>();
    for (const { conn } of await this.client.allNodes()) {
      const deadline = Date.now() + this.retryMs;
      for (;;) {
        const v = conn.pickVersion(16, 4, states.length > 0 ? 4 : 0);
        const r = await conn.sendAt(16, v, { statesFilter: v >= 4 ? states : [], typesFilter: [] });
        if (r.errorCode === 14 && Date.now() < deadline) {
          await sleep(200);
          continue;
        }
        if (r.errorCode !== 0)
          throw new KafkaClientError(
            `ListGroups on ${conn.address}: ${describeError(r.errorCode)}`,
            r.errorCode,
          );
        for (const g of r.groups)
          out.set(g.groupId, { groupId: g.groupId, protocolType: g.protocolType, state: g.groupState });
        break;
      }
    }
    return [...out.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
  }

  describeGroup(group: string): Promise<DescribedGroup> {
    return this.onCoordinator(group, async (c) => {
      const r = await c.sendAt(15, c.pickVersion(15, 5), {
        groups: [group],
        includeAuthorizedOperations: false,
      });
      const g = r.groups[0];
      if (!g) throw new KafkaClientError(`DescribeGroups returned nothing for '${group}'`);
      return { code: g.errorCode, value: g };
    });
  }

  /** Every committed offset of the group (offsets of -1 are left out). */
  fetchOffsets(group: string): Promise<CommittedOffset[]> {
    return this.onCoordinator(group, async (c) => {
      const v = c.pickVersion(9, 8, 2);
      let code: number;
      let topics: ResponseByKey[9]["topics"];
      if (v >= 8) {
        const r = await c.sendAt(9, v, {
          groupId: "",
          topics: [],
          groups: [{ groupId: group, memberId: null, memberEpoch: -1, topics: null }],
          requireStable: false,
        });
        code = r.groups[0]?.errorCode ?? 0;
        topics = r.groups[0]?.topics ?? [];
      } else {
        const r = await c.sendAt(9, v, { groupId: group, topics: null, groups: [], requireStable: false });
        code = r.errorCode;
        topics = r.topics;
      }
      const value = topics.flatMap((t) =>
        t.partitions
          .filter((p) => p.committedOffset >= 0n)
          .map((p) => ({
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            metadata: p.metadata ?? "",
          })),
      );
      return { code, value };
    });
  }

  /** Commits offsets as an admin (no generation, no member): the group must be empty. */
  async commitOffsets(
    group: string,
    offsets: { topic: string; partition: number; offset: bigint }[],
  ): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    const failures = await this.onCoordinator(group, async (c) => {
      const v = c.pickVersion(8, 8, 2);
      const r = await c.sendAt(8, v, {
        groupId: group,
        generationIdOrMemberEpoch: -1,
        memberId: "",
        groupInstanceId: null,
        retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((p) => ({
            partitionIndex: p.partition,
            committedOffset: p.offset,
            committedLeaderEpoch: -1,
            commitTimestamp: -1n,
            committedMetadata: "",
          })),
        })),
      });
      const errors = r.topics.flatMap((t) =>
        t.partitions.filter((p) => p.errorCode !== 0).map((p) => ({ t: t.name, p })),
      );
      const first = errors[0]?.p.errorCode ?? 0;
      // Coordinator moves are retried as a whole; anything else is reported per partition.
      if (RETRIABLE_COORDINATOR.has(first)) return { code: first, value: [] };
      return {
        code: 0,
        value: errors.map((e) => `${e.t}-${e.p.partitionIndex}: ${describeError(e.p.errorCode)}`),
      };
    });
    if (failures.length > 0)
      throw new KafkaClientError(`committing offsets failed:\n  ${failures.join("\n  ")}`);
  }

  /** OffsetDelete: the group-level error and one error code per partition. */
  deleteOffsets(
    group: string,
    parts: { topic: string; partition: number }[],
  ): Promise<{ errorCode: number; partitions: { topic: string; partition: number; errorCode: number }[] }> {
    const byTopic = new Map<string, number[]>();
    for (const p of parts) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    return this.onCoordinator(group, async (c) => {
      const r = await c.sendAt(47, c.pickVersion(47, 0), {
        groupId: group,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((partitionIndex) => ({ partitionIndex })),
        })),
      });
      const partitions = r.topics.flatMap((t) =>
        t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })),
      );
      // Coordinator moves are retried; other group errors are the caller's to report.
      return RETRIABLE_COORDINATOR.has(r.errorCode)
        ? { code: r.errorCode, value: { errorCode: r.errorCode, partitions } }
        : { code: 0, value: { errorCode: r.errorCode, partitions } };
    });
  }

  async deleteGroup(group: string): Promise<number> {
    return this.onCoordinator(group, async (c) => {
      const r = await c.sendAt(42, c.pickVersion(42, 2), { groupsNames: [group] });
      const code = r.results[0]?.errorCode ?? 0;
      return RETRIABLE_COORDINATOR.has(code) ? { code, value: code } : { code: 0, value: code };
    });
  }

  /**
   * ListOffsets at a timestamp (-2 earliest, -1 latest) for partitions, asked of each leader.
   * Partitions without an answer (no such offset) map to null.
   */
  async listOffsets(
    partitions: { topic: string; partition: number }[],
    timestamp: bigint,
  ): Promise<Map<string, bigint | null>> {
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const md = await this.client.metadata(topics);
    const leaders = new Map<number, Map<string, number[]>>();
    for (const p of partitions) {
      const t = md.topics.find((x) => x.name === p.topic);
      const leader = t?.partitions.find((x) => x.partitionIndex === p.partition)?.leaderId;
      if (t === undefined || t.errorCode !== 0 || leader === undefined || leader < 0) {
        throw new KafkaClientError(
          `no leader for ${p.topic}-${p.partition}${t?.errorCode ? ` (${describeError(t.errorCode)})` : ""}`,
        );
      }
      const byTopic = leaders.get(leader) ?? new Map<string, number[]>();
      byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      leaders.set(leader, byTopic);
    }
    const out = new Map<string, bigint | null>();
    for (const [leader, byTopic] of leaders) {
      const conn = await this.client.node(leader);
      const v = conn.pickVersion(2, 7, 1);
      const r = await conn.sendAt(2, v, {
        replicaId: -1,
        isolationLevel: 0,
        timeoutMs: 0,
        topics: [...byTopic].map(([name, ps]) => ({
          name,
          partitions: ps.map((partitionIndex) => ({
            partitionIndex,
            currentLeaderEpoch: -1,
            timestamp,
            maxNumOffsets: 1,
          })),
        })),
      });
      for (const t of r.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== 0)
            throw new KafkaClientError(
              `ListOffsets ${t.name}-${p.partitionIndex}: ${describeError(p.errorCode)}`,
              p.errorCode,
            );
          out.set(`${t.name}:${p.partitionIndex}`, p.offset >= 0n ? p.offset : null);
        }
      }
    }
    return out;
  }
}
