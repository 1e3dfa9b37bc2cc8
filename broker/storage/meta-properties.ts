import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { formatProperties, parseProperties } from "../config/properties.js";
import { uuidToBytes } from "../metadata/uuid.js";

/**
 * `meta.properties`, the file `storage format` writes into every log directory and a broker
 * checks at start, in Kafka's KRaft format (version=1, cluster.id, node.id, directory.id), so a
 * directory formatted by Kafka's tools reads here and the other way round.
 */
export const META_PROPERTIES = "meta.properties";

export interface MetaProperties {
  version: 1;
  clusterId: string;
  nodeId: number;
  directoryId?: string;
}

export class MetaPropertiesError extends Error {
  override name = "MetaPropertiesError";
}

/** Thrown when a directory belongs to another cluster or node; callers exit with a distinct code. */
export class ForeignDirectoryError extends MetaPropertiesError {
  override name = "ForeignDirectoryError";
}

export class UnformattedDirectoryError extends MetaPropertiesError {
  override name = "UnformattedDirectoryError";
}

export function readMetaProperties(dir: string): MetaProperties | null {
  const file = join(dir, META_PROPERTIES);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new MetaPropertiesError(`cannot read ${file}: ${(err as Error).message}`);
  }
  const p = parseProperties(text);
  const version = p.get("version");
  if (version !== "1") {
    throw new MetaPropertiesError(
      `${file}: version=${version ?? "(missing)"} is not a KRaft meta.properties (expected version=1)`,
    );
  }
  const clusterId = p.get("cluster.id");
  if (!clusterId) throw new MetaPropertiesError(`${file}: cluster.id is missing`);
  const nodeIdText = p.get("node.id");
  if (!nodeIdText || !/^\d+$/.test(nodeIdText)) {
    throw new MetaPropertiesError(`${file}: node.id is missing or not a number`);
  }
  const directoryId = p.get("directory.id");
  if (directoryId !== undefined && !uuidToBytes(directoryId)) {
    throw new MetaPropertiesError(`${file}: directory.id '${directoryId}' is not a valid uuid`);
  }
  return { version: 1, clusterId, nodeId: Number(nodeIdText), ...(directoryId ? { directoryId } : {}) };
}

export function formatMetaProperties(mp: MetaProperties, now = new Date()): string {
  const entries: [string, string][] = [
    ["cluster.id", mp.clusterId],
    ...(mp.directoryId ? ([["directory.id", mp.directoryId]] as [string, string][]) : []),
    ["node.id", String(mp.nodeId)],
    ["version", "1"],
  ];
  return "#\n" + formatProperties(entries, now.toString());
}

/** Write atomically: temp file, fsync, rename, so a crash never leaves a half-written file. */
export function writeMetaProperties(dir: string, mp: MetaProperties): void {
  const file = join(dir, META_PROPERTIES);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, formatMetaProperties(mp));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  try {
    const dfd = openSync(dir, "r");
    fsyncSync(dfd);
    closeSync(dfd);
  } catch {
    // Directory fsync is best effort (not supported everywhere).
  }
}

/**
 * Check that every directory is formatted for one cluster and for this node. Returns the cluster
 * id. Errors name the directory and say what to do.
 */
export function checkFormatted(
  dirs: string[],
  nodeId: number,
): { clusterId: string; metas: MetaProperties[] } {
  const metas: MetaProperties[] = [];
  let clusterId: string | null = null;
  for (const dir of dirs) {
    const mp = readMetaProperties(dir);
    if (!mp) {
      throw new UnformattedDirectoryError(
        `log directory ${dir} is not formatted (no ${META_PROPERTIES}); ` +
          "run `gregor storage format --cluster-id <id> --config <server.properties>` first",
      );
    }
    if (clusterId !== null && mp.clusterId !== clusterId) {
      throw new ForeignDirectoryError(
        `log directory ${dir} belongs to cluster ${mp.clusterId}, but other directories to ${clusterId}`,
      );
    }
    if (mp.nodeId !== nodeId) {
      throw new ForeignDirectoryError(
        `log directory ${dir} was formatted for node.id=${mp.nodeId}, but this node is node.id=${nodeId}`,
      );
    }
    clusterId = mp.clusterId;
    metas.push(mp);
  }
  if (clusterId === null) throw new MetaPropertiesError("no log directories configured");
  return { clusterId, metas };
}
