import type { Logger } from "pino";
import { buildBatch, decodeBatch } from "../../protocol/records/batch.js";
import { BATCH } from "../../protocol/records/header.js";
import { decodeMetadataRecord, encodeMetadataRecord, type MetadataRecord } from "./records.js";

/**
 * The metadata log with a single local writer. It is an ordinary partition log named
 * `__cluster_metadata-0` (as in Kafka), kept by storage, so recovery after a crash (cutting a
 * torn tail batch) and the on-disk layout are storage's. Each committed change is one batch of
 * records (null keys, values framed as in records.ts), fsynced before the change is applied.
 * The Raft quorum of a later issue replaces this writer, not the format.
 */
export const METADATA_TOPIC = "__cluster_metadata";

/** The slice of storage's PartitionLog the metadata log uses. */
export interface MetadataLogStorage {
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  read(
    fetchOffset: bigint,
    maxBytes: number,
    opts?: { minOneBatch?: boolean },
  ): { chunks: Buffer[]; bytes: number };
  append(
    batches: Buffer,
    opts: { leaderEpoch: number; assignOffsets: boolean },
  ): Promise<{ firstOffset: bigint; lastOffset: bigint }>;
  flush(): Promise<void>;
}

export interface ReplayedRecord {
  offset: bigint;
  record: MetadataRecord;
}

export class MetadataLogCorruptError extends Error {
  override name = "MetadataLogCorruptError";
}

const READ_CHUNK = 1024 * 1024;

export class LocalMetadataLog {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly storage: MetadataLogStorage) {}

  get nextOffset(): bigint {
    return this.storage.logEndOffset;
  }

  /** Replay every record in the log, then return a writer positioned at its end. */
  static async open(
    storage: MetadataLogStorage,
    log?: Logger,
  ): Promise<{ log: LocalMetadataLog; records: ReplayedRecord[] }> {
    const records: ReplayedRecord[] = [];
    let offset = storage.logStartOffset;
    while (offset < storage.logEndOffset) {
      const { chunks, bytes } = storage.read(offset, READ_CHUNK, { minOneBatch: true });
      if (bytes === 0) break;
      const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      let at = 0;
      while (buf.length - at >= BATCH.HEADER_SIZE) {
        const size = buf.readInt32BE(at + BATCH.LENGTH) + BATCH.LOG_OVERHEAD;
        if (at + size > buf.length) break;
        const batch = await decodeBatch(buf, at);
        for (const r of batch.records) {
          if (r.offset < offset) continue;
          if (!r.value)
            throw new MetadataLogCorruptError(`metadata record at offset ${r.offset} has no value`);
          try {
            records.push({ offset: r.offset, record: decodeMetadataRecord(r.value) });
          } catch (err) {
            throw new MetadataLogCorruptError(
              `metadata record at offset ${r.offset}: ${(err as Error).message}`,
            );
          }
        }
        offset = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
        at += size;
      }
    }
    log?.info({ records: records.length, endOffset: String(storage.logEndOffset) }, "replayed metadata log");
    return { log: new LocalMetadataLog(storage), records };
  }

  /**
   * Append records as one batch (atomic: after a crash all or none are there) and fsync.
   * Calls are serialized. Resolves to the offsets the records got.
   */
  append(records: MetadataRecord[]): Promise<ReplayedRecord[]> {
    const run = async (): Promise<ReplayedRecord[]> => {
      const batch = await buildBatch({
        records: records.map((r) => ({ key: null, value: encodeMetadataRecord(r) })),
      });
      const res = await this.storage.append(batch, { leaderEpoch: 0, assignOffsets: true });
      await this.storage.flush();
      return records.map((record, i) => ({ offset: res.firstOffset + BigInt(i), record }));
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** Wait for pending appends. */
  async close(): Promise<void> {
    await this.chain;
  }
}
