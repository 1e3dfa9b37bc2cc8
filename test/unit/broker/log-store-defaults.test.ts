import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { dynamicLogDefaults } from "../../../broker/config/dynamic.js";
import { brokerLogDefaults } from "../../../broker/config/log-defaults.js";
import { BrokerLogStore } from "../../../broker/log-store.js";
import { ConfigResourceType, MetadataImage } from "../../../broker/metadata/image.js";
import type { MetadataRecord } from "../../../broker/metadata/records.js";
import { randomUuid } from "../../../broker/metadata/uuid.js";
import { LogManager } from "../../../broker/storage/log-manager.js";
import { defaultPartitionRecord } from "../../../protocol/generated/records/metadata/PartitionRecord.js";

/**
 * BrokerLogStore.setLogDefaults: a dynamic broker config change reaches every topic's logs, with
 * topic overrides still winning, and LogManager (which merges overrides over the STATIC defaults
 * it was opened with) ends up with the same effective config the store reports.
 */
const dirs: string[] = [];
const managers: LogManager[] = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const STATIC = new Map([
  ["log.retention.hours", "168"],
  ["message.max.bytes", "1048588"],
]);
const log = pino({ level: "silent" });

function topicRecords(name: string, configs: [string, string][]): MetadataRecord[] {
  const topicId = randomUuid();
  return [
    { type: "TopicRecord", data: { name, topicId } },
    ...configs.map(
      ([k, value]): MetadataRecord => ({
        type: "ConfigRecord",
        data: { resourceType: ConfigResourceType.TOPIC, resourceName: name, name: k, value },
      }),
    ),
    {
      type: "PartitionRecord",
      data: { ...defaultPartitionRecord(), partitionId: 0, topicId, replicas: [1], isr: [1], leader: 1 },
    },
  ];
}

function brokerConfig(resourceName: string, name: string, value: string | null): MetadataRecord {
  return {
    type: "ConfigRecord",
    data: { resourceType: ConfigResourceType.BROKER, resourceName, name, value },
  };
}

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), "gregor-logstore-"));
  dirs.push(dir);
  const defaults = brokerLogDefaults(STATIC);
  const manager = await LogManager.open({ logDirs: [dir], defaults, logger: log });
  managers.push(manager);
  const store = new BrokerLogStore(manager, 1, defaults, log);
  const image = MetadataImage.EMPTY.apply(
    [
      ...topicRecords("plain", []),
      ...topicRecords("own", [
        ["retention.ms", "5000"],
        ["max.message.bytes", "2000"],
      ]),
    ],
    10n,
  );
  await store.reconcile(image);
  return { manager, store, image };
}

describe("BrokerLogStore dynamic defaults", () => {
  it("applies new defaults to topics without overrides and keeps overrides", async () => {
    const { manager, store, image } = await setup();
    expect(store.topicLogConfig("plain").retentionMs).toBe(168 * 3_600_000);

    const changed = image.apply(
      [brokerConfig("", "message.max.bytes", "1000"), brokerConfig("1", "log.retention.ms", "60000")],
      11n,
    );
    store.setLogDefaults(dynamicLogDefaults(STATIC, changed.brokerConfigs, 1));
    expect(store.logDefaults.maxMessageBytes).toBe(1000);
    const plain = store.topicLogConfig("plain");
    expect([plain.retentionMs, plain.maxMessageBytes]).toEqual([60_000, 1000]);
    expect(manager.getLog("plain", 0)!.config).toEqual(plain);
    const own = store.topicLogConfig("own");
    expect([own.retentionMs, own.maxMessageBytes]).toEqual([5000, 2000]);
    expect(manager.getLog("own", 0)!.config).toEqual(own);

    // Back to the static defaults: every topic's log follows, overrides unchanged.
    store.setLogDefaults(dynamicLogDefaults(STATIC, image.brokerConfigs, 1));
    expect(store.topicLogConfig("plain")).toEqual(brokerLogDefaults(STATIC));
    expect(manager.getLog("plain", 0)!.config).toEqual(brokerLogDefaults(STATIC));
    expect(manager.getLog("own", 0)!.config.retentionMs).toBe(5000);
  });

  it("an override equal to the static default still wins over a changed default", async () => {
    const { manager, store } = await setup();
    const image = MetadataImage.EMPTY.apply(topicRecords("same", [["max.message.bytes", "1048588"]]), 1n);
    await store.reconcile(image);
    const dyn = image.apply([brokerConfig("", "message.max.bytes", "500")], 2n);
    store.setLogDefaults(dynamicLogDefaults(STATIC, dyn.brokerConfigs, 1));
    expect(store.topicLogConfig("same").maxMessageBytes).toBe(1048588);
    expect(manager.getLog("same", 0)!.config.maxMessageBytes).toBe(1048588);
  });

  it("topics created after a change start with the dynamic defaults", async () => {
    const { manager, store, image } = await setup();
    const dyn = image.apply([brokerConfig("1", "log.retention.ms", "1234")], 11n);
    store.setLogDefaults(dynamicLogDefaults(STATIC, dyn.brokerConfigs, 1));
    const after = dyn.apply(topicRecords("later", []), 12n);
    await store.apply({ before: dyn, after, records: [] });
    expect(store.topicLogConfig("later").retentionMs).toBe(1234);
    expect(manager.getLog("later", 0)!.config.retentionMs).toBe(1234);
  });
});
