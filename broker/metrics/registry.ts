import { Counter, collectDefaultMetrics, Gauge, Registry, Summary } from "prom-client";

/**
 * Broker metrics, named as the Prometheus JMX exporter's standard Kafka rules name Kafka's
 * MBeans (kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,topic=T ->
 * kafka_server_brokertopicmetrics_bytesin_total{topic="T"}), so existing dashboards and alerts
 * keep working.
 */
export interface PartitionSize {
  topic: string;
  partition: number;
  size: number;
  logStartOffset: bigint;
  logEndOffset: bigint;
}

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly bytesIn: Counter<"topic">;
  readonly bytesOut: Counter<"topic">;
  readonly messagesIn: Counter<"topic">;
  readonly totalProduceRequests: Counter<"topic">;
  readonly totalFetchRequests: Counter<"topic">;
  readonly failedProduceRequests: Counter<"topic">;
  readonly failedFetchRequests: Counter<"topic">;
  readonly requests: Counter<"request" | "version">;
  readonly requestErrors: Counter<"request" | "error">;
  readonly totalTime: Summary<"request">;
  readonly networkBytesIn: Counter<string>;
  readonly networkBytesOut: Counter<string>;

  constructor(partitionSizes: () => PartitionSize[], connectionCount: () => number) {
    const registers = [this.registry];
    const topicCounter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ["topic"] as const, registers });
    this.bytesIn = topicCounter(
      "kafka_server_brokertopicmetrics_bytesin_total",
      "Bytes appended, per topic.",
    );
    this.bytesOut = topicCounter(
      "kafka_server_brokertopicmetrics_bytesout_total",
      "Bytes fetched, per topic.",
    );
    this.messagesIn = topicCounter(
      "kafka_server_brokertopicmetrics_messagesin_total",
      "Records appended, per topic.",
    );
    this.totalProduceRequests = topicCounter(
      "kafka_server_brokertopicmetrics_totalproducerequests_total",
      "Produce requests, per topic.",
    );
    this.totalFetchRequests = topicCounter(
      "kafka_server_brokertopicmetrics_totalfetchrequests_total",
      "Fetch requests, per topic.",
    );
    this.failedProduceRequests = topicCounter(
      "kafka_server_brokertopicmetrics_failedproducerequests_total",
      "Failed produce requests, per topic.",
    );
    this.failedFetchRequests = topicCounter(
      "kafka_server_brokertopicmetrics_failedfetchrequests_total",
      "Failed fetch requests, per topic.",
    );
    this.requests = new Counter({
      name: "kafka_network_requestmetrics_requests_total",
      help: "Requests, per API and version.",
      labelNames: ["request", "version"] as const,
      registers,
    });
    this.requestErrors = new Counter({
      name: "kafka_network_requestmetrics_errors_total",
      help: "Error codes in responses, per API and error name.",
      labelNames: ["request", "error"] as const,
      registers,
    });
    this.totalTime = new Summary({
      name: "kafka_network_requestmetrics_totaltimems",
      help: "Request handling time in ms, per API.",
      labelNames: ["request"] as const,
      percentiles: [0.5, 0.75, 0.95, 0.99, 0.999],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers,
    });
    this.networkBytesIn = new Counter({
      name: "kafka_server_socketservermetrics_incoming_byte_total",
      help: "Bytes read from client sockets.",
      registers,
    });
    this.networkBytesOut = new Counter({
      name: "kafka_server_socketservermetrics_outgoing_byte_total",
      help: "Bytes written to client sockets.",
      registers,
    });
    new Gauge({
      name: "kafka_server_socketservermetrics_connection_count",
      help: "Open client connections.",
      registers,
      collect() {
        this.set(connectionCount());
      },
    });
    const sizes = () => partitionSizes();
    new Gauge({
      name: "kafka_log_log_size",
      help: "Bytes on disk, per partition.",
      labelNames: ["topic", "partition"] as const,
      registers,
      collect() {
        this.reset();
        for (const p of sizes()) this.set({ topic: p.topic, partition: String(p.partition) }, p.size);
      },
    });
    new Gauge({
      name: "kafka_log_log_logendoffset",
      help: "Log end offset, per partition.",
      labelNames: ["topic", "partition"] as const,
      registers,
      collect() {
        this.reset();
        for (const p of sizes()) {
          this.set({ topic: p.topic, partition: String(p.partition) }, Number(p.logEndOffset));
        }
      },
    });
    new Gauge({
      name: "kafka_log_log_logstartoffset",
      help: "Log start offset, per partition.",
      labelNames: ["topic", "partition"] as const,
      registers,
      collect() {
        this.reset();
        for (const p of sizes()) {
          this.set({ topic: p.topic, partition: String(p.partition) }, Number(p.logStartOffset));
        }
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }
}
