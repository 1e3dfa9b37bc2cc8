import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ManualClock } from "../../../broker/storage/clock.js";
import { defaultLogConfig, type LogConfig } from "../../../broker/storage/config.js";
import { PartitionLog } from "../../../broker/storage/partition-log.js";
import { type BuildRecord, buildBatch } from "../../../protocol/records/batch.js";

export function tmpDir(prefix = "gregor-storage-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function smallConfig(over: Partial<LogConfig> = {}): LogConfig {
  return {
    ...defaultLogConfig(),
    segmentBytes: 4096,
    indexIntervalBytes: 256,
    fileDeleteDelayMs: 0,
    retentionMs: -1,
    ...over,
  };
}

/** A producer-style batch (offsets from 0, epoch -1) with `n` records. */
export function batch(
  n: number,
  opts: { ts?: bigint; key?: (i: number) => Buffer | null; valueSize?: number; tag?: string } = {},
): Promise<Buffer> {
  const ts = opts.ts ?? 1_700_000_000_000n;
  const records: BuildRecord[] = [];
  for (let i = 0; i < n; i++) {
    const value = Buffer.alloc(opts.valueSize ?? 10, `${opts.tag ?? "v"}${i}`);
    records.push({ key: opts.key ? opts.key(i) : null, value, timestamp: ts + BigInt(i) });
  }
  return buildBatch({ records, baseTimestamp: ts });
}

export function openLog(
  dir: string,
  config: LogConfig,
  clock = new ManualClock(),
  clean = true,
  extra: { recoveryPoint?: bigint; logStartOffset?: bigint } = {},
): PartitionLog {
  const init = { dir, topic: "t", partition: 0, topicId: "AAAAAAAAAAAAAAAAAAAAAA", config, clock, ...extra };
  return fs.existsSync(dir) && fs.readdirSync(dir).length > 0
    ? PartitionLog.load({ ...init, hadCleanShutdown: clean })
    : PartitionLog.create(init);
}

/** Every batch readable from the log, as (baseOffset, lastOffset, bytes) triples. */
export function readAll(
  log: PartitionLog,
  maxBytes = 1 << 20,
): { base: bigint; last: bigint; bytes: Buffer }[] {
  const out: { base: bigint; last: bigint; bytes: Buffer }[] = [];
  let off = log.logStartOffset;
  while (off < log.logEndOffset) {
    const r = log.read(off, maxBytes);
    if (r.bytes === 0) break;
    for (const chunk of r.chunks) {
      let at = 0;
      while (at < chunk.length) {
        const size = chunk.readInt32BE(at + 8) + 12;
        const base = chunk.readBigInt64BE(at);
        const last = base + BigInt(chunk.readInt32BE(at + 23));
        out.push({ base, last, bytes: chunk.subarray(at, at + size) });
        at += size;
        off = last + 1n;
      }
    }
  }
  return out;
}
