import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";

/**
 * kcat (librdkafka) against a freshly started broker process: metadata, produce with keys,
 * headers and every compression codec, consume from the beginning, from the end (-o -10) and
 * by timestamp (-o s@ts). Records and headers are compared exactly.
 */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker({ overrides: { "num.partitions": "1" } });
});

afterAll(async () => {
  await broker?.stop();
  broker?.cleanup();
});

const FORMAT = "%k|%s|%h|%o\\n";

async function consume(topic: string, offset: string): Promise<string[]> {
  const out = await kcat(["-b", broker.bootstrap, "-C", "-t", topic, "-o", offset, "-e", "-q", "-f", FORMAT]);
  return out.split("\n").filter((l) => l !== "");
}

describe("kcat interop", () => {
  it("lists metadata with this broker as controller and an auto-created topic", async () => {
    await kcat(["-b", broker.bootstrap, "-P", "-t", "meta-topic"], "x\n");
    const md = JSON.parse(await kcat(["-b", broker.bootstrap, "-L", "-J"])) as {
      controllerid: number;
      brokers: { id: number; name: string }[];
      topics: {
        topic: string;
        partitions: { partition: number; leader: number; replicas: { id: number }[] }[];
      }[];
    };
    expect(md.controllerid).toBe(1);
    expect(md.brokers).toEqual([{ id: 1, name: broker.bootstrap }]);
    const t = md.topics.find((x) => x.topic === "meta-topic");
    expect(t?.partitions).toEqual([
      expect.objectContaining({ partition: 0, leader: 1, replicas: [{ id: 1 }] }),
    ]);
  });

  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
    it(`produces and consumes keys, values and headers with compression ${codec}`, async () => {
      const topic = `codec-${codec}`;
      const lines = Array.from({ length: 50 }, (_, i) => `key-${i}:value ${i} ${"x".repeat(i * 7)}`);
      await kcat(
        [
          "-b",
          broker.bootstrap,
          "-P",
          "-t",
          topic,
          "-K:",
          "-z",
          codec,
          "-H",
          "h1=v1",
          "-H",
          `codec=${codec}`,
        ],
        lines.join("\n") + "\n",
      );
      const got = await consume(topic, "beginning");
      expect(got).toEqual(
        lines.map((l, i) => {
          const [k, v] = l.split(":");
          return `${k}|${v}|h1=v1,codec=${codec}|${i}`;
        }),
      );
    });
  }

  it("consumes the last 10 records with -o -10", async () => {
    const topic = "tail";
    const lines = Array.from({ length: 25 }, (_, i) => `k${i}:v${i}`);
    await kcat(["-b", broker.bootstrap, "-P", "-t", topic, "-K:"], lines.join("\n") + "\n");
    const got = await consume(topic, "-10");
    expect(got).toEqual(Array.from({ length: 10 }, (_, j) => `k${15 + j}|v${15 + j}||${15 + j}`));
  });

  it("consumes from a timestamp with -o s@<ts>", async () => {
    const topic = "by-time";
    await kcat(["-b", broker.bootstrap, "-P", "-t", topic, "-K:"], "early1:a\nearly2:b\n");
    await new Promise((r) => setTimeout(r, 50));
    const ts = Date.now();
    await new Promise((r) => setTimeout(r, 50));
    await kcat(["-b", broker.bootstrap, "-P", "-t", topic, "-K:"], "late1:c\nlate2:d\n");
    expect(await consume(topic, `s@${ts}`)).toEqual(["late1|c||2", "late2|d||3"]);
    expect(await consume(topic, "s@0")).toHaveLength(4);
  });
});
