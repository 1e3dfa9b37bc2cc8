import { readFileSync } from "node:fs";
import { CONFIG_BY_NAME, type ConfigDef, LIMITS } from "./definitions.js";
import { parseProperties } from "./properties.js";

/**
 * Broker configuration: server.properties plus `--override k=v`, validated into a typed object.
 * Every problem is reported at once, with the key and what was wrong, so a bad file fails
 * start-up with one clear message instead of a stack trace.
 */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface BrokerConfig {
  nodeId: number;
  processRoles: string[];
  listeners: Listener[];
  /** Advertised addresses; port 0 means "the port the listener actually bound". */
  advertisedListeners: Listener[];
  controllerListenerNames: string[];
  securityProtocolMap: Map<string, string>;
  logDirs: string[];
  metadataLogDir: string;
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  minInsyncReplicas: number;
  messageMaxBytes: number;
  socketRequestMaxBytes: number;
  socketSendBufferBytes: number;
  socketReceiveBufferBytes: number;
  queuedMaxRequests: number;
  maxInflightPerConnection: number;
  connectionsMaxIdleMs: number;
  logMessageTimestampType: "CreateTime" | "LogAppendTime";
  metricsListener: { host: string; port: number } | null;
  logLevel: string;
  /** Every key as given (file, then overrides), for subsystems that read their own keys. */
  props: Map<string, string>;
  /** Keys given that Gregor does not know (logged as a warning at start). */
  unknownKeys: string[];
}

export interface LoadOptions {
  file?: string;
  overrides?: string[];
  /** Values applied before the file (the embedded default's node.id, listeners, ...). */
  base?: Record<string, string>;
}

export function parseOverride(arg: string): [string, string] {
  const eq = arg.indexOf("=");
  if (eq <= 0) throw new ConfigError(`--override expects key=value, got '${arg}'`);
  return [arg.slice(0, eq).trim(), arg.slice(eq + 1).trim()];
}

export function loadProps(opts: LoadOptions): Map<string, string> {
  const props = new Map<string, string>(Object.entries(opts.base ?? {}));
  if (opts.file) {
    let text: string;
    try {
      text = readFileSync(opts.file, "utf8");
    } catch (err) {
      throw new ConfigError(`cannot read config file ${opts.file}: ${(err as Error).message}`);
    }
    for (const [k, v] of parseProperties(text)) props.set(k, v);
  }
  for (const o of opts.overrides ?? []) {
    const [k, v] = parseOverride(o);
    props.set(k, v);
  }
  return props;
}

export function loadBrokerConfig(opts: LoadOptions): BrokerConfig {
  return buildBrokerConfig(loadProps(opts));
}

const splitList = (s: string): string[] =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");

class Collector {
  errors: string[] = [];
  constructor(private readonly props: Map<string, string>) {}

  raw(name: string): string | null {
    const v = this.props.get(name);
    if (v !== undefined) return v.trim();
    return CONFIG_BY_NAME.get(name)?.default ?? null;
  }
  isSet(name: string): boolean {
    return this.props.has(name);
  }
  private def(name: string): ConfigDef {
    const d = CONFIG_BY_NAME.get(name);
    if (!d) throw new Error(`internal: no definition for ${name}`);
    return d;
  }
  num(name: string): number {
    const d = this.def(name);
    const v = this.raw(name);
    if (v === null) return Number.NaN;
    if (!/^-?\d+$/.test(v)) {
      this.errors.push(`${name}: expected an integer, got '${v}'`);
      return Number.NaN;
    }
    const n = Number(v);
    if (d.type === "int" && (n > LIMITS.INT_MAX || n < -LIMITS.INT_MAX - 1)) {
      this.errors.push(`${name}: ${v} does not fit a 32-bit int`);
    } else if (d.min !== undefined && n < d.min) {
      this.errors.push(`${name}: must be at least ${d.min}, got ${v}`);
    }
    return n;
  }
  optNum(name: string): number | null {
    return this.raw(name) === null ? null : this.num(name);
  }
  bool(name: string): boolean {
    const v = this.raw(name)?.toLowerCase();
    if (v === "true") return true;
    if (v === "false") return false;
    this.errors.push(`${name}: expected true or false, got '${v}'`);
    return false;
  }
  str(name: string): string | null {
    const d = this.def(name);
    const v = this.raw(name);
    if (v !== null && d.oneOf && !d.oneOf.includes(v)) {
      this.errors.push(`${name}: must be one of ${d.oneOf.join(", ")}, got '${v}'`);
    }
    return v;
  }
  list(name: string): string[] {
    const v = this.raw(name);
    return v === null ? [] : splitList(v);
  }
}

export function parseListener(spec: string, key: string, errors: string[]): Listener | null {
  const m = /^([A-Za-z0-9_.-]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(spec);
  if (!m) {
    errors.push(`${key}: '${spec}' is not NAME://host:port`);
    return null;
  }
  const port = Number(m[3]);
  if (port > 65535) {
    errors.push(`${key}: port ${port} out of range in '${spec}'`);
    return null;
  }
  return { name: m[1]!.toUpperCase(), host: m[2]!.replace(/^\[|\]$/g, ""), port };
}

function parseListeners(specs: string[], key: string, errors: string[]): Listener[] {
  const out: Listener[] = [];
  for (const s of specs) {
    const l = parseListener(s, key, errors);
    if (!l) continue;
    if (out.some((o) => o.name === l.name)) errors.push(`${key}: listener name ${l.name} appears twice`);
    out.push(l);
  }
  return out;
}

function parseHttpListener(v: string, errors: string[]): { host: string; port: number } | null {
  if (v === "") return null;
  const m = /^http:\/\/(\[[^\]]*\]|[^:/]*):(\d+)\/?$/.exec(v);
  if (!m || Number(m[2]) > 65535) {
    errors.push(`gregor.metrics.listener: '${v}' is not http://host:port`);
    return null;
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

export function buildBrokerConfig(props: Map<string, string>): BrokerConfig {
  const c = new Collector(props);
  const errors = c.errors;
  for (const [k] of props) {
    const d = CONFIG_BY_NAME.get(k);
    if (d && (d.type === "int" || d.type === "long")) c.num(k);
  }

  let nodeId = c.num("node.id");
  const brokerId = c.num("broker.id");
  if (nodeId === -1 && brokerId !== -1) nodeId = brokerId;
  else if (nodeId !== -1 && brokerId !== -1 && nodeId !== brokerId) {
    errors.push(`node.id (${nodeId}) and broker.id (${brokerId}) disagree`);
  }
  if (nodeId < 0) errors.push("node.id: required (a non-negative integer) in KRaft mode");

  const processRoles = c.list("process.roles");
  if (processRoles.length === 0)
    errors.push("process.roles: required (broker, controller or broker,controller)");
  for (const r of processRoles) {
    if (r !== "broker" && r !== "controller") errors.push(`process.roles: unknown role '${r}'`);
  }

  const securityProtocolMap = new Map<string, string>();
  for (const e of c.list("listener.security.protocol.map")) {
    const [name, proto] = e.split(":");
    if (!name || !proto) errors.push(`listener.security.protocol.map: '${e}' is not NAME:PROTOCOL`);
    else securityProtocolMap.set(name.toUpperCase(), proto.toUpperCase());
  }
  const listeners = parseListeners(c.list("listeners"), "listeners", errors);
  const controllerListenerNames = c.list("controller.listener.names").map((n) => n.toUpperCase());
  for (const l of listeners) {
    const proto = securityProtocolMap.get(l.name);
    if (!proto) errors.push(`listeners: ${l.name} has no entry in listener.security.protocol.map`);
    else if (proto !== "PLAINTEXT") {
      errors.push(`listeners: ${l.name} uses ${proto}; this build serves PLAINTEXT listeners only`);
    }
  }
  const clientListeners = listeners.filter((l) => !controllerListenerNames.includes(l.name));
  if (processRoles.includes("broker") && clientListeners.length === 0) {
    errors.push("listeners: a broker needs at least one listener that is not a controller listener");
  }
  const advertisedListeners = c.isSet("advertised.listeners")
    ? parseListeners(c.list("advertised.listeners"), "advertised.listeners", errors)
    : clientListeners.map((l) => ({ ...l }));
  for (const a of advertisedListeners) {
    if (!listeners.some((l) => l.name === a.name)) {
      errors.push(`advertised.listeners: ${a.name} is not one of the listeners`);
    }
  }

  const logDirs = c.isSet("log.dirs") ? c.list("log.dirs") : [c.raw("log.dir") ?? "/tmp/kafka-logs"];
  if (logDirs.length === 0) errors.push("log.dirs: at least one directory is required");
  const metadataLogDir = c.raw("metadata.log.dir") ?? logDirs[0] ?? "";

  const socketRequestMaxBytes = c.num("socket.request.max.bytes");
  const messageMaxBytes = c.num("message.max.bytes");
  const metricsListener = parseHttpListener(c.raw("gregor.metrics.listener") ?? "", errors);

  const cfg: BrokerConfig = {
    nodeId,
    processRoles,
    listeners,
    advertisedListeners,
    controllerListenerNames,
    securityProtocolMap,
    logDirs,
    metadataLogDir,
    numPartitions: c.num("num.partitions"),
    defaultReplicationFactor: c.num("default.replication.factor"),
    autoCreateTopicsEnable: c.bool("auto.create.topics.enable"),
    deleteTopicEnable: c.bool("delete.topic.enable"),
    minInsyncReplicas: c.num("min.insync.replicas"),
    messageMaxBytes,
    socketRequestMaxBytes,
    socketSendBufferBytes: c.num("socket.send.buffer.bytes"),
    socketReceiveBufferBytes: c.num("socket.receive.buffer.bytes"),
    queuedMaxRequests: c.num("queued.max.requests"),
    maxInflightPerConnection: c.num("gregor.max.inflight.requests.per.connection"),
    connectionsMaxIdleMs: c.num("connections.max.idle.ms"),
    logMessageTimestampType: (c.str("log.message.timestamp.type") ?? "CreateTime") as
      | "CreateTime"
      | "LogAppendTime",
    metricsListener,
    logLevel: c.str("gregor.log.level") ?? "info",
    props,
    unknownKeys: [...props.keys()].filter((k) => !CONFIG_BY_NAME.has(k) && !isPassThrough(k)),
  };
  c.bool("log.cleaner.enable");
  if (errors.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${errors.join("\n  ")}`);
  }
  return cfg;
}

function isPassThrough(key: string): boolean {
  return key.startsWith("log.") || key.startsWith("listener.name.") || key.startsWith("gregor.");
}
