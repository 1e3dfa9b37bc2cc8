import type { Socket } from "node:net";
import type { Logger } from "pino";
import { FrameReader, FrameSizeError } from "./frame-reader.js";

/**
 * One client connection. Requests are handled one at a time in arrival order, as Kafka does
 * (it mutes a channel while a request is in progress): pipelined requests queue up, responses
 * leave in request order, and a produce pipelined behind another cannot overtake it. Reading
 * pauses while the queue is full or the socket's send buffer is, so a client that floods or does
 * not read cannot make the broker buffer without bound.
 */
export interface ConnectionInfo {
  readonly id: number;
  readonly remote: string;
  /** Listener name the connection arrived on. */
  readonly listener: string;
}

/** What the request layer returns: response bytes after the size prefix, or null for no response. */
export type ResponseChunks = Buffer[] | null;

export interface RequestProcessor {
  process(frame: Buffer, conn: ConnectionInfo): Promise<ResponseChunks>;
}

/** Thrown by a processor to drop a connection (malformed request); logged, never fatal. */
export class CloseConnectionError extends Error {
  override name = "CloseConnectionError";
}

export interface ConnectionLimits {
  maxFrameBytes: number;
  maxQueued: number;
  idleMs: number;
}

export interface ConnectionHooks {
  /** Global admission: returns false when too many requests are in progress broker-wide. */
  acquire(): boolean;
  release(): void;
  /** Called when global capacity frees up, to resume paused connections. */
  onClosed(conn: Connection): void;
  bytesIn(n: number): void;
  bytesOut(n: number): void;
}

export class Connection implements ConnectionInfo {
  private readonly reader: FrameReader;
  private readonly queue: Buffer[] = [];
  private busy = false;
  private closed = false;
  private pausedForLimit = false;

  constructor(
    readonly id: number,
    readonly listener: string,
    private readonly socket: Socket,
    private readonly processor: RequestProcessor,
    private readonly limits: ConnectionLimits,
    private readonly hooks: ConnectionHooks,
    private readonly log: Logger,
  ) {
    this.reader = new FrameReader(limits.maxFrameBytes);
    socket.setNoDelay(true);
    if (limits.idleMs > 0) socket.setTimeout(limits.idleMs, () => this.close("idle timeout"));
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.close(`socket error: ${err.message}`, "debug"));
    socket.on("close", () => this.close("closed by peer", "debug"));
    socket.on("drain", () => this.pump());
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.hooks.bytesIn(chunk.length);
    try {
      this.reader.push(chunk, (frame) => this.queue.push(frame));
    } catch (err) {
      if (err instanceof FrameSizeError) {
        this.close(err.message, "warn");
        return;
      }
      throw err;
    }
    if (this.queue.length >= this.limits.maxQueued) this.socket.pause();
    this.pump();
  }

  /** Called by the server when global capacity frees up. */
  resume(): void {
    if (this.pausedForLimit) {
      this.pausedForLimit = false;
      this.pump();
    }
  }

  private pump(): void {
    if (this.busy || this.closed) return;
    if (this.socket.writableNeedDrain) return; // resumes on 'drain'
    const frame = this.queue[0];
    if (frame === undefined) {
      if (this.socket.isPaused()) this.socket.resume();
      return;
    }
    if (!this.hooks.acquire()) {
      this.pausedForLimit = true;
      return;
    }
    this.queue.shift();
    this.busy = true;
    this.processor.process(frame, this).then(
      (chunks) => {
        this.hooks.release();
        this.busy = false;
        if (this.closed) return;
        if (chunks) this.write(chunks);
        if (this.queue.length < this.limits.maxQueued && this.socket.isPaused()) this.socket.resume();
        this.pump();
      },
      (err: unknown) => {
        this.hooks.release();
        this.busy = false;
        const level = err instanceof CloseConnectionError ? "warn" : "error";
        this.close(
          `closing connection after a bad request: ${(err as Error)?.message ?? String(err)}`,
          level,
        );
      },
    );
  }

  private write(chunks: Buffer[]): void {
    let size = 0;
    for (const c of chunks) size += c.length;
    const prefix = Buffer.allocUnsafe(4);
    prefix.writeInt32BE(size, 0);
    this.socket.cork();
    this.socket.write(prefix);
    for (const c of chunks) this.socket.write(c);
    this.socket.uncork();
    this.hooks.bytesOut(size + 4);
  }

  close(reason: string, level: "debug" | "info" | "warn" | "error" = "info"): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.log[level]({ conn: this.id, remote: this.remote, listener: this.listener }, reason);
    this.socket.destroy();
    this.hooks.onClosed(this);
  }
}
