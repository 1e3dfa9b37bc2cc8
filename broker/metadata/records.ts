import {
  type ConfigRecord,
  type FeatureLevelRecord,
  METADATA_RECORD_TYPES,
  type MetadataRecordByType,
  type PartitionChangeRecord,
  type PartitionRecord,
  type RemoveTopicRecord,
  type TopicRecord,
} from "../../protocol/generated/records/index.js";
import { Reader } from "../../protocol/primitives/reader.js";
import { Writer } from "../../protocol/primitives/writer.js";

/**
 * Metadata log records as Kafka frames them in `__cluster_metadata`: a record value is
 * [uvarint frame version = 1][uvarint record type][uvarint record version][record body], the
 * body encoded with the record's schema from records/metadata.
 */
export type MetadataRecord =
  | { type: "TopicRecord"; version?: number; data: TopicRecord }
  | { type: "PartitionRecord"; version?: number; data: PartitionRecord }
  | { type: "PartitionChangeRecord"; version?: number; data: PartitionChangeRecord }
  | { type: "ConfigRecord"; version?: number; data: ConfigRecord }
  | { type: "RemoveTopicRecord"; version?: number; data: RemoveTopicRecord }
  | { type: "FeatureLevelRecord"; version?: number; data: FeatureLevelRecord }
  /** Any other record type: kept so it survives a replay and re-encode unchanged. */
  | { type: "Other"; apiKey: number; version: number; data: unknown };

const KEY_BY_NAME: Record<string, number> = {
  TopicRecord: 2,
  PartitionRecord: 3,
  ConfigRecord: 4,
  PartitionChangeRecord: 5,
  RemoveTopicRecord: 9,
  FeatureLevelRecord: 12,
};

const NAME_BY_KEY = new Map(Object.entries(KEY_BY_NAME).map(([n, k]) => [k, n]));

const FRAME_VERSION = 1;

export class MetadataRecordError extends Error {
  override name = "MetadataRecordError";
}

type AnyType = {
  versions: { min: number; max: number };
  read(r: Reader, v: number): unknown;
  write(w: Writer, v: number, d: unknown): void;
};

function schema(apiKey: number): AnyType {
  const t = (METADATA_RECORD_TYPES as Record<number, AnyType | undefined>)[apiKey];
  if (!t) throw new MetadataRecordError(`unknown metadata record type ${apiKey}`);
  return t;
}

/** Versions this node writes: version 0 of each, except where a newer one is needed. */
const WRITE_VERSION: Record<number, number> = { 3: 0, 5: 0 };

export function encodeMetadataRecord(rec: MetadataRecord): Buffer {
  const apiKey = rec.type === "Other" ? rec.apiKey : KEY_BY_NAME[rec.type]!;
  const version = rec.type === "Other" ? rec.version : (rec.version ?? WRITE_VERSION[apiKey] ?? 0);
  const w = new Writer(64);
  w.uvarint(FRAME_VERSION).uvarint(apiKey).uvarint(version);
  schema(apiKey).write(w, version, rec.data);
  return Buffer.from(w.finish());
}

export function decodeMetadataRecord(value: Buffer): MetadataRecord {
  const r = new Reader(value);
  const frame = r.uvarint();
  if (frame !== FRAME_VERSION) throw new MetadataRecordError(`unsupported metadata frame version ${frame}`);
  const apiKey = r.uvarint();
  const version = r.uvarint();
  const t = schema(apiKey);
  if (version < t.versions.min || version > t.versions.max) {
    throw new MetadataRecordError(`metadata record type ${apiKey} version ${version} is not supported`);
  }
  const data = t.read(r, version);
  if (r.remaining !== 0) throw new MetadataRecordError(`trailing bytes after metadata record ${apiKey}`);
  const name = NAME_BY_KEY.get(apiKey);
  if (!name) return { type: "Other", apiKey, version, data };
  return { type: name, version, data } as MetadataRecord;
}

export type { MetadataRecordByType };
