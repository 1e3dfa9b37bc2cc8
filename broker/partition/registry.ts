/**
 * One ProducerLog per partition log, and the view handlers get from the log store: the partition
 * log itself (admin operations, reads) with `append` routed through the producer state and the
 * producer-state calls (appendClient, appendMarker, lastStableOffset, abortedTransactions) added;
 * deleteRecordsBefore goes through the ProducerLog so the producer state learns the new log start.
 */
import type { Logger } from "pino";
import { DEFAULT_PRODUCER_STATE_CONFIG, type ProducerStateConfig } from "../producer/index.js";
import type { PartitionLog } from "../storage/partition-log.js";
import { ProducerLog } from "./producer-log.js";

/** Members of the view that come from the ProducerLog rather than the PartitionLog. */
const OVERRIDES = new Set<PropertyKey>([
  "append",
  "appendClient",
  "appendMarker",
  "lastStableOffset",
  "abortedTransactions",
  "openTransactionFirstOffset",
  "openTransactions",
  "producerState",
  "deleteRecordsBefore",
]);

export interface ProducerLogsOptions {
  config?: ProducerStateConfig;
  /** producer.id.expiration.check.interval.ms (Kafka: 10 minutes). */
  expirationCheckIntervalMs?: number;
  logger: Logger;
  now?: () => number;
}

export class ProducerLogs {
  private readonly byLog = new WeakMap<PartitionLog, { wrapper: ProducerLog; view: PartitionLog }>();
  private readonly live = new Set<ProducerLog>();
  private timer: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly opts: ProducerLogsOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** The wrapper of `log`, created (and its state load started) on first use. */
  of(log: PartitionLog): ProducerLog {
    return this.entry(log).wrapper;
  }

  /** What the log store hands out: `log` with producer-state-aware appends. */
  view(log: PartitionLog): PartitionLog {
    return this.entry(log).view;
  }

  private entry(log: PartitionLog): { wrapper: ProducerLog; view: PartitionLog } {
    let e = this.byLog.get(log);
    if (!e) {
      const wrapper = new ProducerLog(log, {
        config: this.opts.config ?? DEFAULT_PRODUCER_STATE_CONFIG,
        logger: this.opts.logger,
        now: this.now,
      });
      wrapper.ready.catch((err) =>
        this.opts.logger.error({ err, partition: wrapper.name }, "loading producer state failed"),
      );
      const view = new Proxy(log, {
        get(target, prop) {
          if (OVERRIDES.has(prop)) {
            const v = Reflect.get(wrapper, prop, wrapper) as unknown;
            return typeof v === "function" ? v.bind(wrapper) : v;
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
      e = { wrapper, view };
      this.byLog.set(log, e);
      this.live.add(wrapper);
    }
    return e;
  }

  /** The log was deleted: forget its wrapper. */
  forget(log: PartitionLog): void {
    const e = this.byLog.get(log);
    if (!e) return;
    e.wrapper.detach();
    this.live.delete(e.wrapper);
    this.byLog.delete(log);
  }

  /** Periodically forget producers idle for producer.id.expiration.ms. */
  startExpiration(): void {
    const every = this.opts.expirationCheckIntervalMs ?? 600_000;
    this.timer = setInterval(() => {
      for (const w of this.live) {
        if (w.log.isClosed) {
          this.live.delete(w);
          continue;
        }
        w.removeExpiredProducers(this.now());
      }
    }, every);
    this.timer.unref();
  }

  /** Clean shutdown: snapshot every partition's state at its log end. */
  async closeAll(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all([...this.live].map((w) => w.close()));
    this.live.clear();
  }
}
