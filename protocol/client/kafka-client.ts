/**
 * A small Kafka client for the CLI, the operator and tools: one connection per broker, request/response
 * over our codec (protocol/framing), ApiVersions on connect so a request the broker cannot take
 * fails with a clear message instead of a closed socket. Not a general client: no retries beyond
 * what callers do, no pipelining limits, no TLS/SASL yet.
 */
import { connect, type Socket } from "node:net";
import { errorInfo } from "../errors/index.js";
import {
  type ApiKeyNumber,
  decodeResponse,
  encodeRequest,
  peekCorrelationId,
  type RequestByKey,
  type ResponseByKey,
} from "../framing.js";
import { apiInfo } from "../generated/api-keys.js";

export class KafkaClientError extends Error {
  override name = "KafkaClientError";
  constructor(
    message: string,
    /** Kafka error code when the broker answered with one. */
    readonly code?: number,
  ) {
    super(message);
  }
}

/** "NAME (code): message" for a Kafka error code. */
export function describeError(code: number): string {
  const info = errorInfo(code);
  return `${info.name}: ${info.message}`;
}

export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(s.trim());
  if (!m || m[1] === "" || Number(m[2]) > 65535) {
    throw new KafkaClientError(`invalid broker address '${s}' (expected host:port)`);
  }
  return { host: m[1]!, port: Number(m[2]) };
}

/** One broker connection: correlation ids, response matching, per-request deadline. */
export class BrokerConnection {
  private buf: Buffer = Buffer.alloc(0);
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (frame: Buffer) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private closed: Error | null = null;
  private versions = new Map<number, [number, number]>();

  private constructor(
    private readonly socket: Socket,
    readonly address: string,
    private readonly clientId: string,
    private readonly timeoutMs: number,
  ) {
    socket.on("data", (d: Buffer) => this.onData(d));
    socket.on("error", (e) => this.fail(new KafkaClientError(`${address}: ${e.message}`)));
    socket.on("close", () => this.fail(new KafkaClientError(`${address}: connection closed`)));
  }

  static open(address: string, clientId: string, timeoutMs: number): Promise<BrokerConnection> {
    const { host, port } = parseHostPort(address);
    return new Promise((resolve, reject) => {
      const s = connect({ host, port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new KafkaClientError(`${address}: connection timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(new KafkaClientError(`cannot connect to ${address}: ${e.message}`));
      });
      s.once("connect", () => {
        clearTimeout(timer);
        s.removeAllListeners("error");
        const c = new BrokerConnection(s, address, clientId, timeoutMs);
        c.negotiate().then(
          () => resolve(c),
          (e: unknown) => {
            c.close();
            reject(e);
          },
        );
      });
    });
  }

  private async negotiate(): Promise<void> {
    const r = await this.sendAt(18, 0, { clientSoftwareName: "", clientSoftwareVersion: "" });
    if (r.errorCode !== 0)
      throw new KafkaClientError(`${this.address}: ApiVersions failed: ${describeError(r.errorCode)}`);
    this.versions = new Map(r.apiKeys.map((k) => [k.apiKey, [k.minVersion, k.maxVersion]]));
  }

  /** Highest version both sides support, at most `max`; throws naming the API otherwise. */
  pickVersion(apiKey: number, max: number, min = 0): number {
    const range = this.versions.get(apiKey);
    const name = apiInfo(apiKey)?.name ?? `api ${apiKey}`;
    if (!range) throw new KafkaClientError(`${this.address} does not support ${name}`);
    const v = Math.min(max, range[1]);
    if (v < Math.max(min, range[0])) {
      throw new KafkaClientError(
        `${this.address} supports ${name} v${range[0]}-${range[1]}, this tool needs v${min}+`,
      );
    }
    return v;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    while (this.buf.length >= 4) {
      const size = this.buf.readInt32BE(0);
      if (this.buf.length < 4 + size) break;
      const frame = this.buf.subarray(4, 4 + size);
      this.buf = this.buf.subarray(4 + size);
      const id = peekCorrelationId(frame);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.resolve(frame);
    }
  }

  private fail(err: Error): void {
    this.closed ??= err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  /** Send at an explicit version. */
  sendAt<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: RequestByKey[K],
  ): Promise<ResponseByKey[K]> {
    if (this.closed) return Promise.reject(this.closed);
    const id = this.nextId++;
    const frame = encodeRequest(apiKey, version, id, this.clientId, body);
    return new Promise<ResponseByKey[K]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new KafkaClientError(
            `${this.address}: no answer to ${apiInfo(apiKey)?.name} in ${this.timeoutMs} ms`,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(id, {
        resolve: (f) => {
          try {
            resolve(decodeResponse(apiKey, version, f).body);
          } catch (e) {
            reject(e);
          }
        },
        reject,
        timer,
      });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

/** Connections to a cluster: the bootstrap one plus one per broker node asked for. */
export class KafkaClient {
  private readonly byNode = new Map<number, Promise<BrokerConnection>>();
  private brokers = new Map<number, BrokerAddress>();

  private constructor(
    readonly bootstrap: BrokerConnection,
    private readonly clientId: string,
    private readonly timeoutMs: number,
  ) {}

  /** Tries each bootstrap address in turn. */
  static async connect(
    bootstrapServers: string,
    opts: { clientId?: string; timeoutMs?: number } = {},
  ): Promise<KafkaClient> {
    const clientId = opts.clientId ?? "gregor-cli";
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const addresses = bootstrapServers
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (addresses.length === 0) throw new KafkaClientError("no bootstrap server given");
    let last: unknown;
    for (const a of addresses) {
      try {
        const conn = await BrokerConnection.open(a, clientId, timeoutMs);
        const client = new KafkaClient(conn, clientId, timeoutMs);
        await client.refreshBrokers();
        return client;
      } catch (e) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new KafkaClientError(String(last));
  }

  /** Metadata for the given topics (null: all topics). Also refreshes the broker list. */
  async metadata(topics: string[] | null): Promise<ResponseByKey[3]> {
    const v = this.bootstrap.pickVersion(3, 12, 4);
    const r = await this.bootstrap.sendAt(3, v, {
      topics: topics === null ? null : topics.map((name) => ({ topicId: "AAAAAAAAAAAAAAAAAAAAAA", name })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    this.brokers = new Map(
      r.brokers.map((b) => [b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port }]),
    );
    return r;
  }

  async refreshBrokers(): Promise<void> {
    await this.metadata([]);
  }

  broker(nodeId: number): BrokerAddress | undefined {
    return this.brokers.get(nodeId);
  }

  /** A connection to a node, opened once (the bootstrap one when the address matches). */
  node(nodeId: number): Promise<BrokerConnection> {
    let c = this.byNode.get(nodeId);
    if (!c) {
      const b = this.brokers.get(nodeId);
      if (!b) return Promise.reject(new KafkaClientError(`unknown broker id ${nodeId}`));
      const address = `${b.host}:${b.port}`;
      c =
        address === this.bootstrap.address
          ? Promise.resolve(this.bootstrap)
          : BrokerConnection.open(address, this.clientId, this.timeoutMs);
      this.byNode.set(nodeId, c);
    }
    return c;
  }

  /** Every connection opened by node id. */
  async allNodes(): Promise<{ nodeId: number; conn: BrokerConnection }[]> {
    return Promise.all(
      [...this.brokers.keys()].map(async (nodeId) => ({ nodeId, conn: await this.node(nodeId) })),
    );
  }

  close(): void {
    this.bootstrap.close();
    for (const c of this.byNode.values())
      void c.then(
        (x) => x.close(),
        () => undefined,
      );
  }
}
