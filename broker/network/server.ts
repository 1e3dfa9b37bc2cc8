import { createServer, type Server, type Socket } from "node:net";
import type { Logger } from "pino";
import type { Listener } from "../config/broker-config.js";
import { Connection, type ConnectionHooks, type RequestProcessor } from "./connection.js";

/**
 * The Kafka listeners: one TCP server per configured listener, all feeding one request
 * processor. Tracks requests in progress broker-wide (queued.max.requests) and pauses
 * connections, not the process, when the limit is reached.
 */
export interface NetworkOptions {
  listeners: Listener[];
  maxFrameBytes: number;
  maxQueuedPerConnection: number;
  maxInProgress: number;
  idleMs: number;
  onBytesIn?: (n: number) => void;
  onBytesOut?: (n: number) => void;
}

export interface BoundListener extends Listener {
  /** Port actually bound (differs from `port` when that was 0). */
  boundPort: number;
}

export class NetworkServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<Connection>();
  private readonly waiting = new Set<Connection>();
  private inProgress = 0;
  private nextId = 1;
  readonly bound: BoundListener[] = [];

  constructor(
    private readonly opts: NetworkOptions,
    private readonly processor: RequestProcessor,
    private readonly log: Logger,
  ) {}

  get connectionCount(): number {
    return this.connections.size;
  }

  async start(): Promise<BoundListener[]> {
    for (const l of this.opts.listeners) {
      const server = createServer({ noDelay: true }, (s) => this.accept(s, l.name));
      server.on("error", (err) => this.log.error({ err, listener: l.name }, "listener error"));
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ host: l.host === "" ? undefined : l.host, port: l.port }, () => {
          server.off("error", reject);
          resolve();
        });
      }).catch((err: Error) => {
        throw new Error(`cannot bind listener ${l.name}://${l.host}:${l.port}: ${err.message}`);
      });
      const addr = server.address();
      const boundPort = typeof addr === "object" && addr ? addr.port : l.port;
      this.servers.push(server);
      this.bound.push({ ...l, boundPort });
    }
    return this.bound;
  }

  private accept(socket: Socket, listener: string): void {
    const hooks: ConnectionHooks = {
      acquire: () => {
        if (this.inProgress >= this.opts.maxInProgress) return false;
        this.inProgress++;
        return true;
      },
      release: () => {
        this.inProgress--;
        for (const c of this.waiting) {
          this.waiting.delete(c);
          c.resume();
          if (this.inProgress >= this.opts.maxInProgress) break;
        }
      },
      onClosed: (c) => {
        this.connections.delete(c);
        this.waiting.delete(c);
      },
      bytesIn: (n) => this.opts.onBytesIn?.(n),
      bytesOut: (n) => this.opts.onBytesOut?.(n),
    };
    const conn = new Connection(
      this.nextId++,
      listener,
      socket,
      this.processor,
      {
        maxFrameBytes: this.opts.maxFrameBytes,
        maxQueued: this.opts.maxQueuedPerConnection,
        idleMs: this.opts.idleMs,
      },
      {
        ...hooks,
        acquire: () => {
          const ok = hooks.acquire();
          if (!ok) this.waiting.add(conn);
          return ok;
        },
      },
      this.log,
    );
    this.connections.add(conn);
  }

  /** Stop accepting, close every connection. */
  async close(): Promise<void> {
    const closing = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of [...this.connections]) c.close("broker shutting down", "debug");
    await Promise.all(closing);
  }
}
