/**
 * The group coordinator's records in __consumer_offsets, with Kafka's schemas
 * (records/group-coordinator): key = [int16 key version][key struct], value = [int16 value
 * version][value struct], null value = tombstone. Key versions 0 and 1 are offset commits, 2 is
 * group metadata; higher ones belong to the new consumer/share group protocols and are ignored.
 */

import {
  readGroupMetadataKey,
  writeGroupMetadataKey,
} from "../../../protocol/generated/records/group-coordinator/GroupMetadataKey.js";
import {
  type GroupMetadataValue,
  readGroupMetadataValue,
  writeGroupMetadataValue,
} from "../../../protocol/generated/records/group-coordinator/GroupMetadataValue.js";
import {
  readOffsetCommitKey,
  writeOffsetCommitKey,
} from "../../../protocol/generated/records/group-coordinator/OffsetCommitKey.js";
import {
  readOffsetCommitValue,
  writeOffsetCommitValue,
} from "../../../protocol/generated/records/group-coordinator/OffsetCommitValue.js";
import { Reader } from "../../../protocol/primitives/reader.js";
import { Writer } from "../../../protocol/primitives/writer.js";
import type { CommittedOffset } from "./offsets.js";

export type { GroupMetadataValue };

/** What Kafka 3.9 writes: key v1 for offsets, key v2 for groups; value v3 (v1 when an expire time is set). */
const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;
const GROUP_VALUE_VERSION = 3;
const OFFSET_VALUE_VERSION = 3;
const OFFSET_VALUE_VERSION_WITH_EXPIRE = 1;

export type DecodedRecord =
  | { kind: "offset"; group: string; topic: string; partition: number; value: CommittedOffset | null }
  | { kind: "group"; group: string; value: GroupMetadataValue | null }
  | { kind: "other"; keyVersion: number };

function versioned(version: number, body: (w: Writer) => void): Buffer {
  const w = new Writer(64);
  w.int16(version);
  body(w);
  return Buffer.from(w.finish());
}

export function offsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return versioned(OFFSET_KEY_VERSION, (w) =>
    writeOffsetCommitKey(w, OFFSET_KEY_VERSION, { group, topic, partition }),
  );
}

export function offsetCommitValue(o: CommittedOffset): Buffer {
  const version = o.expireTimestamp !== null ? OFFSET_VALUE_VERSION_WITH_EXPIRE : OFFSET_VALUE_VERSION;
  return versioned(version, (w) =>
    writeOffsetCommitValue(w, version, {
      offset: o.offset,
      leaderEpoch: o.leaderEpoch,
      metadata: o.metadata,
      commitTimestamp: BigInt(o.commitTimestamp),
      expireTimestamp: BigInt(o.expireTimestamp ?? -1),
    }),
  );
}

export function groupMetadataKey(group: string): Buffer {
  return versioned(GROUP_KEY_VERSION, (w) => writeGroupMetadataKey(w, GROUP_KEY_VERSION, { group }));
}

export function groupMetadataValue(v: GroupMetadataValue): Buffer {
  return versioned(GROUP_VALUE_VERSION, (w) => writeGroupMetadataValue(w, GROUP_VALUE_VERSION, v));
}

/** Decodes one record; throws ProtocolDecodeError (or a version error) on malformed bytes. */
export function decodeRecord(key: Buffer, value: Buffer | null): DecodedRecord {
  const kr = new Reader(key);
  const keyVersion = kr.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = readOffsetCommitKey(kr, keyVersion);
    if (value === null) return { kind: "offset", ...k, value: null };
    const vr = new Reader(value);
    const v = readOffsetCommitValue(vr, vr.int16());
    return {
      kind: "offset",
      ...k,
      value: {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: Number(v.commitTimestamp),
        expireTimestamp: v.expireTimestamp === -1n ? null : Number(v.expireTimestamp),
      },
    };
  }
  if (keyVersion === GROUP_KEY_VERSION) {
    const k = readGroupMetadataKey(kr, keyVersion);
    if (value === null) return { kind: "group", group: k.group, value: null };
    const vr = new Reader(value);
    return { kind: "group", group: k.group, value: readGroupMetadataValue(vr, vr.int16()) };
  }
  return { kind: "other", keyVersion };
}
