import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, REPO_ROOT, startBroker } from "../../harness/broker-process.js";
import { runTool } from "../../harness/cli-tools.js";

/**
 * kafka-python 2.0.2 (Debian's python3-kafka, an independent client) against a fresh broker:
 * produce with keys and headers (acks=all), then read back with assign + seek (no group).
 */
const SCRIPT = join(REPO_ROOT, "test/interop/broker/fixtures/kafka_python_roundtrip.py");
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker();
});

afterAll(async () => {
  await broker?.stop();
  broker?.cleanup();
});

async function roundTrip(
  topic: string,
  count: number,
  compression: string,
  apiVersion?: string,
): Promise<Record<string, unknown>[]> {
  const args = [
    SCRIPT,
    broker.bootstrap,
    topic,
    String(count),
    compression,
    ...(apiVersion ? [apiVersion] : []),
  ];
  const r = await runTool("/usr/bin/python3", args, "", 50_000);
  if (r.code !== 0) throw new Error(`kafka-python script failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("kafka-python interop", () => {
  for (const compression of ["none", "gzip"]) {
    it(`produces and consumes with assign/seek (${compression})`, async () => {
      const count = 20;
      const out = await roundTrip(`kp-${compression}`, count, compression);
      const [acks, ...rest] = out;
      expect(acks).toEqual({ acked: Array.from({ length: count }, (_, i) => i), version: [2, 4, 0] });
      const records = rest.slice(0, -1);
      expect(records).toEqual(
        Array.from({ length: count / 2 }, (_, j) => {
          const i = count / 2 + j;
          return {
            offset: i,
            key: `key-${i}`,
            value: `value-${i}`,
            headers: [
              ["idx", String(i)],
              ["src", "kafka-python"],
            ],
          };
        }),
      );
      expect(rest[rest.length - 1]).toEqual({ first_after_seek_to_beginning: 0, key: "key-0" });
    });
  }

  it("serves a client pinned to Kafka 0.10.1 (magic 1 produce, down-converted Fetch v3)", async () => {
    const count = 10;
    const out = await roundTrip("kp-old", count, "gzip", "0.10.1");
    const [acks, ...rest] = out;
    expect(acks).toEqual({ acked: Array.from({ length: count }, (_, i) => i), version: [0, 10, 1] });
    expect(rest.slice(0, -1)).toEqual(
      Array.from({ length: count / 2 }, (_, j) => ({
        offset: count / 2 + j,
        key: `key-${count / 2 + j}`,
        value: `value-${count / 2 + j}`,
        headers: [],
      })),
    );
    expect(rest[rest.length - 1]).toEqual({ first_after_seek_to_beginning: 0, key: "key-0" });
  });
});
