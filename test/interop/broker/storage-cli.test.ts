import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runGregor, startBroker } from "../../harness/broker-process.js";

/**
 * `gregor storage random-uuid|format` and the broker's start-up checks, as real processes:
 * formatting, idempotent re-format with --ignore-formatted, the distinct refusal (exit 78, the operator's StorageClusterIdMismatch contract) for a
 * directory of another cluster, and a broker refusing unformatted or foreign directories.
 */
const root = mkdtempSync(join(tmpdir(), "gregor-storage-cli-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function config(name: string, nodeId = 1): { file: string; dir: string } {
  const dir = join(root, name, "data");
  const file = join(root, `${name}.properties`);
  writeFileSync(
    file,
    [
      `node.id=${nodeId}`,
      "process.roles=broker,controller",
      "listeners=PLAINTEXT://127.0.0.1:0",
      `log.dirs=${dir}`,
      "gregor.metrics.listener=",
      "",
    ].join("\n"),
  );
  return { file, dir };
}

describe("gregor storage", () => {
  it("random-uuid prints a Kafka uuid", async () => {
    const r = await runGregor(["storage", "random-uuid"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it("formats, refuses a second format, skips with --ignore-formatted, refuses another cluster with exit 3", async () => {
    const { file, dir } = config("fmt");
    const id = (await runGregor(["storage", "random-uuid"])).stdout.trim();
    const r1 = await runGregor(["storage", "format", "--cluster-id", id, "--config", file]);
    expect(r1.code).toBe(0);
    const meta = readFileSync(join(dir, "meta.properties"), "utf8");
    expect(meta).toContain(`cluster.id=${id}`);
    expect(meta).toContain("node.id=1");
    expect(meta).toContain("version=1");
    expect(meta).toMatch(/directory\.id=[A-Za-z0-9_-]{22}/);

    const r2 = await runGregor(["storage", "format", "-t", id, "-c", file]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("already formatted");

    const r3 = await runGregor(["storage", "format", "-t", id, "-c", file, "--ignore-formatted"]);
    expect(r3.code).toBe(0);
    expect(readFileSync(join(dir, "meta.properties"), "utf8")).toBe(meta);

    const other = (await runGregor(["storage", "random-uuid"])).stdout.trim();
    // Kubelet pre-creates the termination-log file; the tool writes its message there.
    const termLog = join(root, "termination-log");
    writeFileSync(termLog, "");
    const r4 = await runGregor(["storage", "format", "-t", other, "-c", file, "--ignore-formatted"], 30_000, {
      GREGOR_TERMINATION_LOG: termLog,
    });
    expect(readFileSync(termLog, "utf8")).toMatch(/^StorageClusterIdMismatch: FOREIGN DIRECTORY: .*/);
    // 78 + prefix: what the operator's init-container status check looks for.
    expect(r4.code).toBe(78);
    expect(r4.stderr).toContain("StorageClusterIdMismatch: FOREIGN DIRECTORY");
    expect(r4.stderr).toContain(id);
  });

  it("rejects an invalid cluster id and a missing config", async () => {
    const { file } = config("badid");
    const r = await runGregor(["storage", "format", "--cluster-id", "not-a-uuid", "--config", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("not a valid Kafka uuid");
    const r2 = await runGregor(["storage", "format", "--cluster-id", "x"]);
    expect(r2.code).toBe(2);
  });
});

describe("broker start-up checks", () => {
  it("refuses to start on an unformatted directory when given a config", async () => {
    const { file } = config("unformatted");
    const r = await runGregor(["broker", "start", "--config", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not formatted");
  });

  it("refuses a directory formatted for another node", async () => {
    const a = config("node-a", 1);
    const id = (await runGregor(["storage", "random-uuid"])).stdout.trim();
    expect((await runGregor(["storage", "format", "-t", id, "-c", a.file])).code).toBe(0);
    const r = await runGregor(["broker", "start", "--config", a.file, "--override", "node.id=2"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("node.id=1");
  });

  it("reports invalid configuration clearly", async () => {
    const r = await runGregor([
      "broker",
      "start",
      "--override",
      "num.partitions=zero",
      "--override",
      "listeners=nope",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("num.partitions: expected an integer");
    expect(r.stderr).toContain("listeners: 'nope' is not NAME://host:port");
  });

  it("starts on a formatted directory and shuts down cleanly on SIGTERM", async () => {
    const { file, dir } = config("clean");
    const id = (await runGregor(["storage", "random-uuid"])).stdout.trim();
    expect((await runGregor(["storage", "format", "-t", id, "-c", file])).code).toBe(0);
    const b = await startBroker({ configFile: file, dataDir: dir });
    expect(b.clusterId).toBe(id);
    expect(await b.stop()).toBe(0);
    expect(existsSync(join(dir, ".kafka_cleanshutdown"))).toBe(true);
    expect(b.output()).toContain("broker stopped");
  });
});
