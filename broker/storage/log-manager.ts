import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import {
  CheckpointFormatError,
  type OffsetCheckpoint,
  parsePartitionMetadata,
  readOffsetCheckpoint,
  tpKey,
  writeOffsetCheckpoint,
} from "./checkpoints.js";
import { LogCleaner } from "./cleaner.js";
import { type Clock, systemClock } from "./clock.js";
import type { LogConfig } from "./config.js";
import { LogClosedError } from "./errors.js";
import {
  CLEAN_SHUTDOWN_MARKER,
  CLEANER_OFFSET_CHECKPOINT,
  fsyncDir,
  LOG_START_OFFSET_CHECKPOINT,
  PARTITION_METADATA,
  parseTopicPartitionDir,
  RECOVERY_POINT_CHECKPOINT,
  readFileIfExists,
  writeFileAtomic,
} from "./files.js";
import { PartitionLog } from "./partition-log.js";

export interface LogManagerOptions {
  logDirs: string[];
  defaults: LogConfig;
  clock?: Clock;
  logger?: Logger;
  /** log.retention.check.interval.ms (default 300000) */
  retentionCheckIntervalMs?: number;
  /** how often flush.ms is checked (default 1000) */
  flushSchedulerIntervalMs?: number;
  /** log.flush.offset.checkpoint.interval.ms (default 60000) */
  checkpointIntervalMs?: number;
  /** log.cleaner.backoff.ms (default 15000) */
  cleanerBackoffMs?: number;
  /** log.cleaner.enable (default true): false means compacted logs are never cleaned. */
  cleanerEnabled?: boolean;
}

interface Entry {
  log: PartitionLog;
  logDir: string;
}

/**
 * Every partition log of this broker across its log.dirs: loading (with recovery after an unclean
 * shutdown), creation and deletion, per-topic config, the background retention / cleaner / flush /
 * checkpoint tasks, and the clean-shutdown marker.
 */
export class LogManager {
  private readonly logs = new Map<string, Entry>();
  private readonly overrides = new Map<string, Partial<LogConfig>>();
  private readonly cleanerCheckpoints = new Map<string, OffsetCheckpoint>();
  private readonly timers: NodeJS.Timeout[] = [];
  private background: Promise<unknown> = Promise.resolve();
  private readonly pendingDirDeletes = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly logger?: Logger;
  private readonly cleaner: LogCleaner;
  private closed = false;

  private constructor(private readonly opts: LogManagerOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger;
    this.cleaner = new LogCleaner({ clock: this.clock, logger: this.logger });
  }

  static async open(opts: LogManagerOptions): Promise<LogManager> {
    if (opts.logDirs.length === 0) throw new Error("log.dirs is empty");
    const m = new LogManager(opts);
    for (const dir of opts.logDirs) m.loadDir(path.resolve(dir));
    // From here on a crash is an unclean shutdown again.
    for (const dir of opts.logDirs) {
      fs.rmSync(path.join(dir, CLEAN_SHUTDOWN_MARKER), { force: true });
      fsyncDir(dir);
    }
    return m;
  }

  private readCheckpoint(dir: string, name: string): OffsetCheckpoint {
    try {
      return readOffsetCheckpoint(dir, name);
    } catch (e) {
      if (!(e instanceof CheckpointFormatError)) throw e;
      this.logger?.warn({ dir, err: e.message }, "ignoring malformed checkpoint file");
      return new Map();
    }
  }

  private loadDir(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    const clean = fs.existsSync(path.join(dir, CLEAN_SHUTDOWN_MARKER));
    const recoveryPoints = this.readCheckpoint(dir, RECOVERY_POINT_CHECKPOINT);
    const logStarts = this.readCheckpoint(dir, LOG_START_OFFSET_CHECKPOINT);
    this.cleanerCheckpoints.set(dir, this.readCheckpoint(dir, CLEANER_OFFSET_CHECKPOINT));
    let recovered = 0;
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!ent.isDirectory()) continue;
      if (ent.name.endsWith("-delete")) {
        this.removeDirAsync(path.join(dir, ent.name));
        continue;
      }
      if (ent.name.endsWith("-future") || ent.name.endsWith("-stray")) continue;
      const tp = parseTopicPartitionDir(ent.name);
      if (!tp) continue;
      const key = tpKey(tp.topic, tp.partition);
      if (this.logs.has(key)) {
        throw new Error(`duplicate log directories for ${key}: ${this.logs.get(key)!.logDir} and ${dir}`);
      }
      const pdir = path.join(dir, ent.name);
      const metaFile = path.join(pdir, PARTITION_METADATA);
      const metaText = readFileIfExists(metaFile);
      const log = PartitionLog.load({
        dir: pdir,
        topic: tp.topic,
        partition: tp.partition,
        topicId: metaText === null ? "" : parsePartitionMetadata(metaFile, metaText),
        config: this.configFor(tp.topic),
        clock: this.clock,
        logger: this.logger,
        recoveryPoint: recoveryPoints.get(key) ?? 0n,
        logStartOffset: logStarts.get(key),
        hadCleanShutdown: clean,
      });
      recovered += log.recoveredSegments;
      this.logs.set(key, { log, logDir: dir });
    }
    this.logger?.info({ dir, clean, logs: this.logs.size, recoveredSegments: recovered }, "loaded log dir");
  }

  private configFor(topic: string): LogConfig {
    return { ...this.opts.defaults, ...(this.overrides.get(topic) ?? {}) };
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(tpKey(topic, partition))?.log;
  }

  allLogs(): PartitionLog[] {
    return [...this.logs.values()].map((e) => e.log);
  }

  /** Create (or return the existing) log; new logs go to the dir holding the fewest partitions. */
  async createLog(
    topic: string,
    partition: number,
    topicId: string,
    overrides?: Partial<LogConfig>,
  ): Promise<PartitionLog> {
    if (this.closed) throw new Error("log manager is closed");
    if (overrides) this.updateTopicConfig(topic, overrides);
    const existing = this.getLog(topic, partition);
    if (existing) {
      if (!existing.topicId && topicId) existing.topicId = topicId;
      return existing;
    }
    if (!/^[a-zA-Z0-9._-]+$/.test(topic) || topic.length > 249)
      throw new Error(`invalid topic name '${topic}'`);
    const counts = new Map(this.opts.logDirs.map((d) => [path.resolve(d), 0]));
    for (const e of this.logs.values()) counts.set(e.logDir, (counts.get(e.logDir) ?? 0) + 1);
    const logDir = [...counts.entries()].sort((a, b) => a[1] - b[1])[0]![0];
    const log = PartitionLog.create({
      dir: path.join(logDir, `${topic}-${partition}`),
      topic,
      partition,
      topicId,
      config: this.configFor(topic),
      clock: this.clock,
      logger: this.logger,
    });
    this.logs.set(tpKey(topic, partition), { log, logDir });
    return log;
  }

  /** Close the log, rename its directory to `<tp>.<id>-delete`, and remove it in the background. */
  async deleteLog(topic: string, partition: number): Promise<void> {
    const key = tpKey(topic, partition);
    const e = this.logs.get(key);
    if (!e) return;
    this.logs.delete(key);
    await e.log.closeForDelete();
    const target = path.join(e.logDir, `${key}.${randomUUID().replace(/-/g, "")}-delete`);
    fs.renameSync(e.log.dir, target);
    fsyncDir(e.logDir);
    this.removeDirAsync(target);
  }

  private removeDirAsync(dir: string): void {
    const p = fs.promises
      .rm(dir, { recursive: true, force: true })
      .catch((err: Error) => this.logger?.warn({ dir, err: err.message }, "could not remove deleted log"))
      .finally(() => this.pendingDirDeletes.delete(p));
    this.pendingDirDeletes.add(p);
  }

  updateTopicConfig(topic: string, overrides: Partial<LogConfig>): void {
    this.overrides.set(topic, { ...overrides });
    const config = this.configFor(topic);
    for (const e of this.logs.values()) if (e.log.topic === topic) e.log.updateConfig(config);
  }

  // ---- background work ----

  get cleanerEnabled(): boolean {
    return this.opts.cleanerEnabled ?? true;
  }

  startBackgroundTasks(): void {
    if (this.timers.length || this.closed) return;
    const every = (ms: number, name: string, task: () => Promise<unknown>) => {
      const t = setInterval(() => {
        this.background = this.background
          .then(task)
          .catch((err: Error) => this.logger?.error({ task: name, err: err.message }, "storage task failed"));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.opts.retentionCheckIntervalMs ?? 300_000, "retention", () => this.runRetentionOnce());
    if (this.cleanerEnabled)
      every(this.opts.cleanerBackoffMs ?? 15_000, "cleaner", () => this.runCleanerOnce());
    every(this.opts.flushSchedulerIntervalMs ?? 1000, "flush", () => this.runFlushOnce());
    every(this.opts.checkpointIntervalMs ?? 60_000, "checkpoint", async () => this.writeCheckpoints());
  }

  /** One retention pass over every log; returns how many segments were deleted. */
  async runRetentionOnce(): Promise<number> {
    let n = 0;
    for (const log of this.allLogs()) {
      if (log.isClosed) continue;
      try {
        n += await log.runRetention(this.clock.now());
      } catch (e) {
        this.logFailure("retention", log, e);
      }
    }
    if (n > 0) this.writeCheckpoints();
    return n;
  }

  /** Compact every log that needs it; returns how many logs were cleaned. */
  async runCleanerOnce(): Promise<number> {
    // Like Kafka's LogManager, a disabled cleaner is never started, so nothing gets compacted.
    if (!this.cleanerEnabled) return 0;
    let n = 0;
    for (const e of [...this.logs.values()]) {
      if (e.log.isClosed) continue;
      const cp = this.cleanerCheckpoints.get(e.logDir)!;
      const key = tpKey(e.log.topic, e.log.partition);
      let cleanedTo: bigint | null = null;
      try {
        cleanedTo = await this.cleaner.cleanIfNeeded(e.log, cp.get(key) ?? 0n);
      } catch (err) {
        this.logFailure("cleaner", e.log, err);
      }
      if (cleanedTo !== null) {
        cp.set(key, cleanedTo);
        this.writeCleanerCheckpoint(e.logDir);
        n++;
      }
    }
    return n;
  }

  async runFlushOnce(): Promise<void> {
    for (const log of this.allLogs()) {
      if (log.isClosed) continue;
      await log.maybeFlushByTime(this.clock.now()).catch((e) => this.logFailure("flush", log, e));
    }
  }

  /** One partition's failure must not stop the task for the others; a deleted log is no failure. */
  private logFailure(task: string, log: PartitionLog, e: unknown): void {
    if (e instanceof LogClosedError) return;
    this.logger?.error(
      { task, topic: log.topic, partition: log.partition, err: (e as Error).message },
      "storage task failed",
    );
  }

  /** Write recovery-point and log-start-offset checkpoints for every dir. */
  writeCheckpoints(): void {
    for (const dir of this.opts.logDirs.map((d) => path.resolve(d))) {
      const logs = [...this.logs.values()].filter((e) => e.logDir === dir).map((e) => e.log);
      writeOffsetCheckpoint(
        dir,
        RECOVERY_POINT_CHECKPOINT,
        logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.recoveryPoint })),
      );
      writeOffsetCheckpoint(
        dir,
        LOG_START_OFFSET_CHECKPOINT,
        logs.map((l) => ({ topic: l.topic, partition: l.partition, offset: l.logStartOffset })),
      );
    }
  }

  private writeCleanerCheckpoint(dir: string): void {
    const cp = this.cleanerCheckpoints.get(dir)!;
    const entries = [...this.logs.values()]
      .filter((e) => e.logDir === dir && cp.has(tpKey(e.log.topic, e.log.partition)))
      .map((e) => ({
        topic: e.log.topic,
        partition: e.log.partition,
        offset: cp.get(tpKey(e.log.topic, e.log.partition))!,
      }));
    writeOffsetCheckpoint(dir, CLEANER_OFFSET_CHECKPOINT, entries);
  }

  /** Stop timers, flush and close every log, write checkpoints and the clean-shutdown marker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    await this.background.catch(() => undefined);
    for (const e of this.logs.values()) await e.log.close();
    this.writeCheckpoints();
    await Promise.all([...this.pendingDirDeletes]);
    for (const dir of this.opts.logDirs) {
      writeFileAtomic(path.join(dir, CLEAN_SHUTDOWN_MARKER), '{"version":0,"brokerEpoch":-1}');
    }
  }
}
