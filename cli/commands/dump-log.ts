/**
 * `gregor dump-log --files F[,F...]`: print segment (.log), offset index (.index) and time index
 * (.timeindex) files in kafka-dump-log.sh's line format, with --print-data-log, --deep-iteration,
 * --index-sanity-check and --verify-index-only.
 */
import fs from "node:fs";
import path from "node:path";
import { decodeBatch } from "../../protocol/records/batch.js";
import { readControlRecord } from "../../protocol/records/control.js";
import {
  Attr,
  BATCH,
  CompressionType,
  compressionOf,
  isControl,
  isCrcValid,
  isLogAppendTime,
  isTransactional,
  readBatchHeader,
} from "../../protocol/records/header.js";

export interface DumpIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

interface Options {
  files: string[];
  printDataLog: boolean;
  deepIteration: boolean;
  indexSanityCheck: boolean;
  verifyIndexOnly: boolean;
  maxBytes: number;
}

const USAGE = `usage: gregor dump-log --files F[,F...] [options]

Print the contents of log segments and their indexes (like kafka-dump-log.sh).

  --files F[,F...]          comma-separated .log, .index or .timeindex files (required)
  --print-data-log          print record keys and values (implies --deep-iteration)
  --deep-iteration          print every record, not just batch headers
  --index-sanity-check      only check that index files are usable
  --verify-index-only       check index entries against the log without printing them
  --max-bytes N             stop reading a .log after N bytes (default 5242880)
  --help                    show this help
`;

function parseArgs(argv: string[]): Options | string {
  const o: Options = {
    files: [],
    printDataLog: false,
    deepIteration: false,
    indexSanityCheck: false,
    verifyIndexOnly: false,
    maxBytes: 5 * 1024 * 1024,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] =
      a.startsWith("--") && a.includes("=")
        ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]
        : [a, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === "") throw new Error(`${flag} needs a value`);
      return v;
    };
    try {
      switch (flag) {
        case "--files":
          o.files.push(...value().split(",").filter(Boolean));
          break;
        case "--print-data-log":
          o.printDataLog = true;
          o.deepIteration = true;
          break;
        case "--deep-iteration":
          o.deepIteration = true;
          break;
        case "--index-sanity-check":
          o.indexSanityCheck = true;
          break;
        case "--verify-index-only":
          o.verifyIndexOnly = true;
          break;
        case "--max-bytes": {
          const v = value();
          if (!/^\d+$/.test(v)) return `--max-bytes: '${v}' is not a non-negative integer`;
          o.maxBytes = Number(v);
          break;
        }
        case "--key-decoder-class":
        case "--value-decoder-class":
        case "--offsets-decoder":
        case "--transaction-log-decoder":
        case "--cluster-metadata-decoder":
        case "--remote-log-metadata-decoder":
        case "--share-group-state-decoder":
          return `${flag} is not supported: records print as UTF-8 text`;
        default:
          return `unknown option '${a}'`;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }
  if (o.files.length === 0) return "missing required option --files";
  return o;
}

export async function run(argv: string[], io?: DumpIo): Promise<number> {
  const out = io?.out ?? ((s: string) => process.stdout.write(s));
  const err = io?.err ?? ((s: string) => process.stderr.write(s));
  if (argv.includes("--help") || argv.includes("-h")) {
    out(USAGE);
    return 0;
  }
  const opts = parseArgs(argv);
  if (typeof opts === "string") {
    err(`gregor dump-log: ${opts}\n\n${USAGE}`);
    return 1;
  }
  let code = 0;
  for (const file of opts.files) {
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      err(`gregor dump-log: file not found: ${file}\n`);
      code = 1;
      continue;
    }
    out(`Dumping ${file}\n`);
    const ext = path.extname(file);
    try {
      if (ext === ".log") await dumpLog(file, opts, out);
      else if (ext === ".index") dumpOffsetIndex(file, opts, out);
      else if (ext === ".timeindex") dumpTimeIndex(file, opts, out);
      else out(`Ignoring unknown file ${file}\n`);
    } catch (e) {
      err(`gregor dump-log: ${file}: ${(e as Error).message}\n`);
      code = 1;
    }
  }
  return code;
}

/** Base offset from a Kafka segment file name (20 digits), or null. */
function baseOffsetOf(file: string): bigint | null {
  const m = /^(\d{20})\./.exec(path.basename(file));
  return m ? BigInt(m[1]!) : null;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  const n = fs.readSync(fd, buf, 0, len, pos);
  return n === len ? buf : buf.subarray(0, n);
}

/** Walk the batches of a .log file: header and full bytes of each, plus trailing garbage size. */
function* logBatches(file: string, maxBytes = Number.MAX_SAFE_INTEGER) {
  const fd = fs.openSync(file, "r");
  try {
    const size = fs.fstatSync(fd).size;
    let pos = 0;
    while (pos < size && pos < maxBytes) {
      const head = readAt(fd, pos, BATCH.HEADER_SIZE);
      if (head.length < BATCH.HEADER_SIZE) break;
      const len = head.readInt32BE(BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
      if (len < BATCH.HEADER_SIZE || pos + len > size) break;
      yield { position: pos, bytes: readAt(fd, pos, len) };
      pos += len;
    }
    return size - pos;
  } finally {
    fs.closeSync(fd);
  }
}

const CODEC_NAMES: Record<number, string> = {
  [CompressionType.None]: "none",
  [CompressionType.Gzip]: "gzip",
  [CompressionType.Snappy]: "snappy",
  [CompressionType.Lz4]: "lz4",
  [CompressionType.Zstd]: "zstd",
};

function batchLine(bytes: Buffer, position: number): string {
  const h = readBatchHeader(bytes);
  const last = h.baseOffset + BigInt(h.lastOffsetDelta);
  const lastSeq = h.baseSequence < 0 ? -1 : (h.baseSequence + h.lastOffsetDelta) % 2147483648;
  const horizon =
    (h.attributes & Attr.DELETE_HORIZON) !== 0 ? `OptionalLong[${h.baseTimestamp}]` : "OptionalLong.empty";
  const tsType = isLogAppendTime(h.attributes) ? "LogAppendTime" : "CreateTime";
  const codec = CODEC_NAMES[compressionOf(h.attributes)] ?? `unknown(${compressionOf(h.attributes)})`;
  const valid = h.magic === 2 && isCrcValid(bytes, 0, bytes.length);
  return (
    `baseOffset: ${h.baseOffset} lastOffset: ${last} count: ${h.recordCount} baseSequence: ${h.baseSequence} ` +
    `lastSequence: ${lastSeq} producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} ` +
    `partitionLeaderEpoch: ${h.partitionLeaderEpoch} isTransactional: ${isTransactional(h.attributes)} ` +
    `isControl: ${isControl(h.attributes)} deleteHorizonMs: ${horizon} position: ${position} ` +
    `${tsType}: ${h.maxTimestamp} size: ${bytes.length} magic: ${h.magic} compresscodec: ${codec} ` +
    `crc: ${h.crc >>> 0} isvalid: ${valid}`
  );
}

async function dumpLog(file: string, o: Options, out: (s: string) => void): Promise<void> {
  out(`Log starting offset: ${baseOffsetOf(file) ?? 0n}\n`);
  const it = logBatches(file, o.maxBytes);
  let step = it.next();
  while (!step.done) {
    const { position, bytes } = step.value;
    out(`${batchLine(bytes, position)}\n`);
    if (o.deepIteration) await printRecords(bytes, o.printDataLog, out);
    step = it.next();
  }
  const trailing = step.value;
  if (trailing > 0 && o.maxBytes >= fs.statSync(file).size) {
    out(`Found ${trailing} invalid bytes at the end of ${path.basename(file)}\n`);
  }
}

const text = (b: Buffer | null): string => (b === null ? "null" : b.toString("utf8"));

async function printRecords(bytes: Buffer, printData: boolean, out: (s: string) => void): Promise<void> {
  let batch: Awaited<ReturnType<typeof decodeBatch>>;
  try {
    batch = await decodeBatch(bytes);
  } catch (e) {
    out(`| records not readable: ${(e as Error).message}\n`);
    return;
  }
  const h = batch.header;
  const tsType = isLogAppendTime(h.attributes) ? "LogAppendTime" : "CreateTime";
  for (const r of batch.records) {
    const seq = h.baseSequence < 0 ? -1 : (h.baseSequence + r.offsetDelta) % 2147483648;
    let line =
      `| offset: ${r.offset} ${tsType}: ${r.timestamp} keySize: ${r.key?.length ?? -1} ` +
      `valueSize: ${r.value?.length ?? -1} sequence: ${seq} headerKeys: [${r.headers.map((x) => x.key).join(",")}]`;
    if (isControl(h.attributes)) {
      try {
        const c = readControlRecord(r);
        const name = c.type === 0 ? "ABORT" : c.type === 1 ? "COMMIT" : `type ${c.type}`;
        line +=
          c.type <= 1
            ? ` endTxnMarker: ${name} coordinatorEpoch: ${c.coordinatorEpoch}`
            : ` controlType: ${name}`;
      } catch (e) {
        line += ` controlRecord: unreadable (${(e as Error).message})`;
      }
    } else if (printData) {
      if (r.key !== null) line += ` key: ${text(r.key)}`;
      if (r.value !== null) line += ` payload: ${text(r.value)}`;
    }
    out(`${line}\n`);
  }
}

function siblingLog(file: string): string {
  return file.replace(/\.(index|timeindex)$/, ".log");
}

/** Batches of the sibling .log keyed by position (null if there is no such file). */
function logByPosition(file: string): Map<number, Buffer> | null {
  const log = siblingLog(file);
  if (!fs.existsSync(log)) return null;
  const m = new Map<number, Buffer>();
  const it = logBatches(log);
  for (let s = it.next(); !s.done; s = it.next()) m.set(s.value.position, s.value.bytes);
  return m;
}

function dumpOffsetIndex(file: string, o: Options, out: (s: string) => void): void {
  const base = baseOffsetOf(file) ?? 0n;
  const data = fs.readFileSync(file);
  const n = Math.floor(data.length / 8);
  const problems: string[] = [];
  if (data.length % 8 !== 0) problems.push(`size ${data.length} is not a multiple of the entry size 8`);
  const log = o.indexSanityCheck ? null : logByPosition(file);
  const mismatches: string[] = [];
  let prevRel = -1;
  let prevPos = -1;
  for (let i = 0; i < n; i++) {
    const rel = data.readInt32BE(i * 8);
    const pos = data.readInt32BE(i * 8 + 4);
    // A preallocated (untrimmed) index ends in zero entries, as in Kafka.
    if (i > 0 && rel === 0 && pos === 0) break;
    if (rel <= prevRel && i > 0) problems.push(`entry ${i}: offset ${base + BigInt(rel)} does not increase`);
    if (pos < prevPos) problems.push(`entry ${i}: position ${pos} goes backwards`);
    prevRel = rel;
    prevPos = pos;
    const offset = base + BigInt(rel);
    if (log) {
      const b = log.get(pos);
      const last = b ? b.readBigInt64BE(0) + BigInt(b.readInt32BE(BATCH.LAST_OFFSET_DELTA)) : null;
      if (last !== offset)
        mismatches.push(
          `  Index offset: ${offset}, log offset: ${last ?? "none (no batch at that position)"}`,
        );
    }
    if (!o.indexSanityCheck && !o.verifyIndexOnly) out(`offset: ${offset} position: ${pos}\n`);
  }
  if (o.indexSanityCheck) {
    out(problems.length ? `${file} failed sanity check: ${problems[0]}\n` : `${file} passed sanity check.\n`);
    return;
  }
  if (mismatches.length) out(`Mismatches in :${file}\n${mismatches.join("\n")}\n`);
}

function dumpTimeIndex(file: string, o: Options, out: (s: string) => void): void {
  const base = baseOffsetOf(file) ?? 0n;
  const data = fs.readFileSync(file);
  const n = Math.floor(data.length / 12);
  const problems: string[] = [];
  if (data.length % 12 !== 0) problems.push(`size ${data.length} is not a multiple of the entry size 12`);
  const batches = o.indexSanityCheck ? null : logByPosition(file);
  const byLastOffset = new Map<bigint, Buffer>();
  for (const b of batches?.values() ?? []) {
    byLastOffset.set(b.readBigInt64BE(0) + BigInt(b.readInt32BE(BATCH.LAST_OFFSET_DELTA)), b);
  }
  const mismatches: string[] = [];
  let prevTs = -1n;
  for (let i = 0; i < n; i++) {
    const ts = data.readBigInt64BE(i * 12);
    const rel = data.readInt32BE(i * 12 + 8);
    if (i > 0 && ts === 0n && rel === 0) break;
    if (ts <= prevTs && i > 0) problems.push(`entry ${i}: timestamp ${ts} does not increase`);
    prevTs = ts;
    const offset = base + BigInt(rel);
    if (batches) {
      const b = byLastOffset.get(offset);
      const logTs = b ? b.readBigInt64BE(BATCH.MAX_TIMESTAMP) : null;
      if (logTs !== ts) mismatches.push(`  Index timestamp: ${ts}, log timestamp: ${logTs ?? "none"}`);
    }
    if (!o.indexSanityCheck && !o.verifyIndexOnly) out(`timestamp: ${ts} offset: ${offset}\n`);
  }
  if (o.indexSanityCheck) {
    out(problems.length ? `${file} failed sanity check: ${problems[0]}\n` : `${file} passed sanity check.\n`);
    return;
  }
  if (mismatches.length) out(`Found timestamp mismatch in :${file}\n${mismatches.join("\n")}\n`);
}
