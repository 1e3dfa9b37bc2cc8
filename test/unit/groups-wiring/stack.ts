import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { LogStore, PartitionLogView } from "../../../broker/api/context.js";
import { brokerLogDefaults } from "../../../broker/config/log-defaults.js";
import { ManualTime } from "../../../broker/coordinator/group/index.js";
import { GroupService } from "../../../broker/coordinator/group-service.js";
import { BrokerLogStore } from "../../../broker/log-store.js";
import { LocalController } from "../../../broker/metadata/controller.js";
import { MetadataImage } from "../../../broker/metadata/image.js";
import { LocalMetadataLog, METADATA_TOPIC } from "../../../broker/metadata/local-log.js";
import { METADATA_TOPIC_UUID } from "../../../broker/metadata/uuid.js";
import { LogManager } from "../../../broker/storage/log-manager.js";

/**
 * The broker's real storage + metadata stack (LogManager, metadata log, LocalController,
 * BrokerLogStore) on a temp dir, with a GroupService on top — what broker.ts builds, minus the
 * network. `reopen()` closes everything and builds it again on the same dir (a restart).
 */
export interface Stack {
  dir: string;
  time: ManualTime;
  controller: LocalController;
  store: BrokerLogStore;
  groups: GroupService;
  close(): Promise<void>;
}

export const silent = pino({ level: "silent" });

export async function openStack(
  dir = mkdtempSync(join(tmpdir(), "gregor-groups-wiring-")),
  props: Record<string, string> = {},
  wrapLogs?: (store: LogStore) => Pick<LogStore, "getLog">,
): Promise<Stack> {
  const propMap = new Map(Object.entries({ "offsets.topic.num.partitions": "4", ...props }));
  const defaults = brokerLogDefaults(propMap);
  const manager = await LogManager.open({ logDirs: [dir], defaults, logger: silent });
  const metaPartition =
    manager.getLog(METADATA_TOPIC, 0) ??
    (await manager.createLog(METADATA_TOPIC, 0, METADATA_TOPIC_UUID, {}));
  const { log: metadataLog, records } = await LocalMetadataLog.open(metaPartition, silent);
  const image = MetadataImage.EMPTY.apply(
    records.map((r) => r.record),
    records.length ? records[records.length - 1]!.offset : -1n,
  );
  const controller = new LocalController(metadataLog, image, {
    nodeId: 1,
    logDefaults: () => defaults,
    log: silent,
  });
  const store = new BrokerLogStore(manager, 1, defaults, silent);
  await store.reconcile(image);
  controller.onChange((c) => store.apply(c));
  const time = new ManualTime();
  const groups = new GroupService({
    nodeId: 1,
    controller,
    logs: wrapLogs ? wrapLogs(store) : store,
    props: propMap,
    log: silent,
    time,
  });
  groups.start();
  return {
    dir,
    time,
    controller,
    store,
    groups,
    async close() {
      groups.shutdown();
      await metadataLog.close();
      await manager.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A log view whose reads wait until `release()` — to hold a partition in the loading state. */
export function gatedLogs(store: LogStore): { logs: Pick<LogStore, "getLog">; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  return {
    release: () => release(),
    logs: {
      getLog(topic, partition) {
        const log = store.getLog(topic, partition);
        if (!log) return undefined;
        const view: PartitionLogView = {
          get logStartOffset() {
            return log.logStartOffset;
          },
          get logEndOffset() {
            return log.logEndOffset;
          },
          append: (b, o) => log.append(b, o),
          read: async (o, m, opts) => {
            await gate;
            return log.read(o, m, opts);
          },
          offsetForTimestamp: (ts) => log.offsetForTimestamp(ts),
        };
        return view;
      },
    },
  };
}
