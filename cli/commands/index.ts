import type { CliCommand } from "../main.js";

/** Subcommands, named like Kafka's scripts (kafka-topics.sh -> `gregor topics`). */
export const COMMANDS: Record<string, CliCommand> = {
  broker: {
    summary: "run a broker: broker start [--config server.properties] [--override k=v]",
    load: () => import("./broker.js"),
  },
  storage: {
    summary: "KRaft storage tool: storage random-uuid | format --cluster-id ID --config F",
    load: () => import("./storage.js"),
  },
  "dump-log": {
    summary: "print segment, index and time-index files: dump-log --files F[,F...]",
    load: () => import("./dump-log.js"),
  },
  "consumer-groups": {
    summary: "list, describe and reset consumer groups: consumer-groups --bootstrap-server H:P --list",
    load: () => import("./consumer-groups.js"),
  },
  transactions: {
    summary: "list and describe transactions: transactions --bootstrap-server H:P list|describe",
    load: () => import("./transactions.js"),
  },
  operator: {
    summary: "run the Kubernetes operator",
    load: () => import("./operator.js"),
  },
};
