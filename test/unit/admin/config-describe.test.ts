import { describe, expect, it } from "vitest";
import {
  BROKER_CONFIG_BY_NAME,
  ConfigSource,
  DYNAMIC_BROKER_CONFIGS,
  TOPIC_CONFIG_DEFS,
} from "../../../broker/config/catalog.js";
import {
  type BrokerConfigLayers,
  brokerLayers,
  describeBrokerConfigs,
  describeTopicConfigs,
  normalize,
  synonymChain,
  topicDefaultValue,
} from "../../../broker/config/describe.js";
import { TOPIC_CONFIG_KEYS } from "../../../broker/metadata/topic-rules.js";

const S = ConfigSource;

function layers(
  staticProps: Record<string, string> = {},
  dynamicDefault: Record<string, string> = {},
  dynamicBroker: Record<string, string> = {},
): BrokerConfigLayers {
  return {
    staticProps: new Map(Object.entries(staticProps)),
    dynamicDefault: new Map(Object.entries(dynamicDefault)),
    dynamicBroker: new Map(Object.entries(dynamicBroker)),
  };
}

const topicDef = (name: string) => TOPIC_CONFIG_DEFS.find((d) => d.name === name)!;

describe("config catalog", () => {
  it("describes exactly the topic configs the controller accepts", () => {
    expect(TOPIC_CONFIG_DEFS.map((d) => d.name).sort()).toEqual([...TOPIC_CONFIG_KEYS].sort());
  });

  it("every broker synonym of a topic config is a known broker config", () => {
    for (const d of TOPIC_CONFIG_DEFS) {
      if (d.brokerSynonym) expect(BROKER_CONFIG_BY_NAME.has(d.brokerSynonym), d.brokerSynonym).toBe(true);
    }
  });

  it("dynamic broker keys are the topic synonyms (not the hours/minutes forms, not the message format)", () => {
    expect(DYNAMIC_BROKER_CONFIGS.has("log.retention.ms")).toBe(true);
    expect(DYNAMIC_BROKER_CONFIGS.has("message.max.bytes")).toBe(true);
    expect(DYNAMIC_BROKER_CONFIGS.has("log.retention.hours")).toBe(false);
    expect(DYNAMIC_BROKER_CONFIGS.has("log.message.format.version")).toBe(false);
    expect(DYNAMIC_BROKER_CONFIGS.has("num.partitions")).toBe(false);
  });
});

describe("synonym chains (Kafka's order and its drop-until-own-name rule)", () => {
  it("lists every layer that sets a synonym, most specific first", () => {
    const l = layers({ "log.retention.hours": "100" }, { "log.retention.ms": "259200000" });
    expect(synonymChain(l, "log.retention.ms")).toEqual([
      { name: "log.retention.ms", value: "259200000", source: S.DYNAMIC_DEFAULT_BROKER_CONFIG },
      { name: "log.retention.hours", value: "100", source: S.STATIC_BROKER_CONFIG },
      { name: "log.retention.hours", value: "168", source: S.DEFAULT_CONFIG },
    ]);
  });

  it("drops entries before the first one with the asked name", () => {
    expect(synonymChain(layers(), "log.retention.ms")).toEqual([]);
    expect(synonymChain(layers(), "log.retention.hours")).toEqual([
      { name: "log.retention.hours", value: "168", source: S.DEFAULT_CONFIG },
    ]);
    expect(synonymChain(layers({ "log.retention.minutes": "5" }), "log.retention.hours")).toEqual([
      { name: "log.retention.hours", value: "168", source: S.DEFAULT_CONFIG },
    ]);
  });

  it("keeps keys without a built-in default out of the chain", () => {
    expect(synonymChain(layers(), "log.roll.ms")).toEqual([]);
    expect(synonymChain(layers({ "log.roll.ms": "1000" }), "log.roll.ms")).toEqual([
      { name: "log.roll.ms", value: "1000", source: S.STATIC_BROKER_CONFIG },
      { name: "log.roll.hours", value: "168", source: S.DEFAULT_CONFIG },
    ]);
  });
});

describe("topic values derived from broker settings", () => {
  it("converts hours and minutes, prefers ms, and maps negative retention to -1", () => {
    const ret = topicDef("retention.ms");
    expect(topicDefaultValue(layers(), ret)).toBe("604800000");
    expect(topicDefaultValue(layers({ "log.retention.hours": "100" }), ret)).toBe("360000000");
    expect(
      topicDefaultValue(layers({ "log.retention.hours": "100", "log.retention.minutes": "3" }), ret),
    ).toBe("180000");
    expect(topicDefaultValue(layers({ "log.retention.minutes": "3", "log.retention.ms": "42" }), ret)).toBe(
      "42",
    );
    expect(topicDefaultValue(layers({ "log.retention.hours": "-1" }), ret)).toBe("-1");
    expect(
      topicDefaultValue(layers({ "log.retention.ms": "42" }, {}, { "log.retention.ms": "7" }), ret),
    ).toBe("7");
  });

  it("uses Kafka's topic default when no broker synonym exists", () => {
    expect(topicDefaultValue(layers(), topicDef("remote.storage.enable"))).toBe("false");
    expect(topicDefaultValue(layers(), topicDef("flush.ms"))).toBe("9223372036854775807");
  });

  it("normalizes values the way Kafka prints parsed configs", () => {
    expect(normalize("double", "1")).toBe("1.0");
    expect(normalize("double", "0.25")).toBe("0.25");
    expect(normalize("list", " compact , delete ")).toBe("compact,delete");
    expect(normalize("boolean", "TRUE")).toBe("true");
  });
});

describe("describeTopicConfigs", () => {
  it("reports overrides first in the chain and defaults otherwise", () => {
    const l = layers({ "log.segment.bytes": "10485760" });
    const out = describeTopicConfigs(l, new Map([["min.cleanable.dirty.ratio", "1"]]), {
      keys: [
        "min.cleanable.dirty.ratio",
        "segment.bytes",
        "segment.jitter.ms",
        "leader.replication.throttled.replicas",
      ],
    });
    expect(out.map((c) => [c.name, c.value, c.source, c.isDefault, c.readOnly, c.synonyms])).toEqual([
      ["leader.replication.throttled.replicas", "", S.DEFAULT_CONFIG, true, false, []],
      [
        "min.cleanable.dirty.ratio",
        "1.0",
        S.TOPIC_CONFIG,
        false,
        false,
        [
          { name: "min.cleanable.dirty.ratio", value: "1.0", source: S.TOPIC_CONFIG },
          { name: "log.cleaner.min.cleanable.ratio", value: "0.5", source: S.DEFAULT_CONFIG },
        ],
      ],
      [
        "segment.bytes",
        "10485760",
        S.STATIC_BROKER_CONFIG,
        false,
        false,
        [
          { name: "log.segment.bytes", value: "10485760", source: S.STATIC_BROKER_CONFIG },
          { name: "log.segment.bytes", value: "1073741824", source: S.DEFAULT_CONFIG },
        ],
      ],
      ["segment.jitter.ms", "0", S.DEFAULT_CONFIG, true, false, []],
    ]);
    expect(out.find((c) => c.name === "segment.bytes")!.type).toBe("int");
  });

  it("lists every topic config when no keys are given", () => {
    expect(describeTopicConfigs(layers(), new Map())).toHaveLength(TOPIC_CONFIG_DEFS.length);
  });
});

describe("describeBrokerConfigs", () => {
  it("per broker: effective values, read-only flags and chains", () => {
    const l = brokerLayers(
      new Map([
        ["", new Map([["message.max.bytes", "2000000"]])],
        ["1", new Map([["message.max.bytes", "3000000"]])],
        ["2", new Map([["message.max.bytes", "9"]])],
      ]),
      new Map([["num.partitions", "4"]]),
      1,
    );
    const out = describeBrokerConfigs(l, true, {
      keys: ["message.max.bytes", "num.partitions", "log.roll.ms"],
    });
    const rows = out
      .map(
        (c) => [c.name, c.value, c.readOnly, c.source, c.synonyms.map((s) => [s.value, s.source])] as const,
      )
      .sort((a, b) => a[0].localeCompare(b[0]));
    expect(rows).toEqual([
      ["log.roll.ms", null, false, S.DEFAULT_CONFIG, []],
      [
        "message.max.bytes",
        "3000000",
        false,
        S.DYNAMIC_BROKER_CONFIG,
        [
          ["3000000", S.DYNAMIC_BROKER_CONFIG],
          ["2000000", S.DYNAMIC_DEFAULT_BROKER_CONFIG],
          ["1048588", S.DEFAULT_CONFIG],
        ],
      ],
      [
        "num.partitions",
        "4",
        true,
        S.STATIC_BROKER_CONFIG,
        [
          ["4", S.STATIC_BROKER_CONFIG],
          ["1", S.DEFAULT_CONFIG],
        ],
      ],
    ]);
  });

  it("the cluster-default resource shows only dynamic defaults", () => {
    const l = layers({ "num.partitions": "4" }, { "log.retention.ms": "1000" }, { "message.max.bytes": "5" });
    const out = describeBrokerConfigs(l, false);
    expect(out.map((c) => [c.name, c.value, c.source, c.synonyms])).toEqual([
      [
        "log.retention.ms",
        "1000",
        S.DYNAMIC_DEFAULT_BROKER_CONFIG,
        [{ name: "log.retention.ms", value: "1000", source: S.DYNAMIC_DEFAULT_BROKER_CONFIG }],
      ],
    ]);
  });
});
