import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import type { LogStore } from "../../../broker/api/context.js";
import { brokerLogDefaults } from "../../../broker/config/log-defaults.js";
import { ManualTime } from "../../../broker/coordinator/group/index.js";
import { GroupService } from "../../../broker/coordinator/group-service.js";
import { TxnService } from "../../../broker/coordinator/txn-service.js";
import { BrokerLogStore } from "../../../broker/log-store.js";
import { LocalController } from "../../../broker/metadata/controller.js";
import { MetadataImage } from "../../../broker/metadata/image.js";
import { LocalMetadataLog, METADATA_TOPIC } from "../../../broker/metadata/local-log.js";
import { METADATA_TOPIC_UUID } from "../../../broker/metadata/uuid.js";
import { ProducerLogs } from "../../../broker/partition/registry.js";
import { LogManager } from "../../../broker/storage/log-manager.js";

/**
 * What broker.ts builds minus the network: storage, metadata log, controller, the log store with
 * producer state, the group service and the transaction service, on a temp dir. `close()` is a
 * clean shutdown; reopening on the same dir is a restart. `wrapLogs` lets a test interpose on the
 * transaction service's log access (e.g. to hold markers back).
 */
export interface TxnStack {
  dir: string;
  time: ManualTime;
  controller: LocalController;
  store: BrokerLogStore;
  groups: GroupService;
  txn: TxnService;
  close(): Promise<void>;
}

export const silent = pino({ level: "silent" });

export async function openTxnStack(
  dir = mkdtempSync(join(tmpdir(), "gregor-txn-wiring-")),
  wrapLogs?: (store: LogStore) => Pick<LogStore, "getLog">,
): Promise<TxnStack> {
  const props = new Map(
    Object.entries({ "offsets.topic.num.partitions": "3", "transaction.state.log.num.partitions": "3" }),
  );
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
  const producers = new ProducerLogs({ logger: silent });
  const store = new BrokerLogStore(manager, 1, defaults, silent, producers);
  await store.reconcile(image);
  controller.onChange((c) => store.apply(c));
  const time = new ManualTime();
  const groups = new GroupService({ nodeId: 1, controller, logs: store, props, log: silent, time });
  groups.start();
  const txn = new TxnService({
    nodeId: 1,
    controller,
    logs: wrapLogs ? wrapLogs(store) : store,
    groups,
    props,
    metadataRecords: records.map((r) => r.record),
    log: silent,
    time,
  });
  txn.start();
  return {
    dir,
    time,
    controller,
    store,
    groups,
    txn,
    async close() {
      txn.shutdown();
      groups.shutdown();
      await producers.closeAll();
      await metadataLog.close();
      await manager.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
