import { parseArgs } from "node:util";
import { Broker } from "../../broker/broker.js";
import { type BrokerConfig, ConfigError, loadBrokerConfig } from "../../broker/config/broker-config.js";
import { createLogger } from "../../broker/logger.js";
import { MetaPropertiesError } from "../../broker/storage/meta-properties.js";

/**
 * `gregor broker start [--config server.properties] [--override k=v]...`
 * Without --config this is the embedded default: a single node (broker + controller, node.id=1)
 * on localhost:9092 with data in ./data, formatted automatically on first start. With --config the
 * directories must have been formatted with `gregor storage format`.
 */
export const EMBEDDED_DEFAULTS: Record<string, string> = {
  "node.id": "1",
  "process.roles": "broker,controller",
  listeners: "PLAINTEXT://localhost:9092",
  "log.dirs": "./data",
  "gregor.metrics.listener": "http://localhost:9404",
};

const USAGE = "usage: gregor broker start [--config server.properties] [--override key=value]...\n";

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "start") {
    process.stderr.write(sub ? `gregor broker: unknown subcommand '${sub}'\n${USAGE}` : USAGE);
    return 2;
  }
  let values: { config?: string; override?: string[] };
  try {
    values = parseArgs({
      args: rest,
      options: { config: { type: "string", short: "c" }, override: { type: "string", multiple: true } },
    }).values;
  } catch (err) {
    process.stderr.write(`gregor broker start: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const embedded = values.config === undefined;
  let cfg: BrokerConfig;
  try {
    cfg = loadBrokerConfig({
      file: values.config,
      overrides: values.override ?? [],
      base: embedded ? EMBEDDED_DEFAULTS : {},
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gregor broker start: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const log = createLogger(cfg.logLevel);
  // A bug in one request path must not take the broker down with it: log it and keep serving.
  process.on("unhandledRejection", (err) => log.error({ err }, "unhandled promise rejection"));
  let broker: Broker;
  try {
    broker = await Broker.start({ config: cfg, log, autoFormat: embedded });
  } catch (err) {
    if (err instanceof MetaPropertiesError || err instanceof ConfigError) {
      log.fatal(err.message);
      process.stderr.write(`gregor broker start: ${err.message}\n`);
      return 1;
    }
    log.fatal({ err }, "broker failed to start");
    process.stderr.write(`gregor broker start: ${(err as Error).message}\n`);
    return 1;
  }
  return new Promise<number>((resolveExit) => {
    let signals = 0;
    const onSignal = (sig: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        log.warn({ signal: sig }, "second signal: exiting without clean shutdown");
        process.exit(130);
      }
      log.info({ signal: sig }, "shutting down");
      broker.stop().then(
        () => resolveExit(0),
        (err: unknown) => {
          log.error({ err }, "unclean shutdown");
          resolveExit(1);
        },
      );
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
