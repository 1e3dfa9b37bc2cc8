import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatDirs, validateClusterId } from "../../../broker/format.js";
import { randomUuid } from "../../../broker/metadata/uuid.js";
import {
  checkFormatted,
  ForeignDirectoryError,
  MetaPropertiesError,
  readMetaProperties,
  UnformattedDirectoryError,
  writeMetaProperties,
} from "../../../broker/storage/meta-properties.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "gregor-meta-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("meta.properties", () => {
  it("reads a file written by Kafka's storage tool", () => {
    const d = tmp();
    writeFileSync(
      join(d, "meta.properties"),
      "#\n#Tue Nov 05 10:00:00 UTC 2024\nnode.id=1\ndirectory.id=zQmpTRrTRbmbvDMW6uD2ig\nversion=1\ncluster.id=MkU3OEVBNTcwNTJENDM2Qk\n",
    );
    expect(readMetaProperties(d)).toEqual({
      version: 1,
      clusterId: "MkU3OEVBNTcwNTJENDM2Qk",
      nodeId: 1,
      directoryId: "zQmpTRrTRbmbvDMW6uD2ig",
    });
  });

  it("round-trips and rejects ZooKeeper-era (version 0) files", () => {
    const d = tmp();
    const mp = { version: 1 as const, clusterId: randomUuid(), nodeId: 3, directoryId: randomUuid() };
    writeMetaProperties(d, mp);
    expect(readMetaProperties(d)).toEqual(mp);
    writeFileSync(join(d, "meta.properties"), "version=0\nbroker.id=1\ncluster.id=x\n");
    expect(() => readMetaProperties(d)).toThrow(MetaPropertiesError);
  });

  it("returns null for an unformatted directory and checkFormatted explains what to do", () => {
    const d = tmp();
    expect(readMetaProperties(d)).toBeNull();
    expect(() => checkFormatted([d], 1)).toThrow(UnformattedDirectoryError);
    expect(() => checkFormatted([d], 1)).toThrow(/gregor storage format/);
  });

  it("formats several directories with one cluster id and distinct directory ids", () => {
    const [a, b] = [tmp(), tmp()];
    const id = randomUuid();
    const res = formatDirs({ dirs: [a, b], clusterId: id, nodeId: 2, ignoreFormatted: false });
    expect(res.formatted).toEqual([a, b]);
    const ma = readMetaProperties(a)!;
    const mb = readMetaProperties(b)!;
    expect(ma.clusterId).toBe(id);
    expect(ma.directoryId).not.toBe(mb.directoryId);
    expect(checkFormatted([a, b], 2).clusterId).toBe(id);
    expect(() => checkFormatted([a, b], 1)).toThrow(ForeignDirectoryError);
  });

  it("refuses directories of two different clusters", () => {
    const [a, b] = [tmp(), tmp()];
    formatDirs({ dirs: [a], clusterId: randomUuid(), nodeId: 1, ignoreFormatted: false });
    formatDirs({ dirs: [b], clusterId: randomUuid(), nodeId: 1, ignoreFormatted: false });
    expect(() => checkFormatted([a, b], 1)).toThrow(/belongs to cluster/);
  });

  it("never overwrites another cluster's directory, even with ignoreFormatted, and writes nothing then", () => {
    const [a, b] = [tmp(), tmp()];
    const first = randomUuid();
    formatDirs({ dirs: [a], clusterId: first, nodeId: 1, ignoreFormatted: false });
    const before = readFileSync(join(a, "meta.properties"), "utf8");
    expect(() =>
      formatDirs({ dirs: [b, a], clusterId: randomUuid(), nodeId: 1, ignoreFormatted: true }),
    ).toThrow(ForeignDirectoryError);
    expect(readFileSync(join(a, "meta.properties"), "utf8")).toBe(before);
    expect(readMetaProperties(b)).toBeNull();
  });

  it("validates cluster ids like Kafka's Uuid", () => {
    expect(validateClusterId(randomUuid())).toBeNull();
    expect(validateClusterId("AAAAAAAAAAAAAAAAAAAAAA")).toMatch(/reserved/);
    expect(validateClusterId("short")).toMatch(/not a valid/);
    expect(validateClusterId("!!!!!!!!!!!!!!!!!!!!!!")).toMatch(/not a valid/);
  });
});
