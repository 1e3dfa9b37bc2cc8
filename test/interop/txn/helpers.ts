import { Kafka, logLevel } from "kafkajs";
import { BrokerConnection } from "../../../protocol/client/kafka-client.js";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { runTool } from "../../harness/cli-tools.js";

/** Shared bits of the transaction interop tests. */

/** Fewer internal-topic partitions than Kafka's 50 keep start-up and restarts quick here. */
export const TXN_TEST_OVERRIDES: Record<string, string> = {
  "offsets.topic.num.partitions": "5",
  "transaction.state.log.num.partitions": "5",
  "group.initial.rebalance.delay.ms": "100",
};

export function startTxnBroker(
  overrides: Record<string, string> = {},
  dataDir?: string,
): Promise<BrokerProcess> {
  return startBroker({ dataDir, overrides: { ...TXN_TEST_OVERRIDES, ...overrides } });
}

export function kafkaFor(bootstrap: string, clientId = "gregor-txn-test"): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 100, retries: 15 },
  });
}

/** Values of a whole topic read with kcat under an isolation level, as "partition:offset:value" lines. */
export async function kcatRead(
  bootstrap: string,
  topic: string,
  isolation: "read_committed" | "read_uncommitted",
): Promise<string[]> {
  const r = await runTool("kcat", [
    "-C",
    "-b",
    bootstrap,
    "-t",
    topic,
    "-e",
    "-q",
    "-X",
    `isolation.level=${isolation}`,
    "-f",
    "%p:%o:%s\\n",
  ]);
  if (r.code !== 0) throw new Error(`kcat failed (${r.code}): ${r.stderr}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

/** Values only, in (partition, offset) order. */
export function valuesOf(lines: string[]): string[] {
  return lines
    .map((l) => l.split(":"))
    .sort((a, b) => Number(a[0]) - Number(b[0]) || Number(a[1]) - Number(b[1]))
    .map((p) => p.slice(2).join(":"));
}

export function rawConnection(broker: BrokerProcess): Promise<BrokerConnection> {
  return BrokerConnection.open(broker.bootstrap, "gregor-txn-raw", 10_000);
}
