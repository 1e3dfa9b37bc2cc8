import { crc32 } from "node:zlib";
import { batchesIn, decodeBatch } from "../../protocol/records/batch.js";
import { isControl, isLogAppendTime } from "../../protocol/records/header.js";

/**
 * Down-conversion for old fetchers: Fetch v0-v1 clients read magic 0 message sets, v2-v3 magic 1;
 * neither understands magic-2 batches. Records are rewritten uncompressed, one legacy message
 * each, with their absolute offsets and (magic 1) timestamps; headers and control batches have no
 * legacy form and are dropped, as Kafka does.
 */
const LOG_APPEND_TIME_ATTR = 0x08;

function legacyMessage(
  magic: 0 | 1,
  offset: bigint,
  timestamp: bigint,
  logAppend: boolean,
  key: Buffer | null,
  value: Buffer | null,
): Buffer {
  const bodyLen = 1 + 1 + (magic === 1 ? 8 : 0) + 4 + (key?.length ?? 0) + 4 + (value?.length ?? 0);
  const out = Buffer.allocUnsafe(12 + 4 + bodyLen);
  out.writeBigInt64BE(offset, 0);
  out.writeInt32BE(4 + bodyLen, 8);
  let at = 16;
  out.writeInt8(magic, at++);
  out.writeInt8(magic === 1 && logAppend ? LOG_APPEND_TIME_ATTR : 0, at++);
  if (magic === 1) {
    out.writeBigInt64BE(timestamp, at);
    at += 8;
  }
  for (const b of [key, value]) {
    if (b === null) {
      out.writeInt32BE(-1, at);
      at += 4;
    } else {
      out.writeInt32BE(b.length, at);
      b.copy(out, at + 4);
      at += 4 + b.length;
    }
  }
  out.writeUInt32BE(crc32(out.subarray(16)), 12);
  return out;
}

/** Convert concatenated magic-2 batches to a legacy message set, skipping records before `from`. */
export async function downConvert(records: Buffer, magic: 0 | 1, from: bigint): Promise<Buffer> {
  const out: Buffer[] = [];
  for (const { at } of batchesIn(records)) {
    const batch = await decodeBatch(records, at);
    if (isControl(batch.header.attributes)) continue;
    const logAppend = isLogAppendTime(batch.header.attributes);
    for (const r of batch.records) {
      if (r.offset < from) continue;
      out.push(legacyMessage(magic, r.offset, r.timestamp, logAppend, r.key, r.value));
    }
  }
  return Buffer.concat(out);
}
