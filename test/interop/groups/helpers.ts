import { Kafka, logLevel } from "kafkajs";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";

/** Shared bits of the consumer-group interop tests. */

/** Broker settings that keep group tests fast: a short first-rebalance delay. */
export const GROUP_TEST_OVERRIDES: Record<string, string> = {
  "group.initial.rebalance.delay.ms": "300",
  // 50 partitions is Kafka's default; fewer keep start-up and restarts quick on a shared machine.
  "offsets.topic.num.partitions": "10",
};

export function startGroupBroker(
  overrides: Record<string, string> = {},
  dataDir?: string,
): Promise<BrokerProcess> {
  return startBroker({ dataDir, overrides: { ...GROUP_TEST_OVERRIDES, ...overrides } });
}

export function kafkaFor(bootstrap: string, clientId = "gregor-groups-test"): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: process.env.GROUPS_TEST_KAFKAJS_LOG ? logLevel.INFO : logLevel.NOTHING,
    retry: { initialRetryTime: 100, retries: 20 },
  });
}

/** Produce `count` keyed messages spread over every partition of `topic` (explicit partitions). */
export async function produceSpread(
  kafka: Kafka,
  topic: string,
  partitions: number,
  count: number,
  prefix = "m",
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await producer.send({
    topic,
    messages: Array.from({ length: count }, (_, i) => ({
      partition: i % partitions,
      key: `${prefix}-${i}`,
      value: `${prefix}-${i}`,
    })),
  });
  await producer.disconnect();
}
