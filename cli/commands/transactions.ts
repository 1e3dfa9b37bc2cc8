import { parseArgs } from "node:util";
import { describeError, KafkaClient, KafkaClientError } from "../../protocol/client/kafka-client.js";
import { ErrorCode } from "../../protocol/errors/index.js";

/**
 * `gregor transactions`, like kafka-transactions.sh:
 *   list [--state S,...] [--producer-id N,...] [--duration-ms N]
 *   describe --transactional-id ID
 *   describe-producers --topic T --partition P
 * Exit codes: 0 ok, 1 error, 2 usage.
 */
const USAGE = `usage: gregor transactions --bootstrap-server HOST:PORT COMMAND [options]
commands:
  list                          transactions of every broker (--state S,... --producer-id N,... --duration-ms N)
  describe                      one transaction: --transactional-id ID
  describe-producers            active producers of a partition: --topic T --partition P
other options: --timeout MS (default 5000)
`;

type Values = {
  "bootstrap-server"?: string;
  "transactional-id"?: string;
  topic?: string;
  partition?: string;
  state?: string;
  "producer-id"?: string;
  "duration-ms"?: string;
  timeout?: string;
};

class UsageError extends Error {}

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

/** Rows as columns padded to their widest cell (Kafka's tool prints the same layout). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

function integer(name: string, s: string): bigint {
  if (!/^-?\d+$/.test(s.trim())) throw new UsageError(`${name} must be an integer, got '${s}'`);
  return BigInt(s.trim());
}

async function list(client: KafkaClient, v: Values): Promise<number> {
  const stateFilters = v.state ? v.state.split(",").filter((s) => s !== "") : [];
  const producerIdFilters = v["producer-id"]
    ? v["producer-id"].split(",").map((s) => integer("--producer-id", s))
    : [];
  const durationFilter = v["duration-ms"] !== undefined ? integer("--duration-ms", v["duration-ms"]) : -1n;
  const rows: string[][] = [];
  let failed = false;
  for (const { nodeId, conn } of await client.allNodes()) {
    const ver = conn.pickVersion(66, durationFilter >= 0n ? 1 : 0, durationFilter >= 0n ? 1 : 0);
    const r = await conn.sendAt(66, ver, { stateFilters, producerIdFilters, durationFilter });
    if (r.errorCode !== ErrorCode.NONE) {
      err(`broker ${nodeId}: ${describeError(r.errorCode)}\n`);
      failed = true;
      continue;
    }
    if (r.unknownStateFilters.length > 0)
      err(`unknown states ignored: ${r.unknownStateFilters.join(", ")}\n`);
    for (const t of r.transactionStates)
      rows.push([t.transactionalId, String(nodeId), String(t.producerId), t.transactionState]);
  }
  rows.sort((a, b) => a[0]!.localeCompare(b[0]!));
  out(table(["TransactionalId", "Coordinator", "ProducerId", "TransactionState"], rows));
  return failed ? 1 : 0;
}

async function describe(client: KafkaClient, v: Values): Promise<number> {
  const id = v["transactional-id"];
  if (!id) throw new UsageError("describe needs --transactional-id");
  const conn = client.bootstrap;
  const fc = await conn.sendAt(10, conn.pickVersion(10, 3, 1), {
    key: id,
    keyType: 1,
    coordinatorKeys: [],
  });
  if (fc.errorCode !== ErrorCode.NONE) {
    err(`cannot find the coordinator of '${id}': ${describeError(fc.errorCode)}\n`);
    return 1;
  }
  const coord = await client.node(fc.nodeId).catch(() => conn);
  const r = await coord.sendAt(65, coord.pickVersion(65, 0), { transactionalIds: [id] });
  const s = r.transactionStates[0];
  if (!s) throw new KafkaClientError("empty DescribeTransactions response");
  if (s.errorCode !== ErrorCode.NONE) {
    err(`cannot describe '${id}': ${describeError(s.errorCode)}\n`);
    return 1;
  }
  const partitions = s.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}-${p}`)).join(",");
  out(
    table(
      [
        "CoordinatorId",
        "TransactionalId",
        "ProducerId",
        "ProducerEpoch",
        "TransactionState",
        "CurrentTransactionStartTimeMs",
        "TransactionTimeoutMs",
        "TopicPartitions",
      ],
      [
        [
          String(fc.nodeId),
          s.transactionalId,
          String(s.producerId),
          String(s.producerEpoch),
          s.transactionState,
          s.transactionStartTimeMs >= 0n ? String(s.transactionStartTimeMs) : "None",
          String(s.transactionTimeoutMs),
          partitions,
        ],
      ],
    ),
  );
  return 0;
}

async function describeProducers(client: KafkaClient, v: Values): Promise<number> {
  const topic = v.topic;
  if (!topic || v.partition === undefined)
    throw new UsageError("describe-producers needs --topic and --partition");
  const partition = Number(integer("--partition", v.partition));
  const md = await client.metadata([topic]);
  const t = md.topics.find((x) => x.name === topic);
  if (!t || t.errorCode !== ErrorCode.NONE) {
    err(`unknown topic '${topic}'${t ? `: ${describeError(t.errorCode)}` : ""}\n`);
    return 1;
  }
  const p = t.partitions.find((x) => x.partitionIndex === partition);
  if (!p) {
    err(`topic '${topic}' has no partition ${partition}\n`);
    return 1;
  }
  const conn = await client.node(p.leaderId);
  const r = await conn.sendAt(61, conn.pickVersion(61, 0), {
    topics: [{ name: topic, partitionIndexes: [partition] }],
  });
  const pr = r.topics[0]?.partitions[0];
  if (!pr) throw new KafkaClientError("empty DescribeProducers response");
  if (pr.errorCode !== ErrorCode.NONE) {
    err(`cannot describe producers of ${topic}-${partition}: ${describeError(pr.errorCode)}\n`);
    return 1;
  }
  out(
    table(
      [
        "ProducerId",
        "ProducerEpoch",
        "LatestCoordinatorEpoch",
        "LastSequence",
        "LastTimestamp",
        "CurrentTransactionStartOffset",
      ],
      pr.activeProducers.map((a) => [
        String(a.producerId),
        String(a.producerEpoch),
        String(a.coordinatorEpoch),
        String(a.lastSequence),
        String(a.lastTimestamp),
        a.currentTxnStartOffset >= 0n ? String(a.currentTxnStartOffset) : "None",
      ]),
    ),
  );
  return 0;
}

const COMMANDS: Record<string, (c: KafkaClient, v: Values) => Promise<number>> = {
  list,
  describe,
  "describe-producers": describeProducers,
};

export async function run(argv: string[]): Promise<number> {
  let v: Values;
  let command: string | undefined;
  try {
    const parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        "bootstrap-server": { type: "string" },
        "transactional-id": { type: "string" },
        topic: { type: "string" },
        partition: { type: "string" },
        state: { type: "string" },
        "producer-id": { type: "string" },
        "duration-ms": { type: "string" },
        timeout: { type: "string" },
      },
    });
    v = parsed.values as Values;
    if (parsed.positionals.length !== 1) throw new UsageError("expected exactly one command");
    command = parsed.positionals[0]!;
    if (!COMMANDS[command]) throw new UsageError(`unknown command '${command}'`);
    if (!v["bootstrap-server"]) throw new UsageError("--bootstrap-server is required");
  } catch (e) {
    err(`gregor transactions: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let client: KafkaClient | undefined;
  try {
    const timeoutMs = Number(v.timeout ?? 5000);
    client = await KafkaClient.connect(v["bootstrap-server"]!, {
      clientId: "gregor-transactions",
      timeoutMs,
    });
    return await COMMANDS[command]!(client, v);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`gregor transactions: ${e.message}\n${USAGE}`);
      return 2;
    }
    err(`gregor transactions: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client?.close();
  }
}
