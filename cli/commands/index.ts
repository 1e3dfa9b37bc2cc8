import type { CliCommand } from "../main.js";

/** Subcommands, named like Kafka's scripts (kafka-topics.sh -> `gregor topics`). */
export const COMMANDS: Record<string, CliCommand> = {
  broker: {
    summary: "run a broker: broker start [--config server.properties] [--override k=v]",
    load: () => import("./not-built.js").then((m) => m.notBuilt("broker")),
  },
};
