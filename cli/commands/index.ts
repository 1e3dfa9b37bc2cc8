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
  operator: {
    summary: "run the Kubernetes operator",
    load: () => import("./operator.js"),
  },
};
