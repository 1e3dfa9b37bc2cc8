import { type ChildProcess, spawn } from "node:child_process";
import type { Kafka } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrokerProcess } from "../../harness/broker-process.js";
import { waitFor } from "../../harness/cli-tools.js";
import { RawClient } from "../broker/raw-client.js";
import { kafkaFor, produceSpread, startGroupBroker } from "./helpers.js";

/**
 * librdkafka (kcat -G): two balanced consumers split a topic's partitions; with
 * group.instance.id (static membership, KIP-345) a member that restarts within its session
 * timeout gets its partitions back without a rebalance of the group.
 */
let broker: BrokerProcess;
let kafka: Kafka;
const running = new Set<KcatConsumer>();

beforeAll(async () => {
  broker = await startGroupBroker({ "num.partitions": "4" });
  kafka = kafkaFor(broker.bootstrap);
});

afterAll(async () => {
  for (const k of running) await k.stop("SIGKILL");
  await broker?.stop();
  broker?.cleanup();
});

class KcatConsumer {
  readonly child: ChildProcess;
  stdout = "";
  stderr = "";
  private readonly exited: Promise<void>;

  constructor(bootstrap: string, group: string, topic: string, extra: string[] = []) {
    this.child = spawn(
      "kcat",
      ["-b", bootstrap, "-u", "-G", group, "-o", "beginning", "-f", "%p %o %s\\n", ...extra, topic],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.child.stdout!.on("data", (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.once("exit", () => r()));
    running.add(this);
  }

  /** (partition, offset, value) lines printed so far. */
  records(): { partition: number; offset: number; value: string }[] {
    return this.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => {
        const [p, o, v] = l.split(" ");
        return { partition: Number(p), offset: Number(o), value: v ?? "" };
      });
  }

  /** "% Group G rebalanced (memberid M): assigned: t [0], t [2]" lines, as partition lists. */
  assignments(): number[][] {
    return [...this.stderr.matchAll(/rebalanced \(memberid [^)]*\): assigned: ([^\n]*)/g)].map((m) =>
      [...m[1]!.matchAll(/\[(\d+)\]/g)].map((x) => Number(x[1])).sort(),
    );
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    await this.exited;
    running.delete(this);
  }
}

describe("kcat balanced consumers", () => {
  it("two -G consumers split four partitions and consume every message once", async () => {
    const topic = "kcat-balanced";
    await produceSpread(kafka, topic, 4, 40, "k");
    const a = new KcatConsumer(broker.bootstrap, "kcat-g", topic, ["-X", "session.timeout.ms=10000"]);
    const b = new KcatConsumer(broker.bootstrap, "kcat-g", topic, ["-X", "session.timeout.ms=10000"]);
    await waitFor(
      "both members to hold two partitions",
      () => a.assignments().at(-1)?.length === 2 && b.assignments().at(-1)?.length === 2,
      45_000,
    );
    await waitFor("all 40 messages", () => a.records().length + b.records().length >= 40);
    const all = [...a.records(), ...b.records()];
    expect(new Set(all.map((r) => r.value)).size).toBe(40);
    expect(new Set(all.map((r) => `${r.partition}:${r.offset}`)).size).toBe(all.length);
    expect([...a.assignments().at(-1)!, ...b.assignments().at(-1)!].sort()).toEqual([0, 1, 2, 3]);
    await a.stop();
    await b.stop();
    // librdkafka commits on close: the group's offsets sit at the log end.
    const admin = kafka.admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId: "kcat-g", topics: [topic] });
      expect(t!.partitions.map((p) => p.offset)).toEqual(["10", "10", "10", "10"]);
    } finally {
      await admin.disconnect();
    }
  });

  it("a static member (group.instance.id) restarts without a rebalance", async () => {
    const topic = "kcat-static";
    await produceSpread(kafka, topic, 4, 8, "s");
    const opts = (id: string) => [
      ...["-X", `group.instance.id=${id}`, "-X", "session.timeout.ms=20000"],
      ...["-X", "heartbeat.interval.ms=300"],
    ];
    const a = new KcatConsumer(broker.bootstrap, "kcat-static-g", topic, opts("inst-a"));
    const b = new KcatConsumer(broker.bootstrap, "kcat-static-g", topic, opts("inst-b"));
    await waitFor(
      "both static members to hold two partitions",
      () => a.assignments().at(-1)?.length === 2 && b.assignments().at(-1)?.length === 2,
      45_000,
    );
    const aPartitions = a.assignments().at(-1)!;
    const bAssignmentsBefore = b.assignments().length;
    const generation = await currentGeneration(broker.port, "kcat-static-g");

    // librdkafka sends no LeaveGroup for a static member: the coordinator keeps its slot.
    await a.stop();
    const a2 = new KcatConsumer(broker.bootstrap, "kcat-static-g", topic, opts("inst-a"));
    await waitFor("the restarted member's assignment", () => a2.assignments().length > 0, 30_000);
    expect(a2.assignments().at(-1)).toEqual(aPartitions);
    // Give a rebalance, if one were triggered, time to reach the other member.
    await new Promise((r) => setTimeout(r, 1500));
    expect(b.assignments().length).toBe(bAssignmentsBefore);
    expect(b.stderr).not.toMatch(/revoked/);
    // Same generation, and Stable (a rebalance in progress would answer REBALANCE_IN_PROGRESS).
    expect(await currentGeneration(broker.port, "kcat-static-g")).toEqual(generation);
    expect(generation.errorCode).toBe(0);
    await a2.stop();
    await b.stop();
  });
});

/**
 * The group's current generation, probed at the wire with Heartbeat on behalf of the member that
 * stays up (inst-b): a wrong generation answers ILLEGAL_GENERATION (22), the right one NONE (or
 * REBALANCE_IN_PROGRESS while one runs).
 */
async function currentGeneration(
  port: number,
  group: string,
): Promise<{ generation: number; errorCode: number }> {
  const raw = await RawClient.open(port);
  try {
    const d = await raw.send(15, 4, { groups: [group], includeAuthorizedOperations: false });
    const member = d.groups[0]!.members.find((m) => m.groupInstanceId === "inst-b")!;
    for (let g = 1; g < 50; g++) {
      const hb = await raw.send(12, 4, {
        groupId: group,
        generationId: g,
        memberId: member.memberId,
        groupInstanceId: member.groupInstanceId,
      });
      if (hb.errorCode === 0 || hb.errorCode === 27) return { generation: g, errorCode: hb.errorCode };
      expect(hb.errorCode).toBe(22);
    }
    throw new Error("no generation found");
  } finally {
    raw.close();
  }
}
