import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogStore } from "../../../broker/api/context.js";
import { ManualTime } from "../../../broker/coordinator/group/index.js";
import { GroupService } from "../../../broker/coordinator/group-service.js";
import { TxnService } from "../../../broker/coordinator/txn-service.js";
import type { BrokerLogStore } from "../../../broker/log-store.js";
import type { LocalController } from "../../../broker/metadata/controller.js";
import { ProducerLogs } from "../../../broker/partition/registry.js";
import { openStorageStack, silent } from "../../harness/stack.js";

export { removeDir, silent } from "../../harness/stack.js";

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

export async function openTxnStack(
  dir = mkdtempSync(join(tmpdir(), "gregor-txn-wiring-")),
  wrapLogs?: (store: LogStore) => Pick<LogStore, "getLog">,
): Promise<TxnStack> {
  const props = new Map(
    Object.entries({ "offsets.topic.num.partitions": "3", "transaction.state.log.num.partitions": "3" }),
  );
  const producers = new ProducerLogs({ logger: silent });
  const base = await openStorageStack(dir, props, producers);
  const { controller, store } = base;
  const time = new ManualTime();
  const groups = new GroupService({ nodeId: 1, controller, logs: store, props, log: silent, time });
  groups.start();
  const txn = new TxnService({
    nodeId: 1,
    controller,
    logs: wrapLogs ? wrapLogs(store) : store,
    groups,
    props,
    metadataRecords: base.metadataRecords,
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
      await base.close();
    },
  };
}
