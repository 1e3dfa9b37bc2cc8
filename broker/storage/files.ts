import fs from "node:fs";
import path from "node:path";

/** Kafka's file names and small-file helpers (atomic replace, directory fsync). */
export const LOG_SUFFIX = ".log";
export const INDEX_SUFFIX = ".index";
export const TIME_INDEX_SUFFIX = ".timeindex";
export const DELETED_SUFFIX = ".deleted";
export const CLEANED_SUFFIX = ".cleaned";
export const SWAP_SUFFIX = ".swap";
export const LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";
export const PARTITION_METADATA = "partition.metadata";
export const RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
export const LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";
export const CLEANER_OFFSET_CHECKPOINT = "cleaner-offset-checkpoint";
export const CLEAN_SHUTDOWN_MARKER = ".kafka_cleanshutdown";

/** 20-digit zero-padded base offset, as Kafka names segments. */
export function offsetFileName(offset: bigint): string {
  return offset.toString().padStart(20, "0");
}

export function segmentPath(dir: string, base: bigint, suffix: string): string {
  return path.join(dir, offsetFileName(base) + suffix);
}

/** `<topic>-<partition>` (topic names may themselves contain dashes). */
export function parseTopicPartitionDir(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (!m) return null;
  const partition = Number(m[2]);
  if (!Number.isSafeInteger(partition) || partition > 2147483647) return null;
  return { topic: m[1]!, partition };
}

export function fsyncDir(dir: string): void {
  try {
    const fd = fs.openSync(dir, "r");
    try {
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  }
}

/** Write via a temp file, fsync, rename over, fsync the directory: readers see old or new, never half. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = file + ".tmp";
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export function readFileIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

/** Read exactly `length` bytes at `position` (fewer only at end of file). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
}

export function writeAllAt(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
  }
}
