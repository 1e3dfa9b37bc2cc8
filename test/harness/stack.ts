import { rmSync } from "node:fs";
import pino from "pino";
import { brokerLogDefaults } from "../../broker/config/log-defaults.js";
import { BrokerLogStore } from "../../broker/log-store.js";
import { LocalController } from "../../broker/metadata/controller.js";
import { MetadataImage } from "../../broker/metadata/image.js";
import { LocalMetadataLog, METADATA_TOPIC } from "../../broker/metadata/local-log.js";
import type { MetadataRecord } from "../../broker/metadata/records.js";
import { METADATA_TOPIC_UUID } from "../../broker/metadata/uuid.js";
import type { ProducerLogs } from "../../broker/partition/registry.js";
import { LogManager } from "../../broker/storage/log-manager.js";

/**
 * The broker's real storage + metadata stack (LogManager, metadata log, LocalController,
 * BrokerLogStore) for node 1 on a directory — what broker.ts builds below the coordinators, minus
 * the network. Opening it again on the same directory is a restart.
 */
export interface StorageStack {
  controller: LocalController;
  store: BrokerLogStore;
  /** Records of the metadata log at open. */
  metadataRecords: MetadataRecord[];
  /** Closes the producer state (when given), the metadata log and the log manager. */
  close(): Promise<void>;
}

export const silent = pino({ level: "silent" });

export async function openStorageStack(
  dir: string,
  props: Map<string, string>,
  producers?: ProducerLogs,
): Promise<StorageStack> {
  const defaults = brokerLogDefaults(props);
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
  const store = new BrokerLogStore(manager, 1, defaults, silent, producers);
  await store.reconcile(image);
  controller.onChange((c) => store.apply(c));
  return {
    controller,
    store,
    metadataRecords: records.map((r) => r.record),
    async close() {
      await producers?.closeAll();
      await metadataLog.close();
      await manager.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
