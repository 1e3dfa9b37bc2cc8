import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CheckpointFormatError,
  parsePartitionMetadata,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
} from "../../../broker/storage/checkpoints.js";
import { ConfigError, defaultLogConfig, logConfigFromProperties } from "../../../broker/storage/config.js";
import { LeaderEpochCache } from "../../../broker/storage/epoch-cache.js";
import { tmpDir } from "./helpers.js";

const root = tmpDir();
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe("log config", () => {
  it("has Kafka's defaults", () => {
    const d = defaultLogConfig();
    expect(d.segmentBytes).toBe(1073741824);
    expect(d.segmentMs).toBe(604800000);
    expect(d.indexIntervalBytes).toBe(4096);
    expect(d.segmentIndexBytes).toBe(10485760);
    expect(d.retentionMs).toBe(604800000);
    expect(d.retentionBytes).toBe(-1);
    expect(d.cleanupPolicy).toBe("delete");
    expect(d.deleteRetentionMs).toBe(86400000);
    expect(d.minCleanableDirtyRatio).toBe(0.5);
    expect(d.maxMessageBytes).toBe(1048588);
    expect(d.flushMessages).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
  });

  it("maps Kafka topic keys and names the key in errors", () => {
    const c = logConfigFromProperties(
      {
        "segment.bytes": "1048576",
        "retention.ms": "-1",
        "cleanup.policy": "delete,compact",
        "min.cleanable.dirty.ratio": "0.1",
        "message.timestamp.type": "LogAppendTime",
        "flush.messages": "9223372036854775807",
        "min.insync.replicas": "2",
      },
      defaultLogConfig(),
    );
    expect(c.segmentBytes).toBe(1048576);
    expect(c.retentionMs).toBe(-1);
    expect(c.cleanupPolicy).toBe("compact,delete");
    expect(c.minCleanableDirtyRatio).toBe(0.1);
    expect(c.messageTimestampType).toBe("LogAppendTime");
    expect(logConfigFromProperties({ "cleanup.policy": "compact" }, c).cleanupPolicy).toBe("compact");
    const bad: [string, string][] = [
      ["segment.bytes", "10"],
      ["segment.bytes", "abc"],
      ["retention.ms", "-2"],
      ["cleanup.policy", "forever"],
      ["min.cleanable.dirty.ratio", "1.5"],
      ["message.timestamp.type", "Now"],
    ];
    for (const [k, v] of bad) {
      expect(() => logConfigFromProperties({ [k]: v }, defaultLogConfig())).toThrow(ConfigError);
      expect(() => logConfigFromProperties({ [k]: v }, defaultLogConfig())).toThrow(
        new RegExp(`^${k.replace(/\./g, "\\.")}:`),
      );
    }
  });
});

describe("checkpoint files", () => {
  it("round-trips Kafka's offset checkpoint format and rejects malformed files", () => {
    writeOffsetCheckpoint(root, "cp", [
      { topic: "a-b", partition: 0, offset: 5n },
      { topic: "c", partition: 12, offset: 9007199254740993n },
    ]);
    expect(fs.readFileSync(path.join(root, "cp"), "utf8")).toBe("0\n2\na-b 0 5\nc 12 9007199254740993\n");
    const m = readOffsetCheckpoint(root, "cp");
    expect(m.get("a-b-0")).toBe(5n);
    expect(m.get("c-12")).toBe(9007199254740993n);
    expect(readOffsetCheckpoint(root, "missing").size).toBe(0);
    for (const text of ["1\n0\n", "0\n2\na 0 1\n", "0\n1\na 0\n", "0\n1\na 0 x\n", ""]) {
      fs.writeFileSync(path.join(root, "bad"), text);
      expect(() => readOffsetCheckpoint(root, "bad")).toThrow(CheckpointFormatError);
    }
    expect(parsePartitionMetadata("f", "version: 0\ntopic_id: abc\n")).toBe("abc");
    expect(() => parsePartitionMetadata("f", "topic_id: abc\n")).toThrow(CheckpointFormatError);
  });

  it("keeps the leader epoch history across reopen and truncation", () => {
    const dir = path.join(root, "epochs");
    fs.mkdirSync(dir);
    const c = new LeaderEpochCache(dir);
    c.assign(1, 0n);
    c.assign(1, 5n); // same epoch: ignored
    c.assign(3, 10n);
    c.assign(2, 12n); // older epoch: ignored
    c.assign(5, 20n);
    expect(new LeaderEpochCache(dir).all).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 3, startOffset: 10n },
      { epoch: 5, startOffset: 20n },
    ]);
    c.truncateFromStart(12n);
    expect(c.all[0]).toEqual({ epoch: 3, startOffset: 12n });
    c.truncateFromEnd(20n);
    expect(c.latestEpoch).toBe(3);
    expect(c.epochForOffset(15n)).toBe(3);
    c.assign(7, 11n); // a new epoch starting below existing entries replaces them
    expect(new LeaderEpochCache(dir).all).toEqual([{ epoch: 7, startOffset: 11n }]);
  });
});
