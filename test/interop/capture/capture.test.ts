/**
 * Real clients (KafkaJS, kcat/librdkafka) against the capture server: every request they send is
 * decoded with the generated codec, answered with it, and the record batches inside Produce
 * requests are decoded and compared with what the clients were told to send.
 */
import { spawn, spawnSync } from "node:child_process";
import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DecodedRequest } from "../../../protocol/framing.js";
import { ApiKey } from "../../../protocol/generated/api-keys.js";
import { batchesIn, CompressionType, compressionOf, decodeBatch } from "../../../protocol/records/index.js";
import { type CaptureServer, startCaptureServer } from "../../harness/capture-server.js";

interface Sent {
  key: string;
  value: string;
  headers: Record<string, string>;
}

const hasKcat = spawnSync("kcat", ["-V"]).status === 0;

function producesFor(server: CaptureServer, topic: string): DecodedRequest<typeof ApiKey.Produce>[] {
  return server.requests.filter(
    (r): r is DecodedRequest<typeof ApiKey.Produce> =>
      r.apiKey === ApiKey.Produce && r.body.topicData.some((t) => t.name === topic),
  );
}

/** All records the clients produced to `topic`, decoded from the captured batches. */
async function capturedRecords(
  server: CaptureServer,
  topic: string,
): Promise<{ sent: Sent[]; codecs: Set<CompressionType> }> {
  const sent: Sent[] = [];
  const codecs = new Set<CompressionType>();
  for (const req of producesFor(server, topic)) {
    for (const t of req.body.topicData) {
      if (t.name !== topic) continue;
      for (const p of t.partitionData) {
        const buf = p.records!;
        for (const { at } of batchesIn(buf)) {
          const batch = await decodeBatch(buf, at);
          codecs.add(compressionOf(batch.header.attributes));
          for (const r of batch.records) {
            sent.push({
              key: r.key?.toString() ?? "",
              value: r.value?.toString() ?? "",
              headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ""])),
            });
          }
        }
      }
    }
  }
  sent.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { sent, codecs };
}

function messages(prefix: string, n: number): Sent[] {
  return Array.from({ length: n }, (_, i) => ({
    key: `${prefix}-k${String(i).padStart(2, "0")}`,
    value: `${prefix} value ${i} ${"x".repeat(100 + i * 7)}`,
    headers: { h: `v${i}` },
  }));
}

describe("KafkaJS against the capture server", () => {
  let server: CaptureServer;
  beforeAll(async () => {
    server = await startCaptureServer({ partitions: 3 });
  });
  afterAll(async () => {
    await server.close();
  });

  for (const [label, compression, codec] of [
    ["none", CompressionTypes.None, CompressionType.None],
    ["gzip", CompressionTypes.GZIP, CompressionType.Gzip],
  ] as const) {
    it(`produces keyed records with headers (${label}) that decode exactly`, async () => {
      const topic = `kafkajs-${label}`;
      const kafka = new Kafka({
        clientId: "capture-kafkajs",
        brokers: [`127.0.0.1:${server.port}`],
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const want = messages(label, 12);
      try {
        const res = await producer.send({
          topic,
          compression,
          messages: want.map((m) => ({ key: m.key, value: m.value, headers: m.headers })),
        });
        expect(res.length).toBeGreaterThan(0);
        for (const r of res) expect(r.errorCode).toBe(0);
      } finally {
        await producer.disconnect();
      }

      const api = server.requests.find((r) => r.apiKey === ApiKey.ApiVersions);
      expect(api?.header.clientId).toBe("capture-kafkajs");
      const meta = server.requests.filter((r) => r.apiKey === ApiKey.Metadata);
      expect(
        meta.some((r) =>
          (r.body as DecodedRequest<typeof ApiKey.Metadata>["body"]).topics?.some((t) => t.name === topic),
        ),
      ).toBe(true);
      const produces = producesFor(server, topic);
      expect(produces.length).toBeGreaterThan(0);
      for (const p of produces) {
        expect(p.body.acks).toBe(-1);
        expect(p.apiVersion).toBeGreaterThanOrEqual(3);
        expect(p.header.clientId).toBe("capture-kafkajs");
      }
      const { sent, codecs } = await capturedRecords(server, topic);
      expect([...codecs]).toEqual([codec]);
      expect(sent).toEqual(want);
    });
  }
});

describe("KafkaJS idempotent producer", () => {
  it("gets a producer id from InitProducerId and stamps it on its batches", async () => {
    const server = await startCaptureServer({ partitions: 1 });
    try {
      const kafka = new Kafka({
        clientId: "capture-idem",
        brokers: [`127.0.0.1:${server.port}`],
        logLevel: logLevel.NOTHING,
        retry: { retries: 1, initialRetryTime: 50 },
      });
      const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      await producer.connect();
      await producer.send({
        topic: "idem",
        messages: [
          { key: "a", value: "1" },
          { key: "b", value: "2" },
        ],
      });
      await producer.disconnect();
      const init = server.requests.find((r) => r.apiKey === ApiKey.InitProducerId);
      expect(init?.body).toMatchObject({ transactionalId: null });
      const p = producesFor(server, "idem")[0]!;
      const batch = await decodeBatch(p.body.topicData[0]!.partitionData[0]!.records!);
      expect(batch.header.producerId).toBe(4000n);
      expect(batch.header.baseSequence).toBe(0);
      expect(batch.records.map((r) => r.value?.toString())).toEqual(["1", "2"]);
    } finally {
      await server.close();
    }
  });
});

function kcat(
  args: string[],
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("kcat", args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? "");
  });
}

// Skipped only where kcat is missing; `bash test/setup.sh` (run by `npm test`) installs it.
describe.skipIf(!hasKcat)("kcat (librdkafka) against the capture server", () => {
  let server: CaptureServer;
  beforeAll(async () => {
    server = await startCaptureServer({ partitions: 2 });
  });
  afterAll(async () => {
    await server.close();
  });

  for (const [codec, type] of [
    ["gzip", CompressionType.Gzip],
    ["snappy", CompressionType.Snappy],
    ["lz4", CompressionType.Lz4],
    ["zstd", CompressionType.Zstd],
  ] as const) {
    it(`kcat -P -z ${codec} sends records that decode exactly`, async () => {
      const topic = `kcat-${codec}`;
      const want = messages(codec, 10).map((m) => ({ ...m, headers: { h: "v", trace: codec } }));
      const input = want.map((m) => `${m.key}:${m.value}\n`).join("");
      const args = ["-P", "-b", `127.0.0.1:${server.port}`, "-t", topic, "-z", codec, "-K:", "-H", "h=v"];
      args.push("-H", `trace=${codec}`, "-X", "api.version.request=true", "-X", "linger.ms=5");
      const res = await kcat(args, input);
      expect(res.code, res.stderr).toBe(0);

      const api = server.requests.filter((r) => r.apiKey === ApiKey.ApiVersions);
      expect(api.length).toBeGreaterThan(0);
      // librdkafka sends ApiVersions v3+ with its software name in the (flexible) body.
      const apiBody = api.at(-1)!.body as DecodedRequest<typeof ApiKey.ApiVersions>["body"];
      expect(apiBody.clientSoftwareName).toContain("librdkafka");
      const produces = producesFor(server, topic);
      expect(produces.length).toBeGreaterThan(0);
      for (const p of produces) {
        expect(p.body.acks).toBe(-1);
        expect(p.apiVersion).toBeGreaterThanOrEqual(7);
      }
      const { sent, codecs } = await capturedRecords(server, topic);
      expect([...codecs]).toEqual([type]);
      expect(sent).toEqual(want);
    });
  }

  it("kcat -L lists the capture broker and the topics with their partitions", async () => {
    const res = await kcat(["-L", "-b", `127.0.0.1:${server.port}`, "-t", "kcat-gzip"]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`broker 1 at 127.0.0.1:${server.port}`);
    expect(res.stdout).toMatch(/topic "kcat-gzip" with 2 partitions/);
    expect(res.stdout).toMatch(/partition 1, leader 1, replicas: 1, isrs: 1/);
    const meta = server.requests.filter((r) => r.apiKey === ApiKey.Metadata).at(-1)!;
    expect(meta.apiVersion).toBeGreaterThanOrEqual(4);
    expect((meta.body as DecodedRequest<typeof ApiKey.Metadata>["body"]).topics?.map((t) => t.name)).toEqual([
      "kcat-gzip",
    ]);
  });
});

const hasKafkaPython = spawnSync("/usr/bin/python3", ["-c", "import kafka"]).status === 0;

const PY_PRODUCER = `
import sys
from kafka import KafkaProducer
port, topic, codec = sys.argv[1], sys.argv[2], sys.argv[3]
p = KafkaProducer(bootstrap_servers="127.0.0.1:" + port, acks=-1, compression_type=codec, client_id="capture-py")
for i in range(5):
    p.send(topic, key=("py-k%d" % i).encode(), value=("py value %d " % i + "y" * 120).encode(), headers=[("h", b"v%d" % i)])
p.flush(10)
p.close(10)
print("version", p.config["api_version"])
`;

// Skipped only where kafka-python is missing; `bash test/setup.sh` (run by `npm test`) installs python3-kafka.
describe.skipIf(!hasKafkaPython)("kafka-python against the capture server", () => {
  it("detects a modern broker from the advertised ranges and produces records that decode exactly", async () => {
    const server = await startCaptureServer({ partitions: 1 });
    try {
      const res = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
        const child = spawn("/usr/bin/python3", ["-c", PY_PRODUCER, String(server.port), "py", "gzip"]);
        let out = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.stdout.on("data", (d) => {
          out += d;
        });
        child.stderr.on("data", (d) => {
          out += d;
        });
        child.on("error", reject);
        child.on("close", (code) => {
          clearTimeout(timer);
          resolve({ code, out });
        });
      });
      expect(res.code, res.out).toBe(0);
      // kafka-python 2.0.2 guesses the broker version from max versions; 3.9 ranges must not look ancient.
      expect(res.out).toMatch(/version \(2, [5-9]/);
      const { sent, codecs } = await capturedRecords(server, "py");
      expect([...codecs]).toEqual([CompressionType.Gzip]);
      expect(sent).toEqual(
        Array.from({ length: 5 }, (_, i) => ({
          key: `py-k${i}`,
          value: `py value ${i} ${"y".repeat(120)}`,
          headers: { h: `v${i}` },
        })),
      );
    } finally {
      await server.close();
    }
  });
});

describe("capture server: ApiVersions fallback", () => {
  it("answers a too-new ApiVersions with a v0 UNSUPPORTED_VERSION response", async () => {
    const server = await startCaptureServer();
    try {
      const { createConnection } = await import("node:net");
      const sock = createConnection(server.port, "127.0.0.1");
      // ApiVersions v99, correlation 77, client "abc", header v2 tags, empty-ish body.
      const frame = Buffer.from(
        "00000013" + "0012" + "0063" + "0000004d" + "0003616263" + "00" + "027802310000",
        "hex",
      );
      frame.writeInt32BE(frame.length - 4, 0);
      const reply = await new Promise<Buffer>((resolve, reject) => {
        let got = Buffer.alloc(0);
        sock.on("data", (d) => {
          got = Buffer.concat([got, d]);
          if (got.length >= 4 && got.length >= 4 + got.readInt32BE(0)) resolve(got);
        });
        sock.on("error", reject);
        sock.write(frame);
      });
      sock.destroy();
      expect(reply.readInt32BE(4)).toBe(77); // correlation id, header v0
      expect(reply.readInt16BE(8)).toBe(35); // UNSUPPORTED_VERSION
      expect(reply.readInt32BE(10)).toBeGreaterThan(40); // v0 INT32 array of api keys follows
      expect(server.rejected.map((e) => e.apiVersion)).toEqual([99]);
    } finally {
      await server.close();
    }
  });
});
