/**
 * __transaction_state records with Kafka's schemas (records/transaction-coordinator): key =
 * [int16 key version 0][TransactionLogKey], value = [int16 value version][TransactionLogValue],
 * null value = tombstone (the transactional id expired). We write value version 0, as Kafka 3.9
 * does for clients below transaction version 2, and read versions 0 and 1.
 */
import {
  readTransactionLogKey,
  writeTransactionLogKey,
} from "../../../protocol/generated/records/transaction-coordinator/TransactionLogKey.js";
import {
  readTransactionLogValue,
  type TransactionLogValue,
  writeTransactionLogValue,
} from "../../../protocol/generated/records/transaction-coordinator/TransactionLogValue.js";
import { Reader } from "../../../protocol/primitives/reader.js";
import { Writer } from "../../../protocol/primitives/writer.js";
import { NO_PRODUCER_EPOCH, type TopicPartition, TxnState, type TxnTransit } from "./state.js";

const KEY_VERSION = 0;
const VALUE_VERSION = 0;

export class TxnRecordError extends Error {
  override name = "TxnRecordError";
}

function versioned(version: number, body: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  w.int16(version);
  body(w);
  return Buffer.from(w.finish());
}

export function txnLogKey(transactionalId: string): Buffer {
  return versioned(KEY_VERSION, (w) => writeTransactionLogKey(w, KEY_VERSION, { transactionalId }));
}

/** Partitions grouped by topic, as Kafka writes them. */
function groupByTopic(tps: readonly TopicPartition[]): { topic: string; partitionIds: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const tp of tps) {
    const list = byTopic.get(tp.topic) ?? [];
    list.push(tp.partition);
    byTopic.set(tp.topic, list);
  }
  return [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds }));
}

export function txnLogValue(t: TxnTransit): Buffer {
  if (t.state === TxnState.PrepareEpochFence || t.state === TxnState.Dead)
    throw new TxnRecordError(`state ${t.state} is never written as a value`);
  if (t.state === TxnState.Empty && t.partitions.length > 0)
    throw new TxnRecordError("an Empty transaction cannot have partitions");
  const v: TransactionLogValue = {
    producerId: t.producerId,
    previousProducerId: -1n,
    nextProducerId: -1n,
    producerEpoch: t.producerEpoch,
    transactionTimeoutMs: t.txnTimeoutMs,
    transactionStatus: t.state,
    transactionPartitions: t.state === TxnState.Empty ? null : groupByTopic(t.partitions),
    transactionLastUpdateTimestampMs: BigInt(t.txnLastUpdateTimestamp),
    transactionStartTimestampMs: BigInt(t.txnStartTimestamp),
    clientTransactionVersion: 0,
  };
  return versioned(VALUE_VERSION, (w) => writeTransactionLogValue(w, VALUE_VERSION, v));
}

export interface DecodedTxnRecord {
  transactionalId: string;
  /** null for a tombstone. */
  value: TxnTransit | null;
}

/** Decode one record; throws on malformed bytes or an unknown key/value version or state. */
export function decodeTxnRecord(key: Buffer, value: Buffer | null): DecodedTxnRecord {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion !== KEY_VERSION)
    throw new TxnRecordError(`unknown transaction log key version ${keyVersion}`);
  const { transactionalId } = readTransactionLogKey(kr, keyVersion);
  if (value === null) return { transactionalId, value: null };
  const vr = new Reader(value);
  const v = readTransactionLogValue(vr, vr.int16());
  if (v.transactionStatus < TxnState.Empty || v.transactionStatus > TxnState.Dead)
    throw new TxnRecordError(`unknown transaction status ${v.transactionStatus} for ${transactionalId}`);
  const partitions: TopicPartition[] = [];
  for (const t of v.transactionPartitions ?? [])
    for (const p of t.partitionIds) partitions.push({ topic: t.topic, partition: p });
  return {
    transactionalId,
    value: {
      producerId: v.producerId,
      lastProducerId: v.previousProducerId,
      producerEpoch: v.producerEpoch,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      txnTimeoutMs: v.transactionTimeoutMs,
      state: v.transactionStatus as TxnState,
      partitions,
      txnStartTimestamp: Number(v.transactionStartTimestampMs),
      txnLastUpdateTimestamp: Number(v.transactionLastUpdateTimestampMs),
    },
  };
}
