import type { Admin, Kafka, Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { runTool } from "../../harness/cli-tools.js";
import { kafkaFor, kcatRead, startTxnBroker, TXN_TEST_OVERRIDES, valuesOf } from "./helpers.js";

/**
 * Consume-transform-produce with sendOffsets (KafkaJS transactional producer, offsets committed
 * through TxnOffsetCommit), with the broker killed (-9) twice: once in the middle of a transaction
 * (records and offsets sent, no EndTxn) and once right after EndTxn was answered (markers possibly
 * not yet written; the restarted coordinator must finish the commit, including the offsets). After
 * each restart a new instance of the app resumes from the committed offset. In the end every input
 * record appears exactly once in the read_committed output, in order: nothing committed was
 * processed again and nothing was lost.
 */
const IN = "eos-in";
const OUT = "eos-out";
const GROUP = "eos-app";
const TXN_ID = "eos-app-txn";
const N = 40;
const BATCH = 5;

let broker: BrokerProcess;
let kafka: Kafka;
let admin: Admin | undefined;
let producer: Producer | undefined;

beforeAll(async () => {
  broker = await startTxnBroker();
  kafka = kafkaFor(broker.bootstrap);
  const a = kafka.admin();
  await a.connect();
  await a.createTopics({
    topics: [
      { topic: IN, numPartitions: 1 },
      { topic: OUT, numPartitions: 1 },
    ],
  });
  await a.disconnect();
  const lines = Array.from({ length: N }, (_, i) => `r${i}`).join("\n");
  const r = await runTool("kcat", ["-P", "-b", broker.bootstrap, "-t", IN, "-p", "0"], `${lines}\n`);
  expect(r.code, r.stderr).toBe(0);
});

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await broker?.stop();
  broker?.cleanup();
});

/** A fresh app instance (admin + transactional producer) against the current broker. */
async function connectApp(): Promise<void> {
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  kafka = kafkaFor(broker.bootstrap, `eos-${Date.now()}`);
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
}

async function committedOffset(): Promise<number> {
  const r = await admin!.fetchOffsets({ groupId: GROUP, topics: [IN] });
  const o = Number(r[0]!.partitions.find((p) => p.partition === 0)!.offset);
  return Math.max(o, 0);
}

async function readInput(from: number, count: number): Promise<string[]> {
  const r = await runTool("kcat", [
    "-C",
    "-b",
    broker.bootstrap,
    "-t",
    IN,
    "-p",
    "0",
    "-o",
    String(from),
    "-c",
    String(count),
    "-e",
    "-q",
    "-f",
    "%s\\n",
  ]);
  if (r.code !== 0) throw new Error(`kcat failed: ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/**
 * One step of the app: read a batch after the committed offset, write its transform and the new
 * offset in one transaction. `stop` leaves the transaction open ("before-commit") or returns as
 * soon as the commit is answered ("after-commit"), for the crash to happen there.
 */
async function step(stop: "none" | "before-commit" = "none"): Promise<number> {
  const from = await committedOffset();
  const input = await readInput(from, BATCH);
  if (input.length === 0) return 0;
  const t = await producer!.transaction();
  await t.send({ topic: OUT, messages: input.map((v) => ({ value: `out-${v}` })) });
  await t.sendOffsets({
    consumerGroupId: GROUP,
    topics: [{ topic: IN, partitions: [{ partition: 0, offset: String(from + input.length) }] }],
  });
  if (stop === "before-commit") return input.length;
  await t.commit();
  return input.length;
}

async function crashAndRestart(): Promise<void> {
  await broker.kill9();
  broker = await startBroker({ dataDir: broker.dataDir, overrides: TXN_TEST_OVERRIDES });
  await connectApp();
}

describe("exactly-once consume-transform-produce across broker crashes", () => {
  it("no record is both committed and processed again", async () => {
    await connectApp();
    await step();
    await step();
    expect(await committedOffset()).toBe(2 * BATCH);

    // Crash 1: in the middle of a transaction.
    await step("before-commit");
    await crashAndRestart();
    // The open transaction was aborted (fenced by the new instance): its offsets did not count.
    expect(await committedOffset()).toBe(2 * BATCH);
    await step();

    // Crash 2: straight after EndTxn was answered; the restarted coordinator completes the commit.
    await step();
    await crashAndRestart();
    expect(await committedOffset()).toBe(4 * BATCH);

    while ((await step()) > 0) {
      /* drain the input */
    }
    expect(await committedOffset()).toBe(N);

    const out = valuesOf(await kcatRead(broker.bootstrap, OUT, "read_committed"));
    expect(out).toEqual(Array.from({ length: N }, (_, i) => `out-r${i}`));
    // The aborted attempt is in the log, visible only to read_uncommitted readers.
    const all = valuesOf(await kcatRead(broker.bootstrap, OUT, "read_uncommitted"));
    expect(all.length).toBe(N + BATCH);
  });
});
