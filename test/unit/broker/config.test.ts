import { describe, expect, it } from "vitest";
import { buildBrokerConfig, ConfigError, loadBrokerConfig } from "../../../broker/config/broker-config.js";
import { brokerLogDefaults, topicDefaultsFromBroker } from "../../../broker/config/log-defaults.js";
import { parseProperties } from "../../../broker/config/properties.js";

const base = { "node.id": "1", "process.roles": "broker,controller", "log.dirs": "/tmp/x" };
const cfg = (extra: Record<string, string> = {}) =>
  buildBrokerConfig(new Map(Object.entries({ ...base, ...extra })));

describe("properties parsing", () => {
  it("handles separators, comments, continuations and escapes like java.util.Properties", () => {
    const p = parseProperties(
      [
        "# comment",
        "! also comment",
        "a=1",
        "b : 2",
        "c 3",
        "  d=x\\",
        "   y",
        "e=tab\\there",
        "f=\\u0041",
        "g=",
      ].join("\n"),
    );
    expect(Object.fromEntries(p)).toEqual({ a: "1", b: "2", c: "3", d: "xy", e: "tab\there", f: "A", g: "" });
  });
});

describe("broker config", () => {
  it("applies Kafka's defaults", () => {
    const c = cfg();
    expect(c.nodeId).toBe(1);
    expect(c.listeners).toEqual([{ name: "PLAINTEXT", host: "", port: 9092 }]);
    expect(c.advertisedListeners).toEqual(c.listeners);
    expect(c.numPartitions).toBe(1);
    expect(c.defaultReplicationFactor).toBe(1);
    expect(c.autoCreateTopicsEnable).toBe(true);
    expect(c.messageMaxBytes).toBe(1048588);
    expect(c.socketRequestMaxBytes).toBe(104857600);
    expect(c.metadataLogDir).toBe("/tmp/x");
  });

  it("accepts broker.id as node.id and overrides in order", () => {
    const c = loadBrokerConfig({
      base: { "process.roles": "broker", "broker.id": "7", "log.dirs": "/a,/b" },
      overrides: ["num.partitions=3", "num.partitions=4"],
    });
    expect(c.nodeId).toBe(7);
    expect(c.logDirs).toEqual(["/a", "/b"]);
    expect(c.numPartitions).toBe(4);
  });

  it("reports every problem at once, naming the key", () => {
    let err: unknown;
    try {
      cfg({
        "num.partitions": "0",
        "auto.create.topics.enable": "yes",
        listeners: "PLAINTEXT//x:1",
        "message.max.bytes": "1e6",
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain("num.partitions: must be at least 1");
    expect(msg).toContain("auto.create.topics.enable: expected true or false");
    expect(msg).toContain("listeners: 'PLAINTEXT//x:1' is not NAME://host:port");
    expect(msg).toContain("message.max.bytes: expected an integer");
  });

  it("requires node.id and process.roles", () => {
    expect(() => buildBrokerConfig(new Map([["log.dirs", "/x"]]))).toThrow(
      /node.id: required[\s\S]*process.roles: required/,
    );
  });

  it("separates controller listeners and checks the security protocol map", () => {
    const c = cfg({
      listeners: "PLAINTEXT://:9092,CONTROLLER://:9093",
      "controller.listener.names": "CONTROLLER",
      "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "advertised.listeners": "PLAINTEXT://broker-0.svc:9092",
    });
    expect(c.controllerListenerNames).toEqual(["CONTROLLER"]);
    expect(c.advertisedListeners).toEqual([{ name: "PLAINTEXT", host: "broker-0.svc", port: 9092 }]);
    expect(() => cfg({ listeners: "SSL://:9093" })).toThrow(/PLAINTEXT listeners only/);
    expect(() => cfg({ listeners: "FOO://:9093" })).toThrow(/no entry in listener.security.protocol.map/);
  });

  it("lists unknown keys for a warning instead of failing", () => {
    expect(cfg({ "zookeeper.connect": "x", "log.foo": "1" }).unknownKeys).toEqual(["zookeeper.connect"]);
  });
});

describe("broker log defaults", () => {
  it("maps log.* to topic-level names with ms > minutes > hours precedence", () => {
    const p = new Map([
      ["log.retention.hours", "1"],
      ["log.retention.minutes", "2"],
      ["log.segment.bytes", "1000"],
      ["message.max.bytes", "2000"],
      ["log.roll.hours", "3"],
    ]);
    expect(topicDefaultsFromBroker(p)).toEqual({
      "retention.ms": "120000",
      "segment.bytes": "1000",
      "max.message.bytes": "2000",
      "segment.ms": "10800000",
    });
    p.set("log.retention.ms", "-5");
    const d = brokerLogDefaults(p);
    expect(d.retentionMs).toBe(-1);
    expect(d.segmentBytes).toBe(1000);
    expect(d.maxMessageBytes).toBe(2000);
  });

  it("uses Kafka's 7-day retention by default", () => {
    expect(brokerLogDefaults(new Map()).retentionMs).toBe(7 * 24 * 3600 * 1000);
  });
});
