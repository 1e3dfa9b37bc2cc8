import path from "node:path";
import { TransactionIndex } from "../../../broker/producer/txn-index.js";
import { ManualClock } from "../../../broker/storage/clock.js";
import type { PartitionLog } from "../../../broker/storage/partition-log.js";
import { decodeBatch } from "../../../protocol/records/batch.js";
import { type ControlType, readControlRecord } from "../../../protocol/records/control.js";
import { Attr, isControl, isTransactional } from "../../../protocol/records/header.js";
import { openLog, readAll, smallConfig, tmpDir } from "./helpers.js";

/** Shared by the transactional compaction tests. Callers remove `txnDirs` in afterAll. */
export const txnDirs: string[] = [];

export const RETENTION = 5000;

export function newTxnLog(over = {}) {
  const root = tmpDir("gregor-txn-clean-");
  txnDirs.push(root);
  const clock = new ManualClock(10_000_000);
  const config = smallConfig({
    cleanupPolicy: "compact",
    segmentBytes: 300,
    minCleanableDirtyRatio: 0,
    deleteRetentionMs: RETENTION,
    ...over,
  });
  const dir = path.join(root, "t-0");
  const log = openLog(dir, config, clock);
  // These tests read .txnindex files fresh, as a producer layer following "segmentsReplaced" would.
  log.allowAbortMarkerRemoval = true;
  return { dir, clock, config, log };
}

export interface LogBatch {
  base: bigint;
  pid: bigint;
  control: boolean;
  transactional: boolean;
  markerType: ControlType | null;
  horizon: bigint | null;
  records: { offset: bigint; key: string; value: string | null }[];
}

export async function batchesOf(log: PartitionLog): Promise<LogBatch[]> {
  const out: LogBatch[] = [];
  for (const b of readAll(log)) {
    const { header, records } = await decodeBatch(b.bytes);
    const control = isControl(header.attributes);
    out.push({
      base: header.baseOffset,
      pid: header.producerId,
      control,
      transactional: isTransactional(header.attributes),
      markerType: control && records[0] ? readControlRecord(records[0]).type : null,
      horizon: (header.attributes & Attr.DELETE_HORIZON) !== 0 ? header.baseTimestamp : null,
      records: control
        ? []
        : records.map((r) => ({
            offset: r.offset,
            key: r.key!.toString(),
            value: r.value === null ? null : r.value.toString(),
          })),
    });
  }
  return out;
}

export function indexEntries(log: PartitionLog) {
  return log.segmentBaseOffsets().flatMap((b) => [...TransactionIndex.forSegment(log.dir, b).all()]);
}
