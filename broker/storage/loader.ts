import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { BATCH } from "../../protocol/records/header.js";
import { TXN_INDEX_SUFFIX } from "../producer/txn-index.js";
import type { LogConfig } from "./config.js";
import {
  CLEANED_SUFFIX,
  DELETED_SUFFIX,
  INDEX_SUFFIX,
  LOG_SUFFIX,
  readAt,
  SWAP_SUFFIX,
  segmentPath,
  TIME_INDEX_SUFFIX,
} from "./files.js";
import { LogSegment } from "./segment.js";

export interface LoadSegmentsOptions {
  dir: string;
  config: LogConfig;
  now: number;
  recoveryPoint: bigint;
  logStartOffset?: bigint;
  hadCleanShutdown: boolean;
  logger?: Logger;
}

export interface LoadedSegments {
  segments: LogSegment[];
  logEndOffset: bigint;
  logStartOffset: bigint;
  recoveryPoint: bigint;
  recoveredSegments: number;
  recoveredEpochs: { epoch: number; startOffset: bigint }[];
}

const SEGMENT_NAME = /^(\d{20})\.(log|index|timeindex)$/;
/** Segment files a cleaner swap replaces, the producer layer's .txnindex included. */
const SWAPPABLE_NAME = /^(\d{20})\.(log|index|timeindex|txnindex)$/;

/**
 * Open a partition directory. After a clean shutdown this lists the directory and stats each
 * .log, nothing more; otherwise segments from the recovery point on are rescanned (framing, CRC,
 * offset order), the log is cut at the first bad byte, and later segments are dropped.
 */
export function loadSegments(o: LoadSegmentsOptions): LoadedSegments {
  const segOpts = {
    indexIntervalBytes: o.config.indexIntervalBytes,
    segmentIndexBytes: o.config.segmentIndexBytes,
  };
  const mustRecover = new Set<string>();
  // A cleaner run interrupted before its swap leaves only staging files: drop them.
  fs.rmSync(path.join(o.dir, "cleaner-staging"), { recursive: true, force: true });
  const names = new Set(fs.readdirSync(o.dir));
  for (const name of [...names]) {
    if (name.endsWith(DELETED_SUFFIX) || name.endsWith(CLEANED_SUFFIX) || name.endsWith(".tmp")) {
      fs.rmSync(path.join(o.dir, name), { force: true });
      names.delete(name);
    }
  }
  completeSwaps(o.dir, names, mustRecover);

  const bases: bigint[] = [];
  const files = new Map<string, Set<string>>();
  for (const name of names) {
    const m = SEGMENT_NAME.exec(name);
    if (!m) continue;
    if (!files.has(m[1]!)) files.set(m[1]!, new Set());
    files.get(m[1]!)!.add(m[2]!);
  }
  for (const [base, kinds] of files) {
    if (!kinds.has("log")) {
      // Index files without a log are leftovers; Kafka deletes them too.
      for (const k of kinds) fs.rmSync(path.join(o.dir, `${base}.${k}`), { force: true });
      continue;
    }
    bases.push(BigInt(base));
    if (!kinds.has("index") || !kinds.has("timeindex")) mustRecover.add(base);
  }
  bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

  let segments = bases.map((b) => LogSegment.open(o.dir, b, segOpts, o.now));
  if (segments.length === 0) {
    segments = [LogSegment.create(o.dir, o.logStartOffset ?? 0n, segOpts, o.now)];
  }

  const recoveredEpochs: { epoch: number; startOffset: bigint }[] = [];
  let recovered = 0;
  let firstToRecover = segments.length;
  if (!o.hadCleanShutdown) {
    firstToRecover = 0;
    for (let i = 0; i < segments.length; i++)
      if (segments[i]!.baseOffset <= o.recoveryPoint) firstToRecover = i;
  } else if (!segments[segments.length - 1]!.indexesLookSane()) {
    firstToRecover = segments.length - 1;
  }
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    const name = seg.baseOffset.toString().padStart(20, "0");
    if (i < firstToRecover && !mustRecover.has(name)) continue;
    const prevNext = i > 0 ? segments[i - 1]!.nextOffset : seg.baseOffset;
    const r = seg.recover(prevNext);
    seg.flush();
    if (i < segments.length - 1) seg.close(true);
    recovered++;
    recoveredEpochs.push(...r.epochs);
    if (r.truncatedBytes > 0) {
      o.logger?.warn(
        { dir: o.dir, segment: name, truncatedBytes: r.truncatedBytes },
        "recovery truncated a corrupt or partial tail",
      );
      for (const dropped of segments.splice(i + 1)) dropped.markDeleted();
      for (const f of fs.readdirSync(o.dir)) if (f.endsWith(DELETED_SUFFIX)) fs.rmSync(path.join(o.dir, f));
      break;
    }
  }

  const last = segments[segments.length - 1]!;
  const logEndOffset = last.nextOffset;
  let logStartOffset = segments[0]!.baseOffset;
  if (o.logStartOffset !== undefined && o.logStartOffset > logStartOffset) logStartOffset = o.logStartOffset;
  if (logStartOffset > logEndOffset) logStartOffset = logEndOffset;
  return {
    segments,
    logEndOffset,
    logStartOffset,
    recoveryPoint: logEndOffset,
    recoveredSegments: recovered,
    recoveredEpochs,
  };
}

/**
 * Finish a cleaner swap interrupted by a crash: `<base>.*.swap` replaces every segment whose base
 * lies inside the swap's offset range.
 */
function completeSwaps(dir: string, names: Set<string>, mustRecover: Set<string>): void {
  const swapBases = new Set<string>();
  for (const n of names) {
    const m = /^(\d{20})\.(log|index|timeindex|txnindex)\.swap$/.exec(n);
    if (m) swapBases.add(m[1]!);
  }
  for (const base of swapBases) {
    const swapLog = `${base}${LOG_SUFFIX}${SWAP_SUFFIX}`;
    const logName = names.has(swapLog) ? swapLog : `${base}${LOG_SUFFIX}`;
    const end = nextOffsetOfFile(path.join(dir, logName), BigInt(base));
    for (const n of [...names]) {
      const m = SWAPPABLE_NAME.exec(n);
      if (!m) continue;
      const b = BigInt(m[1]!);
      const sameBaseOld = m[1] === base && names.has(swapLog);
      if ((b > BigInt(base) && b < end) || sameBaseOld) {
        fs.rmSync(path.join(dir, n), { force: true });
        names.delete(n);
      }
    }
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX]) {
      const from = `${base}${suffix}${SWAP_SUFFIX}`;
      if (!names.has(from)) continue;
      fs.renameSync(path.join(dir, from), segmentPath(dir, BigInt(base), suffix));
      names.delete(from);
      names.add(`${base}${suffix}`);
    }
    mustRecover.add(base);
  }
}

/** Offset after the last whole batch of a log file (header walk only). */
function nextOffsetOfFile(file: string, base: bigint): bigint {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch {
    return base;
  }
  try {
    const size = fs.fstatSync(fd).size;
    let pos = 0;
    let next = base;
    while (pos + BATCH.HEADER_SIZE <= size) {
      const h = readAt(fd, pos, BATCH.HEADER_SIZE);
      const len = h.readInt32BE(BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
      if (len < BATCH.HEADER_SIZE || pos + len > size) break;
      next = h.readBigInt64BE(0) + BigInt(h.readInt32BE(BATCH.LAST_OFFSET_DELTA)) + 1n;
      pos += len;
    }
    return next;
  } finally {
    fs.closeSync(fd);
  }
}
