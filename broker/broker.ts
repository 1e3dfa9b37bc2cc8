import type { Server } from "node:http";
import { hostname } from "node:os";
import { resolve } from "node:path";
import type { Logger } from "pino";
import type { AdvertisedBroker, BrokerServices } from "./api/context.js";
import { FetchSessionCache } from "./api/fetch-sessions.js";
import { ApiProcessor } from "./api/processor.js";
import type { BrokerConfig } from "./config/broker-config.js";
import { dynamicLogDefaults, touchesBrokerConfigs } from "./config/dynamic.js";
import { brokerLogDefaults } from "./config/log-defaults.js";
import { GroupService } from "./coordinator/group-service.js";
import { TxnService } from "./coordinator/txn-service.js";
import { formatDirs } from "./format.js";
import { BrokerLogStore } from "./log-store.js";
import { createLogger } from "./logger.js";
import { LocalController } from "./metadata/controller.js";
import { MetadataImage } from "./metadata/image.js";
import { LocalMetadataLog, METADATA_TOPIC } from "./metadata/local-log.js";
import { METADATA_TOPIC_UUID, randomUuid } from "./metadata/uuid.js";
import { startMetricsServer } from "./metrics/http.js";
import { BrokerMetrics } from "./metrics/registry.js";
import { type BoundListener, NetworkServer } from "./network/server.js";
import { ProducerLogs } from "./partition/registry.js";
import { LogManager } from "./storage/log-manager.js";
import { checkFormatted, readMetaProperties } from "./storage/meta-properties.js";

/**
 * The broker process: checks its formatted directories, opens storage, replays the metadata
 * log into the image, then serves its listeners and the metrics port. `stop()` is the clean
 * shutdown (SIGINT/SIGTERM): stop accepting, answer long polls, close logs with a clean marker.
 */
export interface BrokerStartOptions {
  config: BrokerConfig;
  log?: Logger;
  /** Format unformatted directories with a new cluster id (the embedded default only). */
  autoFormat?: boolean;
}

export class Broker {
  private ready = false;
  private stopping: Promise<void> | null = null;
  private resolveShutdown!: () => void;
  private readonly shutdownPromise = new Promise<void>((r) => {
    this.resolveShutdown = r;
  });
  private network!: NetworkServer;
  private metricsServer: Server | null = null;
  metricsPort: number | null = null;
  private managers: LogManager[] = [];
  private metadataLog!: LocalMetadataLog;
  private groups: GroupService | null = null;
  private txn: TxnService | null = null;
  private producerLogs: ProducerLogs | null = null;
  controller!: LocalController;
  clusterId = "";

  private constructor(
    readonly config: BrokerConfig,
    readonly log: Logger,
  ) {}

  get listeners(): BoundListener[] {
    return this.network.bound;
  }

  isReady(): boolean {
    return this.ready;
  }

  static async start(opts: BrokerStartOptions): Promise<Broker> {
    const cfg = opts.config;
    const log = opts.log ?? createLogger(cfg.logLevel);
    const b = new Broker(cfg, log);
    try {
      await b.startInner(opts.autoFormat ?? false);
    } catch (err) {
      await b.stop().catch(() => undefined);
      throw err;
    }
    return b;
  }

  private async startInner(autoFormat: boolean): Promise<void> {
    const cfg = this.config;
    const log = this.log;
    for (const k of cfg.unknownKeys) log.warn({ key: k }, "config key is not used by this broker");
    const dirs = [...new Set([...cfg.logDirs, cfg.metadataLogDir].map((d) => resolve(d)))];
    if (autoFormat && dirs.every((d) => readMetaProperties(d) === null)) {
      const clusterId = randomUuid();
      formatDirs({ dirs, clusterId, nodeId: cfg.nodeId, ignoreFormatted: false });
      log.info({ dirs, clusterId }, "formatted storage on first start");
    }
    this.clusterId = checkFormatted(dirs, cfg.nodeId).clusterId;

    const defaults = brokerLogDefaults(cfg.props);
    const logDirs = cfg.logDirs.map((d) => resolve(d));
    const dataManager = await LogManager.open({
      logDirs,
      defaults,
      logger: log.child({ component: "storage" }),
      retentionCheckIntervalMs: Number(cfg.props.get("log.retention.check.interval.ms") ?? 300000),
      cleanerBackoffMs: Number(cfg.props.get("log.cleaner.backoff.ms") ?? 15000),
      cleanerEnabled: (cfg.props.get("log.cleaner.enable") ?? "true").trim().toLowerCase() !== "false",
    });
    this.managers.push(dataManager);
    let metaManager = dataManager;
    if (!logDirs.includes(resolve(cfg.metadataLogDir))) {
      metaManager = await LogManager.open({ logDirs: [resolve(cfg.metadataLogDir)], defaults, logger: log });
      this.managers.push(metaManager);
    }
    // The metadata log is never deleted by retention; it only grows (snapshots come with raft).
    const metaOverrides = { retentionMs: -1, retentionBytes: -1, cleanupPolicy: "delete" as const };
    const metaPartition =
      metaManager.getLog(METADATA_TOPIC, 0) ??
      (await metaManager.createLog(METADATA_TOPIC, 0, METADATA_TOPIC_UUID, metaOverrides));
    metaManager.updateTopicConfig(METADATA_TOPIC, metaOverrides);
    const { log: metadataLog, records } = await LocalMetadataLog.open(metaPartition, log);
    this.metadataLog = metadataLog;
    const image = MetadataImage.EMPTY.apply(
      records.map((r) => r.record),
      records.length ? records[records.length - 1]!.offset : -1n,
    );
    // Topic configs validate and describe against the defaults in effect, dynamic ones included.
    let store: BrokerLogStore | null = null;
    this.controller = new LocalController(metadataLog, image, {
      nodeId: cfg.nodeId,
      logDefaults: () => store?.logDefaults ?? defaults,
      log,
    });
    // Producer state (idempotence, transactions, LSO) per partition; appends go through it.
    this.producerLogs = new ProducerLogs({
      config: { producerIdExpirationMs: Number(cfg.props.get("producer.id.expiration.ms") ?? 86_400_000) },
      expirationCheckIntervalMs: Number(cfg.props.get("producer.id.expiration.check.interval.ms") ?? 600_000),
      logger: log.child({ component: "producer-state" }),
    });
    const logStore = new BrokerLogStore(
      dataManager,
      cfg.nodeId,
      defaults,
      log.child({ component: "logs" }),
      this.producerLogs,
    );
    store = logStore;
    // Dynamic broker configs live in the metadata log: in effect from the start, and live on change.
    this.applyDynamicDefaults(logStore, image);
    await logStore.reconcile(image);
    this.controller.onChange((c) => {
      if (touchesBrokerConfigs(c.records, cfg.nodeId)) this.applyDynamicDefaults(logStore, c.after);
      return logStore.apply(c);
    });
    // After the store's listener, so a led __consumer_offsets partition has its log when it loads.
    const groups = new GroupService({
      nodeId: cfg.nodeId,
      controller: this.controller,
      logs: logStore,
      props: cfg.props,
      log: log.child({ component: "groups" }),
    });
    this.groups = groups;
    groups.start();
    const txn = new TxnService({
      nodeId: cfg.nodeId,
      controller: this.controller,
      logs: logStore,
      groups,
      props: cfg.props,
      metadataRecords: records.map((r) => r.record),
      log: log.child({ component: "transactions" }),
    });
    this.txn = txn;
    txn.start();
    this.producerLogs.startExpiration();

    const metrics = new BrokerMetrics(
      () =>
        dataManager
          .allLogs()
          .filter((l) => l.topic !== METADATA_TOPIC)
          .map((l) => ({
            topic: l.topic,
            partition: l.partition,
            size: l.sizeInBytes,
            logStartOffset: l.logStartOffset,
            logEndOffset: l.logEndOffset,
          })),
      () => this.network?.connectionCount ?? 0,
    );
    const services: BrokerServices = {
      config: cfg,
      nodeId: cfg.nodeId,
      clusterId: this.clusterId,
      controller: this.controller,
      logs: logStore,
      storage: dataManager,
      metrics,
      log,
      groups,
      txn,
      fetchSessions: new FetchSessionCache(
        Number(cfg.props.get("max.incremental.fetch.session.cache.slots") ?? 1000),
        () => Date.now(),
      ),
      advertisedBrokers: (listener) => this.advertised(listener),
      shuttingDown: this.shutdownPromise,
      isShuttingDown: () => this.stopping !== null,
      now: () => Date.now(),
    };
    const clientListeners = cfg.listeners.filter((l) => !cfg.controllerListenerNames.includes(l.name));
    this.network = new NetworkServer(
      {
        listeners: clientListeners,
        maxFrameBytes: cfg.socketRequestMaxBytes,
        maxQueuedPerConnection: cfg.maxInflightPerConnection,
        maxInProgress: cfg.queuedMaxRequests,
        idleMs: cfg.connectionsMaxIdleMs,
        onBytesIn: (n) => metrics.networkBytesIn.inc(n),
        onBytesOut: (n) => metrics.networkBytesOut.inc(n),
      },
      new ApiProcessor(services),
      log.child({ component: "network" }),
    );
    await this.network.start();
    if (cfg.metricsListener) {
      const m = await startMetricsServer(
        cfg.metricsListener.host,
        cfg.metricsListener.port,
        metrics.registry,
        { ready: () => this.ready },
        log,
      );
      this.metricsServer = m.server;
      this.metricsPort = m.port;
    }
    for (const mgr of this.managers) mgr.startBackgroundTasks();
    this.ready = true;
    log.info(
      {
        nodeId: cfg.nodeId,
        clusterId: this.clusterId,
        listeners: this.network.bound.map((l) => `${l.name}://${l.host}:${l.boundPort}`),
        metricsPort: this.metricsPort,
        topics: image.topicsByName.size,
      },
      "broker started",
    );
  }

  /** Broker-level log defaults from server.properties overlaid with the image's dynamic configs. */
  private applyDynamicDefaults(store: BrokerLogStore, image: MetadataImage): void {
    try {
      store.setLogDefaults(dynamicLogDefaults(this.config.props, image.brokerConfigs, this.config.nodeId));
    } catch (err) {
      // Alter validates values, so this means a record we cannot use: keep the previous defaults.
      this.log.error({ err: (err as Error).message }, "ignoring invalid dynamic broker log config");
    }
  }

  private advertised(listener: string): AdvertisedBroker[] {
    const cfg = this.config;
    const a = cfg.advertisedListeners.find((l) => l.name === listener) ?? cfg.advertisedListeners[0];
    const bound = this.network.bound.find((l) => l.name === (a?.name ?? listener));
    const host = !a?.host || a.host === "0.0.0.0" || a.host === "::" ? hostname() : a.host;
    const port = a && a.port !== 0 ? a.port : (bound?.boundPort ?? 0);
    return [
      { nodeId: cfg.nodeId, host, port, rack: (cfg.props.get("broker.rack") as string | undefined) ?? null },
    ];
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopInner();
    return this.stopping;
  }

  private async stopInner(): Promise<void> {
    this.ready = false;
    this.log.info("broker shutting down");
    this.resolveShutdown();
    await this.network?.close().catch((err: Error) => this.log.warn({ err }, "closing listeners"));
    this.txn?.shutdown();
    this.groups?.shutdown();
    await this.producerLogs
      ?.closeAll()
      .catch((err: Error) => this.log.warn({ err }, "closing producer state"));
    if (this.metricsServer) {
      this.metricsServer.closeAllConnections();
      await new Promise<void>((r) => this.metricsServer!.close(() => r()));
    }
    await this.metadataLog?.close();
    for (const m of this.managers.reverse()) await m.close();
    this.log.info("broker stopped");
  }
}
