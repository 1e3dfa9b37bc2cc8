import {
  BROKER_CONFIG_BY_NAME,
  BROKER_CONFIG_DEFS,
  brokerSynonyms,
  ConfigSource,
  DYNAMIC_BROKER_CONFIGS,
  synonymScale,
  TOPIC_CONFIG_DEFS,
  type TopicConfigDef,
  type ValueType,
} from "./catalog.js";
import type { ConfigDef } from "./definitions.js";

/**
 * What DescribeConfigs reports for topics and brokers, as pure functions of the config layers.
 * Kafka's precedence, most specific first: topic override, dynamic per-broker, dynamic
 * cluster-wide default, static server.properties, built-in default. The synonym chain lists every
 * layer that holds a value (the first one wins; the rest show what a delete falls back to).
 */
export interface BrokerConfigLayers {
  /** Dynamic configs of this broker (ConfigRecord BROKER "<node id>"). */
  readonly dynamicBroker: ReadonlyMap<string, string>;
  /** Dynamic cluster-wide defaults (ConfigRecord BROKER ""). */
  readonly dynamicDefault: ReadonlyMap<string, string>;
  /** server.properties plus command-line overrides. */
  readonly staticProps: ReadonlyMap<string, string>;
}

export interface ConfigSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  source: number;
  isSensitive: boolean;
  /** The full chain; handlers send it only when synonyms were asked for. */
  synonyms: ConfigSynonym[];
  type: ValueType;
  doc: string;
}

export interface DescribeOptions {
  /** Only these keys (null: all). */
  keys?: readonly string[] | null;
}

const EMPTY: ReadonlyMap<string, string> = new Map();

/** Layers from the metadata image's broker configs and the static properties. */
export function brokerLayers(
  brokerConfigs: ReadonlyMap<string, ReadonlyMap<string, string>>,
  staticProps: ReadonlyMap<string, string>,
  nodeId: number,
): BrokerConfigLayers {
  return {
    dynamicBroker: brokerConfigs.get(String(nodeId)) ?? EMPTY,
    dynamicDefault: brokerConfigs.get("") ?? EMPTY,
    staticProps,
  };
}

/** Static then dynamic default then dynamic per-broker: the props this broker runs with. */
export function effectiveBrokerProps(layers: BrokerConfigLayers): Map<string, string> {
  return new Map([...layers.staticProps, ...layers.dynamicDefault, ...layers.dynamicBroker]);
}

function builtinDefault(name: string): string | null {
  return BROKER_CONFIG_BY_NAME.get(name)?.default ?? null;
}

/**
 * Kafka's synonym chain for broker key `name`: for each layer (dynamic broker, dynamic default,
 * static, built-in default) every synonym that layer sets; then everything before the first entry
 * named `name` is dropped (so `retention.ms` backed only by `log.retention.hours` shows no chain).
 */
export function synonymChain(layers: BrokerConfigLayers, name: string): ConfigSynonym[] {
  const names = brokerSynonyms(name);
  const chain: ConfigSynonym[] = [];
  const levels: [ReadonlyMap<string, string> | ((n: string) => string | null), number][] = [
    [layers.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG],
    [layers.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG],
    [layers.staticProps, ConfigSource.STATIC_BROKER_CONFIG],
    [builtinDefault, ConfigSource.DEFAULT_CONFIG],
  ];
  for (const [level, source] of levels) {
    for (const n of names) {
      const v = typeof level === "function" ? level(n) : (level.get(n) ?? null);
      if (v !== null) chain.push({ name: n, value: v, source });
    }
  }
  const first = chain.findIndex((s) => s.name === name);
  return first < 0 ? [] : chain.slice(first);
}

function scaled(raw: string, name: string): string {
  const factor = synonymScale(name);
  if (factor === 1 || !/^-?\d+$/.test(raw.trim())) return raw;
  const n = BigInt(raw.trim());
  return n < 0n ? "-1" : String(n * BigInt(factor));
}

/**
 * The value a topic without an override gets: the first synonym the broker's effective props set
 * (ms over minutes over hours), else the first built-in broker default, else the topic default.
 */
export function topicDefaultValue(layers: BrokerConfigLayers, def: TopicConfigDef): string {
  if (!def.brokerSynonym) return def.default;
  const names = brokerSynonyms(def.brokerSynonym);
  const props = effectiveBrokerProps(layers);
  for (const n of names) {
    const v = props.get(n);
    if (v !== undefined) return normalize(def.type, scaled(v, n));
  }
  for (const n of names) {
    const v = builtinDefault(n);
    if (v !== null) return normalize(def.type, scaled(v, n));
  }
  return def.default;
}

/** Values as Kafka prints them after parsing: trimmed, lists without blanks, doubles with a dot. */
export function normalize(type: ValueType, raw: string): string {
  const s = raw.trim();
  switch (type) {
    case "list":
      return s
        .split(",")
        .map((x) => x.trim())
        .filter((x) => x !== "")
        .join(",");
    case "boolean":
      return s.toLowerCase();
    case "double": {
      const n = Number(s);
      if (s === "" || !Number.isFinite(n)) return s;
      return Number.isInteger(n) ? `${n}.0` : String(n);
    }
    default:
      return s;
  }
}

function wanted(name: string, opts: DescribeOptions): boolean {
  return !opts.keys || opts.keys.includes(name);
}

function described(
  name: string,
  value: string | null,
  chain: ConfigSynonym[],
  readOnly: boolean,
  type: ValueType,
  doc: string,
): DescribedConfig {
  const source = chain[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
  return {
    name,
    value,
    readOnly,
    isDefault: source === ConfigSource.DEFAULT_CONFIG,
    source,
    isSensitive: false,
    synonyms: chain,
    type,
    doc,
  };
}

/** Every topic config with its effective value for a topic with `overrides`. */
export function describeTopicConfigs(
  layers: BrokerConfigLayers,
  overrides: ReadonlyMap<string, string>,
  opts: DescribeOptions = {},
): DescribedConfig[] {
  const out: DescribedConfig[] = [];
  for (const def of TOPIC_CONFIG_DEFS) {
    if (!wanted(def.name, opts)) continue;
    const chain = def.brokerSynonym ? synonymChain(layers, def.brokerSynonym) : [];
    const override = overrides.get(def.name);
    let value: string;
    if (override !== undefined) {
      value = normalize(def.type, override);
      chain.unshift({ name: def.name, value, source: ConfigSource.TOPIC_CONFIG });
    } else {
      value = topicDefaultValue(layers, def);
    }
    out.push(described(def.name, value, chain, false, def.type, def.doc));
  }
  return out;
}

function brokerEntry(layers: BrokerConfigLayers, def: ConfigDef, perBroker: boolean): DescribedConfig {
  let chain = synonymChain(layers, def.name);
  if (!perBroker) chain = chain.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  const value = perBroker
    ? (effectiveBrokerProps(layers).get(def.name) ?? def.default)
    : (layers.dynamicDefault.get(def.name) ?? null);
  return described(def.name, value, chain, !DYNAMIC_BROKER_CONFIGS.has(def.name), def.type, def.doc);
}

/**
 * A broker resource: this broker's every known key (`perBroker`), or, for the cluster-default
 * resource (empty name), only the keys set as dynamic cluster-wide defaults.
 */
export function describeBrokerConfigs(
  layers: BrokerConfigLayers,
  perBroker: boolean,
  opts: DescribeOptions = {},
): DescribedConfig[] {
  const defs = perBroker
    ? BROKER_CONFIG_DEFS
    : [...layers.dynamicDefault.keys()].flatMap((k) => {
        const d = BROKER_CONFIG_BY_NAME.get(k);
        return d ? [d] : [];
      });
  return defs.filter((d) => wanted(d.name, opts)).map((d) => brokerEntry(layers, d, perBroker));
}
