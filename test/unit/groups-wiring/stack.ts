import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogStore, PartitionLogView } from "../../../broker/api/context.js";
import { ManualTime } from "../../../broker/coordinator/group/index.js";
import { GroupService } from "../../../broker/coordinator/group-service.js";
import type { BrokerLogStore } from "../../../broker/log-store.js";
import type { LocalController } from "../../../broker/metadata/controller.js";
import { openStorageStack, silent } from "../../harness/stack.js";

export { removeDir, silent } from "../../harness/stack.js";

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

export async function openStack(
  dir = mkdtempSync(join(tmpdir(), "gregor-groups-wiring-")),
  props: Record<string, string> = {},
  wrapLogs?: (store: LogStore) => Pick<LogStore, "getLog">,
): Promise<Stack> {
  const propMap = new Map(Object.entries({ "offsets.topic.num.partitions": "4", ...props }));
  const base = await openStorageStack(dir, propMap);
  const { controller, store } = base;
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
      await base.close();
    },
  };
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
