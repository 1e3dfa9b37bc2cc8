/**
 * Producer-state view of a partition's batches: what the producer state manager needs from the log
 * (rebuild after a restart, truncation) and from a produce request about to be appended.
 */
import { batchesIn } from "../../protocol/records/batch.js";
import { readBatchHeader } from "../../protocol/records/header.js";
import { type ProducerBatch, producerBatchFromBytes, producerBatchFromHeader } from "../producer/index.js";

/** Bytes read from the log per step while rebuilding producer state. */
const READ_STEP_BYTES = 1 << 20;

export interface ReadableLog {
  readonly logEndOffset: bigint;
  read(
    fetchOffset: bigint,
    maxBytes: number,
    opts?: { maxOffset?: bigint; minOneBatch?: boolean },
  ): { chunks: Buffer[]; bytes: number } | Promise<{ chunks: Buffer[]; bytes: number }>;
}

/** Batches of `log` from the one holding `from` to the log end, in order (markers decoded). */
export async function* readProducerBatches(log: ReadableLog, from: bigint): AsyncGenerator<ProducerBatch> {
  let offset = from;
  const end = log.logEndOffset;
  while (offset < end) {
    const res = await log.read(offset, READ_STEP_BYTES, { maxOffset: end, minOneBatch: true });
    if (res.bytes === 0) return;
    let next = offset;
    for (const chunk of res.chunks) {
      for (const { at } of batchesIn(chunk)) {
        const b = await producerBatchFromBytes(chunk, at);
        next = b.baseOffset + BigInt(b.lastOffsetDelta) + 1n;
        yield b;
      }
    }
    if (next <= offset) return; // no progress: never spin
    offset = next;
  }
}

/**
 * The batches of a produce request with the offsets the log is about to assign (appends are
 * contiguous from the log end offset). Client batches are never control batches.
 */
export function plannedBatches(buf: Buffer, logEndOffset: bigint): ProducerBatch[] {
  const out: ProducerBatch[] = [];
  let next = logEndOffset;
  for (const { at } of batchesIn(buf)) {
    const h = readBatchHeader(buf, at);
    out.push({ ...producerBatchFromHeader(h), baseOffset: next });
    next += BigInt(h.lastOffsetDelta) + 1n;
  }
  return out;
}
