import { connect, type Socket } from "node:net";
import { decodeResponse, encodeRequest, peekCorrelationId } from "../../../protocol/framing.js";
import type { ApiKeyNumber, RequestByKey, ResponseByKey } from "../../../protocol/generated/dispatch.js";

/**
 * A minimal pipelining client on our codec, for protocol-level behaviour the independent
 * clients cannot be asked for (long-poll timing, fetch sessions, response order).
 */
export class RawClient {
  private buf = Buffer.alloc(0);
  private nextId = 1;
  private readonly waiting = new Map<number, (frame: Buffer) => void>();
  private readonly failers = new Map<number, (err: Error) => void>();
  /** Correlation ids in the order responses arrived. */
  readonly arrivals: number[] = [];

  private constructor(private readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0);
        if (this.buf.length < 4 + size) break;
        const frame = this.buf.subarray(4, 4 + size);
        this.buf = this.buf.subarray(4 + size);
        const id = peekCorrelationId(frame);
        this.arrivals.push(id);
        this.waiting.get(id)?.(frame);
        this.waiting.delete(id);
        this.failers.delete(id);
      }
    });
    socket.on("close", () => {
      for (const fail of this.failers.values()) fail(new Error("connection closed"));
      this.failers.clear();
      this.waiting.clear();
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ host: "127.0.0.1", port }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  send<K extends ApiKeyNumber>(apiKey: K, version: number, body: RequestByKey[K]): Promise<ResponseByKey[K]> {
    const id = this.nextId++;
    const frame = encodeRequest(apiKey, version, id, "raw-test", body);
    const p = new Promise<ResponseByKey[K]>((resolve, reject) => {
      this.waiting.set(id, (f) => {
        try {
          resolve(decodeResponse(apiKey, version, f).body);
        } catch (e) {
          reject(e);
        }
      });
      this.failers.set(id, reject);
    });
    this.socket.write(frame);
    return p;
  }

  close(): void {
    this.socket.destroy();
  }
}
