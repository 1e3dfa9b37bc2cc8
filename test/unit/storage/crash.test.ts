import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { defaultLogConfig } from "../../../broker/storage/config.js";
import { LogManager } from "../../../broker/storage/log-manager.js";
import { decodeBatch } from "../../../protocol/records/batch.js";
import { batch, openLog, readAll, smallConfig, tmpDir } from "./helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Written {
  segmentFile: string;
  position: number;
  bytes: Buffer;
  base: bigint;
}

/** Build a multi-segment log, crash it (no flush, no checkpoint), return where each batch lives. */
async function buildCrashedLog(n: number): Promise<{ dir: string; written: Written[] }> {
  const root = tmpDir();
  dirs.push(root);
  const dir = path.join(root, "t-0");
  const log = openLog(dir, smallConfig({ segmentBytes: 1500, indexIntervalBytes: 200 }));
  const written: Written[] = [];
  for (let i = 0; i < n; i++) {
    const b = await batch(1 + (i % 4), { valueSize: 20 + ((i * 37) % 150), tag: `b${i}` });
    const info = await log.append(b, { leaderEpoch: 1 + (i >> 3), assignOffsets: true });
    const bases = log.segmentBaseOffsets();
    const segBase = bases[bases.length - 1]!;
    const segmentFile = path.join(dir, `${segBase.toString().padStart(20, "0")}.log`);
    written.push({
      segmentFile,
      position: fs.statSync(segmentFile).size - b.length,
      bytes: Buffer.from(b),
      base: info.firstOffset,
    });
  }
  log.abandon();
  return { dir, written };
}

/** Bytes of a batch header not covered by the CRC: base offset and leader epoch. */
const uncovered = (rel: number) => rel < 8 || (rel >= 12 && rel < 16);

describe("crash recovery", () => {
  it("recovers the longest valid prefix after cuts and flipped bytes", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 1, max: 255 }),
        async (where, flip, mask) => {
          const { dir, written } = await buildCrashedLog(40);
          const total = written.reduce((n, w) => n + w.bytes.length, 0);
          // Pick a byte of the whole log by global position.
          let target = Math.min(Math.floor(where * total), total - 1);
          let victim = 0;
          while (target >= written[victim]!.bytes.length) target -= written[victim++]!.bytes.length;
          if (flip && uncovered(target)) target = 20; // inside the CRC-covered part of the same batch
          const w = written[victim]!;
          const filePos = w.position + target;
          if (flip) {
            const fd = fs.openSync(w.segmentFile, "r+");
            const b = Buffer.alloc(1);
            fs.readSync(fd, b, 0, 1, filePos);
            b[0]! ^= mask;
            fs.writeSync(fd, b, 0, 1, filePos);
            fs.closeSync(fd);
          } else {
            fs.truncateSync(w.segmentFile, filePos);
          }
          const log = openLog(
            dir,
            smallConfig({ segmentBytes: 1500, indexIntervalBytes: 200 }),
            undefined,
            false,
            { recoveryPoint: 0n },
          );
          try {
            // Every batch before the damaged one survives byte for byte; nothing after it does. A cut
            // exactly on a batch boundary leaves a valid, shorter file: later segments stay (as in Kafka).
            const boundaryCut = !flip && target === 0;
            const expected = written.filter(
              (x, i) => i < victim || (boundaryCut && x.segmentFile !== w.segmentFile),
            );
            const got = readAll(log);
            expect(got.length).toBe(expected.length);
            for (let i = 0; i < expected.length; i++)
              expect(got[i]!.bytes.equals(expected[i]!.bytes)).toBe(true);
            const lastKept = expected[expected.length - 1];
            const leo = lastKept && lastKept.base > w.base ? got[got.length - 1]!.last + 1n : w.base;
            expect(log.logEndOffset).toBe(leo);
            if (!boundaryCut) expect(log.latestEpoch).toBe(victim === 0 ? -1 : 1 + ((victim - 1) >> 3));
            // The log takes appends again, and the indexes were rebuilt consistently.
            const info = await log.append(await batch(2), { leaderEpoch: 99, assignOffsets: true });
            expect(info.firstOffset).toBe(leo);
            for (const e of expected) expect(log.read(e.base, 1).firstBatchOffset).toBe(e.base);
          } finally {
            await log.close();
          }
        },
      ),
      { numRuns: Number(process.env.CRASH_RUNS ?? 25) },
    );
  });

  it("rescans only segments past the recovery point", async () => {
    const { dir, written } = await buildCrashedLog(60);
    const segs = new Set(written.map((w) => w.segmentFile));
    expect(segs.size).toBeGreaterThan(4);
    const lastSegBase = written[written.length - 1]!.base;
    // Checkpointed recovery point inside the last segment: only that segment is rescanned.
    const recoveryPoint = written.filter(
      (w) => w.segmentFile === written[written.length - 1]!.segmentFile,
    )[0]!.base;
    const log = openLog(dir, smallConfig({ segmentBytes: 1500, indexIntervalBytes: 200 }), undefined, false, {
      recoveryPoint,
    });
    expect(log.recoveredSegments).toBe(1);
    expect(readAll(log).length).toBe(60);
    expect(log.logEndOffset).toBeGreaterThan(lastSegBase);
    await log.close();
  });

  it("keeps every acknowledged append of a process killed with SIGKILL", async () => {
    const root = tmpDir();
    dirs.push(root);
    const script = path.join(import.meta.dirname, "fixtures", "append-child.ts");
    const child = spawn(process.execPath, ["--import", "tsx", script, root], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const acked: { index: number; first: bigint; last: bigint }[] = [];
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const acksWanted = 200 + Math.floor(Math.random() * 400);
    await new Promise<void>((resolve, reject) => {
      let buf = "";
      const timer = setTimeout(() => reject(new Error(`child produced too few acks: ${stderr}`)), 45_000);
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const [i, f, l] = buf.slice(0, nl).split(" ");
          acked.push({ index: Number(i), first: BigInt(f!), last: BigInt(l!) });
          buf = buf.slice(nl + 1);
          nl = buf.indexOf("\n");
        }
        if (acked.length >= acksWanted) {
          clearTimeout(timer);
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", () => {
        clearTimeout(timer);
        if (acked.length < acksWanted) reject(new Error(`child exited early: ${stderr}`));
      });
    }).finally(() => child.kill("SIGKILL"));
    await new Promise((r) =>
      child.exitCode !== null || child.signalCode !== null ? r(null) : child.on("exit", r),
    );
    expect(fs.existsSync(path.join(root, ".kafka_cleanshutdown"))).toBe(false);

    const mgr = await LogManager.open({
      logDirs: [root],
      defaults: { ...defaultLogConfig(), segmentBytes: 64 * 1024 },
    });
    try {
      const log = mgr.getLog("crash", 0)!;
      expect(log.logEndOffset).toBeGreaterThanOrEqual(acked[acked.length - 1]!.last + 1n);
      // Every batch reads cleanly to the end, and every acknowledged batch holds what was written.
      const all = readAll(log);
      const byBase = new Map(all.map((b) => [b.base, b.bytes]));
      for (const a of acked) {
        const bytes = byBase.get(a.first);
        expect(bytes, `acked batch ${a.index} at ${a.first}`).toBeDefined();
        const d = await decodeBatch(bytes!);
        expect(d.records[0]!.value!.toString()).toBe(
          `payload-${a.index}-0`.padEnd(50 + (a.index % 200), "."),
        );
        expect(d.header.baseOffset + BigInt(d.header.lastOffsetDelta)).toBe(a.last);
      }
      expect(all[all.length - 1]!.last + 1n).toBe(log.logEndOffset);
    } finally {
      await mgr.close();
    }
  });
});
