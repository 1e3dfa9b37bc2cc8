import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, loadBrokerConfig } from "../../broker/config/broker-config.js";
import { formatDirs } from "../../broker/format.js";
import { randomUuid } from "../../broker/metadata/uuid.js";
import { ForeignDirectoryError, MetaPropertiesError } from "../../broker/storage/meta-properties.js";

/**
 * `gregor storage`, like kafka-storage.sh:
 *   random-uuid                                      print a new cluster id
 *   format -t|--cluster-id ID -c|--config F [-g|--ignore-formatted] [--override k=v ...]
 * Exit codes: 0 ok, 1 error, 2 usage, 78 a directory belongs to another cluster or node.
 * 78 and the "StorageClusterIdMismatch" prefix are the operator's contract (operator/constants.ts):
 * its init container runs this, and the operator turns the pod's termination message into a
 * StorageClusterIdMismatch condition instead of a silent crash loop.
 */
export const EXIT_FOREIGN_DIRECTORY = 78;
const MISMATCH_PREFIX = "StorageClusterIdMismatch";
/** Kubernetes reads a container's termination message from here (terminationMessagePath). */
const TERMINATION_LOG = process.env.GREGOR_TERMINATION_LOG ?? "/dev/termination-log";

function writeTerminationMessage(message: string): void {
  try {
    // r+: only an existing file (kubelet creates it in the container); never create one in /dev.
    writeFileSync(TERMINATION_LOG, message, { flag: "r+" });
  } catch {
    // Outside a pod there is no termination log; stderr carries the same message.
  }
}

const USAGE = `usage: gregor storage random-uuid
       gregor storage format --cluster-id ID --config server.properties [--ignore-formatted] [--override k=v]...
`;

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "random-uuid") {
    process.stdout.write(`${randomUuid()}\n`);
    return 0;
  }
  if (sub !== "format") {
    process.stderr.write(sub ? `gregor storage: unknown subcommand '${sub}'\n${USAGE}` : USAGE);
    return 2;
  }
  let values: { "cluster-id"?: string; config?: string; "ignore-formatted"?: boolean; override?: string[] };
  try {
    values = parseArgs({
      args: rest,
      options: {
        "cluster-id": { type: "string", short: "t" },
        config: { type: "string", short: "c" },
        "ignore-formatted": { type: "boolean", short: "g" },
        override: { type: "string", multiple: true },
      },
    }).values;
  } catch (err) {
    process.stderr.write(`gregor storage format: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values["cluster-id"] || !values.config) {
    process.stderr.write(`gregor storage format: --cluster-id and --config are required\n${USAGE}`);
    return 2;
  }
  try {
    const cfg = loadBrokerConfig({ file: values.config, overrides: values.override ?? [] });
    const res = formatDirs({
      dirs: [...cfg.logDirs, cfg.metadataLogDir],
      clusterId: values["cluster-id"],
      nodeId: cfg.nodeId,
      ignoreFormatted: values["ignore-formatted"] ?? false,
    });
    for (const d of res.formatted) process.stdout.write(`Formatted ${d} (cluster ${values["cluster-id"]})\n`);
    for (const d of res.skipped) process.stdout.write(`Skipped ${d}: already formatted for this cluster\n`);
    return 0;
  } catch (err) {
    if (err instanceof ForeignDirectoryError) {
      const message = `${MISMATCH_PREFIX}: FOREIGN DIRECTORY: ${err.message}`;
      writeTerminationMessage(message);
      process.stderr.write(`gregor storage format: ${message}\n`);
      return EXIT_FOREIGN_DIRECTORY;
    }
    if (err instanceof ConfigError || err instanceof MetaPropertiesError) {
      process.stderr.write(`gregor storage format: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
