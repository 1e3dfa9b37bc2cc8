/** Test harness for the transaction coordinator: manual time, in-memory log, recording marker writer. */

import { ManualTime } from "../../../broker/coordinator/group/time.js";
import { TransactionCoordinator } from "../../../broker/coordinator/txn/coordinator.js";
import type {
  MarkerPartitionResult,
  MarkerRequest,
  MarkerWriter,
} from "../../../broker/coordinator/txn/markers.js";
import type { ProducerIdAllocator } from "../../../broker/coordinator/txn/producer-ids.js";
import { decodeTxnRecord } from "../../../broker/coordinator/txn/records.js";
import type { TxnTransit } from "../../../broker/coordinator/txn/state.js";
import type { TxnCoordinatorConfig, TxnLogWriter } from "../../../broker/coordinator/txn/types.js";
import { ErrorCode } from "../../../protocol/errors/index.js";
import { flushImmediates, Gate, MemoryCoordinatorLog } from "../../harness/memory-log.js";

/** __transaction_state in memory; can fail appends or hold them in flight. */
export class MemoryTxnLog extends MemoryCoordinatorLog implements TxnLogWriter {
  /** Decoded values written for one transactional id, oldest first (null = tombstone). */
  history(partition: number, transactionalId: string): (TxnTransit | null)[] {
    return this.records(partition)
      .map((r) => decodeTxnRecord(r.key!, r.value))
      .filter((d) => d.transactionalId === transactionalId)
      .map((d) => d.value);
  }
}

/** Records every marker request; answers NONE unless `answer` says otherwise; can hold requests. */
export class RecordingMarkers implements MarkerWriter {
  readonly calls: MarkerRequest[] = [];
  answer: (req: MarkerRequest, attempt: number) => MarkerPartitionResult[] | Error = (req) =>
    req.partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NONE }));
  private readonly gate = new Gate();

  async writeMarkers(req: MarkerRequest): Promise<MarkerPartitionResult[]> {
    this.calls.push({ ...req, partitions: req.partitions.map((tp) => ({ ...tp })) });
    const held = this.gate.pending;
    if (held) await held;
    const a = this.answer(req, this.calls.length);
    if (a instanceof Error) throw a;
    return a;
  }

  hold(): void {
    this.gate.hold();
  }

  release(): void {
    this.gate.release();
  }
}

export class CountingAllocator implements ProducerIdAllocator {
  constructor(public next = 1000n) {}
  async generateProducerId(): Promise<bigint> {
    return this.next++;
  }
}

export interface TxnHarness {
  time: ManualTime;
  log: MemoryTxnLog;
  markers: RecordingMarkers;
  ids: CountingAllocator;
  coord: TransactionCoordinator;
}

export const NUM_PARTITIONS = 4;

/** A coordinator owning every __transaction_state partition at coordinator epoch `epoch`. */
export async function setup(
  config: Partial<TxnCoordinatorConfig> = {},
  opts: {
    log?: MemoryTxnLog;
    time?: ManualTime;
    ids?: CountingAllocator;
    epoch?: number;
    load?: boolean;
  } = {},
): Promise<TxnHarness> {
  const time = opts.time ?? new ManualTime();
  const log = opts.log ?? new MemoryTxnLog();
  const markers = new RecordingMarkers();
  const ids = opts.ids ?? new CountingAllocator();
  const coord = new TransactionCoordinator({
    writer: log,
    markers,
    producerIds: ids,
    time,
    config: { "transaction.state.log.num.partitions": NUM_PARTITIONS, ...config },
  });
  coord.startup();
  if (opts.load !== false) {
    for (let p = 0; p < NUM_PARTITIONS; p++)
      await coord.onPartitionLoad(p, opts.epoch ?? 0, log.records(p).slice());
  }
  return { time, log, markers, ids, coord };
}

/** Let pending promise callbacks run (background marker/complete work that is not waiting on time). */
export function flush(): Promise<void> {
  return flushImmediates(20);
}
