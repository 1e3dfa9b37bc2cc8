import path from "node:path";
import { readFileIfExists, writeFileAtomic } from "./files.js";

/**
 * Kafka's text checkpoint files: a version line (0), a count line, then one entry per line.
 * Offset checkpoints (recovery point, log start, cleaner) hold "topic partition offset"; the
 * leader-epoch checkpoint holds "epoch startOffset".
 */
export class CheckpointFormatError extends Error {
  override name = "CheckpointFormatError";
}

function parseLines(file: string, text: string, fields: number): string[][] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  if (lines.length < 2) throw new CheckpointFormatError(`${file}: missing version or count line`);
  if (lines[0]!.trim() !== "0") throw new CheckpointFormatError(`${file}: unsupported version '${lines[0]}'`);
  const count = Number(lines[1]!.trim());
  if (!Number.isInteger(count) || count < 0 || count !== lines.length - 2) {
    throw new CheckpointFormatError(`${file}: count ${lines[1]} does not match ${lines.length - 2} entries`);
  }
  return lines.slice(2).map((l) => {
    const parts = l.trim().split(/\s+/);
    if (parts.length !== fields) throw new CheckpointFormatError(`${file}: malformed entry '${l}'`);
    return parts;
  });
}

const toBigInt = (file: string, s: string): bigint => {
  if (!/^-?\d+$/.test(s)) throw new CheckpointFormatError(`${file}: '${s}' is not an integer`);
  return BigInt(s);
};

export type OffsetCheckpoint = Map<string, bigint>;
export const tpKey = (topic: string, partition: number): string => `${topic}-${partition}`;

export function readOffsetCheckpoint(dir: string, name: string): OffsetCheckpoint {
  const file = path.join(dir, name);
  const text = readFileIfExists(file);
  const out: OffsetCheckpoint = new Map();
  if (text === null) return out;
  for (const [topic, partition, offset] of parseLines(file, text, 3)) {
    out.set(tpKey(topic!, Number(partition)), toBigInt(file, offset!));
  }
  return out;
}

export function writeOffsetCheckpoint(
  dir: string,
  name: string,
  entries: { topic: string; partition: number; offset: bigint }[],
): void {
  const lines = ["0", String(entries.length), ...entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`)];
  writeFileAtomic(path.join(dir, name), lines.join("\n") + "\n");
}

export interface EpochEntry {
  epoch: number;
  startOffset: bigint;
}

export function parseEpochCheckpoint(file: string, text: string): EpochEntry[] {
  return parseLines(file, text, 2).map(([e, o]) => ({ epoch: Number(e), startOffset: toBigInt(file, o!) }));
}

export function formatEpochCheckpoint(entries: EpochEntry[]): string {
  return (
    ["0", String(entries.length), ...entries.map((e) => `${e.epoch} ${e.startOffset}`)].join("\n") + "\n"
  );
}

/** partition.metadata: "version: 0" and "topic_id: <id>". */
export function formatPartitionMetadata(topicId: string): string {
  return `version: 0\ntopic_id: ${topicId}\n`;
}

export function parsePartitionMetadata(file: string, text: string): string {
  const m = /^version:\s*0\s*\ntopic_id:\s*(\S+)\s*$/m.exec(text.trim());
  if (!m) throw new CheckpointFormatError(`${file}: malformed partition metadata`);
  return m[1]!;
}
