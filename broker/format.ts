import { mkdirSync } from "node:fs";
import { isReservedUuid, randomUuid, uuidToBytes } from "./metadata/uuid.js";
import {
  ForeignDirectoryError,
  MetaPropertiesError,
  readMetaProperties,
  writeMetaProperties,
} from "./storage/meta-properties.js";

/**
 * `storage format`: write meta.properties into every log directory (and the metadata log
 * directory). Idempotent with `ignoreFormatted`; a directory of another cluster or node is
 * never overwritten, whatever the flags.
 */
export interface FormatOptions {
  dirs: string[];
  clusterId: string;
  nodeId: number;
  ignoreFormatted: boolean;
}

export interface FormatResult {
  formatted: string[];
  skipped: string[];
}

export function validateClusterId(id: string): string | null {
  if (!uuidToBytes(id)) {
    return `cluster id '${id}' is not a valid Kafka uuid (22 characters of URL-safe base64; use \`gregor storage random-uuid\`)`;
  }
  if (isReservedUuid(id)) return `cluster id '${id}' is reserved`;
  return null;
}

export function formatDirs(opts: FormatOptions): FormatResult {
  const problem = validateClusterId(opts.clusterId);
  if (problem) throw new MetaPropertiesError(problem);
  const dirs = [...new Set(opts.dirs)];
  const result: FormatResult = { formatted: [], skipped: [] };
  // Check everything before writing anything, so a refusal leaves no directory half-done.
  const todo: string[] = [];
  for (const dir of dirs) {
    const existing = readMetaProperties(dir);
    if (!existing) {
      todo.push(dir);
      continue;
    }
    if (existing.clusterId !== opts.clusterId) {
      throw new ForeignDirectoryError(
        `log directory ${dir} is already formatted for cluster ${existing.clusterId}, not ${opts.clusterId}; refusing to touch it`,
      );
    }
    if (existing.nodeId !== opts.nodeId) {
      throw new ForeignDirectoryError(
        `log directory ${dir} is already formatted for node.id=${existing.nodeId}, not ${opts.nodeId}; refusing to touch it`,
      );
    }
    if (!opts.ignoreFormatted) {
      throw new MetaPropertiesError(
        `log directory ${dir} is already formatted; use --ignore-formatted to skip formatted directories`,
      );
    }
    result.skipped.push(dir);
  }
  for (const dir of todo) {
    mkdirSync(dir, { recursive: true });
    writeMetaProperties(dir, {
      version: 1,
      clusterId: opts.clusterId,
      nodeId: opts.nodeId,
      directoryId: randomUuid(),
    });
    result.formatted.push(dir);
  }
  return result;
}
