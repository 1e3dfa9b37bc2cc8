import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrokerProcess, startBroker } from "../../harness/broker-process.js";
import { kcat } from "../../harness/cli-tools.js";

/** The HTTP side port of a broker process: Prometheus metrics named like the JMX exporter's, probes. */
let broker: BrokerProcess;

beforeAll(async () => {
  broker = await startBroker();
});

afterAll(async () => {
  await broker?.stop();
  broker?.cleanup();
});

const get = (path: string) => fetch(`http://127.0.0.1:${broker.metricsPort}${path}`);

describe("metrics and probes", () => {
  it("answers /healthz and /readyz", async () => {
    expect((await get("/healthz")).status).toBe(200);
    const ready = await get("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe("ready\n");
    expect((await get("/nope")).status).toBe(404);
  });

  it("counts bytes and messages per topic, requests per API, and log sizes", async () => {
    await kcat(["-b", broker.bootstrap, "-P", "-t", "metered", "-K:"], "a:1\nb:2\nc:3\n");
    await kcat(["-b", broker.bootstrap, "-C", "-t", "metered", "-o", "beginning", "-e", "-q"]);
    const text = await (await get("/metrics")).text();
    const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
    expect(value(/^kafka_server_brokertopicmetrics_messagesin_total\{topic="metered"\} (\d+)$/m)).toBe(3);
    expect(
      value(/^kafka_server_brokertopicmetrics_bytesin_total\{topic="metered"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(
      value(/^kafka_server_brokertopicmetrics_bytesout_total\{topic="metered"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(
      value(/^kafka_network_requestmetrics_requests_total\{request="Produce",version="\d+"\} (\d+)$/m),
    ).toBeGreaterThan(0);
    expect(text).toMatch(/^kafka_network_requestmetrics_totaltimems\{quantile="0.99",request="Fetch"\} /m);
    expect(value(/^kafka_log_log_size\{topic="metered",partition="0"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^kafka_log_log_logendoffset\{topic="metered",partition="0"\} (\d+)$/m)).toBe(3);
    expect(text).not.toContain("__cluster_metadata");
  });

  it("shuts down cleanly on SIGINT (Ctrl-C)", async () => {
    const b = await startBroker();
    b.child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => b.child.once("exit", (c) => r(c)));
    expect(code).toBe(0);
    expect(b.output()).toContain("broker stopped");
    b.cleanup();
  });
});
