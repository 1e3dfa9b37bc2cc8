import { connect, type Socket } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { CloseConnectionError, type RequestProcessor } from "../../../broker/network/connection.js";
import { NetworkServer } from "../../../broker/network/server.js";

/** The network layer with a scripted processor: order, pipelining, limits, bad frames. */
const servers: NetworkServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(processor: RequestProcessor, maxInProgress = 100, maxQueued = 10): Promise<number> {
  const s = new NetworkServer(
    {
      listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: 0 }],
      maxFrameBytes: 1024,
      maxQueuedPerConnection: maxQueued,
      maxInProgress,
      idleMs: 0,
    },
    processor,
    pino({ level: "silent" }),
  );
  servers.push(s);
  const [b] = await s.start();
  return b!.boundPort;
}

function frame(id: number, pad = 8): Buffer {
  const b = Buffer.alloc(4 + pad);
  b.writeInt32BE(pad, 0);
  b.writeInt32BE(id, 4);
  return b;
}

function client(port: number): Promise<{ s: Socket; ids: number[]; closed: Promise<void> }> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port }, () => {
      const ids: number[] = [];
      let buf = Buffer.alloc(0);
      s.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 8) {
          ids.push(buf.readInt32BE(4));
          buf = buf.subarray(8);
        }
      });
      const closed = new Promise<void>((r) => s.on("close", () => r()));
      resolve({ s, ids, closed });
    });
  });
}

const echoAfter = (delay: (id: number) => number): RequestProcessor => ({
  async process(f) {
    const id = f.readInt32BE(0);
    await new Promise((r) => setTimeout(r, delay(id)));
    if (id === 0) return null; // like acks=0
    const out = Buffer.alloc(4);
    out.writeInt32BE(id);
    return [out];
  },
});

const until = async (cond: () => boolean) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe("network connection", () => {
  it("answers pipelined requests in order even when later ones are faster, and skips null responses", async () => {
    const port = await serve(echoAfter((id) => (id === 1 ? 60 : 1)));
    const c = await client(port);
    c.s.write(Buffer.concat([1, 2, 0, 3, 4, 5].map((i) => frame(i))));
    await until(() => c.ids.length === 5);
    expect(c.ids).toEqual([1, 2, 3, 4, 5]);
    c.s.destroy();
  });

  it("handles one request at a time per connection", async () => {
    let running = 0;
    let maxRunning = 0;
    const port = await serve({
      async process(f) {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return [f.subarray(0, 4)];
      },
    });
    const c = await client(port);
    c.s.write(Buffer.concat(Array.from({ length: 30 }, (_, i) => frame(i + 1))));
    await until(() => c.ids.length === 30);
    expect(c.ids).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(maxRunning).toBe(1);
    c.s.destroy();
  });

  it("limits requests in progress across connections", async () => {
    let running = 0;
    let maxRunning = 0;
    const port = await serve(
      {
        async process(f) {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((r) => setTimeout(r, 10));
          running--;
          return [f.subarray(0, 4)];
        },
      },
      2,
    );
    const cs = await Promise.all(Array.from({ length: 5 }, () => client(port)));
    for (const c of cs) c.s.write(Buffer.concat([frame(1), frame(2), frame(3)]));
    await until(() => cs.every((c) => c.ids.length === 3));
    expect(cs.map((c) => c.ids)).toEqual(cs.map(() => [1, 2, 3]));
    expect(maxRunning).toBe(2);
    for (const c of cs) c.s.destroy();
  });

  it("closes only the offending connection on an oversized frame or a processor's refusal", async () => {
    const port = await serve({
      async process(f) {
        if (f.readInt32BE(0) === 666) throw new CloseConnectionError("bad request");
        return [f.subarray(0, 4)];
      },
    });
    const good = await client(port);
    const big = await client(port);
    const bad = await client(port);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(4096);
    big.s.write(huge);
    bad.s.write(Buffer.concat([frame(7), frame(666), frame(8)]));
    await Promise.all([big.closed, bad.closed]);
    expect(bad.ids).toEqual([7]);
    good.s.write(frame(5));
    await until(() => good.ids.length === 1);
    expect(good.ids).toEqual([5]);
    good.s.destroy();
  });
});
