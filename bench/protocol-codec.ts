/**
 * Codec throughput: decode + encode of a Produce request carrying a 1 MiB batch and of a Fetch
 * response with 8 partitions x 128 KiB of records, against a plain Buffer copy of the same bytes
 * measured in the same run. Run: `npx tsx bench/protocol-codec.ts`; writes
 * bench/results/protocol-codec.md.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from "../protocol/framing.js";
import { ApiKey } from "../protocol/generated/api-keys.js";
import type { FetchResponse } from "../protocol/generated/messages/FetchResponse.js";
import type { ProduceRequest } from "../protocol/generated/messages/ProduceRequest.js";
import { buildBatch } from "../protocol/records/index.js";

const MiB = 1024 * 1024;

interface Result {
  name: string;
  bytes: number;
  opsPerSec: number;
  mbPerSec: number;
}

interface Case {
  name: string;
  bytes: number;
  fn: () => unknown;
}

/** Ops/s of one timed slice of `ms` milliseconds. */
function slice(c: Case, ms: number): number {
  let ops = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 5; i++) c.fn();
    ops += 5;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

/**
 * The machine is shared and noisy: cases run interleaved in several rounds and each keeps its
 * best round, so a burst of load from elsewhere does not land on one case only.
 */
function run(cases: Case[], rounds = 9, ms = 200): Result[] {
  for (const c of cases) for (let i = 0; i < 20; i++) c.fn(); // warm-up: let the JIT settle
  const best = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) best.set(c.name, Math.max(best.get(c.name) ?? 0, slice(c, ms)));
  }
  return cases.map((c) => {
    const ops = best.get(c.name)!;
    return { name: c.name, bytes: c.bytes, opsPerSec: ops, mbPerSec: (ops * c.bytes) / MiB };
  });
}

function copy(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  b.copy(out);
  return out;
}

async function records(total: number, recordSize: number, seed: number): Promise<Buffer> {
  const value = Buffer.alloc(recordSize, seed);
  const n = Math.floor(total / (recordSize + 20));
  return buildBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`key-${i}`), value })),
    baseTimestamp: 1_700_000_000_000n,
    now: () => 1_700_000_000_000n,
  });
}

const mk = (name: string, bytes: number, fn: () => unknown): Case => ({ name, bytes, fn });

async function main(): Promise<void> {
  const produceBatch = await records(MiB, 1000, 1);
  const produce: ProduceRequest = {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: "bench", partitionData: [{ index: 0, records: produceBatch }] }],
  };
  const produceFrame = encodeRequest(ApiKey.Produce, 9, 1, "bench", produce);

  const parts = await Promise.all(Array.from({ length: 8 }, (_, i) => records(MiB / 8, 1000, i)));
  const fetch: FetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: "bench",
        topicId: "AAAAAAAAAAAAAAAAAAAAAA",
        partitions: parts.map((recordsBuf, i) => ({
          partitionIndex: i,
          errorCode: 0,
          highWatermark: 1000n,
          lastStableOffset: 1000n,
          logStartOffset: 0n,
          divergingEpoch: { epoch: -1, endOffset: -1n },
          currentLeader: { leaderId: -1, leaderEpoch: -1 },
          snapshotId: { endOffset: -1n, epoch: -1 },
          abortedTransactions: [],
          preferredReadReplica: -1,
          records: recordsBuf,
        })),
      },
    ],
    nodeEndpoints: [],
  };
  const fetchFrame = encodeResponse(ApiKey.Fetch, 12, 1, fetch);

  const cases: Case[] = [];
  const p = produceFrame.length;
  cases.push(mk("copy: Buffer.from(produce frame)", p, () => Buffer.from(produceFrame)));
  cases.push(mk("copy: allocUnsafe + copy (produce frame)", p, () => copy(produceFrame)));
  cases.push(mk("produce v9: decodeRequest", p, () => decodeRequest(produceFrame.subarray(4))));
  cases.push(mk("produce v9: encodeRequest", p, () => encodeRequest(ApiKey.Produce, 9, 1, "bench", produce)));
  cases.push(
    mk("produce v9: encodeRequest (explicit size hint)", p, () =>
      encodeRequest(ApiKey.Produce, 9, 1, "bench", produce, p),
    ),
  );
  const f = fetchFrame.length;
  cases.push(mk("copy: Buffer.from(fetch frame)", f, () => Buffer.from(fetchFrame)));
  cases.push(mk("copy: allocUnsafe + copy (fetch frame)", f, () => copy(fetchFrame)));
  cases.push(
    mk("fetch v12: decodeResponse", f, () => decodeResponse(ApiKey.Fetch, 12, fetchFrame.subarray(4))),
  );
  cases.push(mk("fetch v12: encodeResponse", f, () => encodeResponse(ApiKey.Fetch, 12, 1, fetch)));
  cases.push(
    mk("fetch v12: encodeResponse (explicit size hint)", f, () =>
      encodeResponse(ApiKey.Fetch, 12, 1, fetch, f),
    ),
  );

  const results = run(cases);
  // Ratios are against the faster of the two copies, measured in this run.
  const baseline = (name: string) =>
    results
      .filter((r) => r.name.startsWith("copy") && r.name.includes(name))
      .reduce((a, b) => (a.opsPerSec >= b.opsPerSec ? a : b));
  const rows = results.map((r) => {
    const base = baseline(r.name.includes("fetch") ? "fetch" : "produce");
    return `| ${r.name} | ${(r.bytes / MiB).toFixed(2)} | ${r.opsPerSec.toFixed(0)} | ${r.mbPerSec.toFixed(0)} | ${(r.opsPerSec / base.opsPerSec).toFixed(2)}x |`;
  });
  const table = [
    "| case | frame MiB | ops/s | MB/s | ops/s vs faster copy |",
    "|---|---|---|---|---|",
    ...rows,
  ].join("\n");
  console.log(table);
  const out = join(dirname(fileURLToPath(import.meta.url)), "results", "protocol-codec.md");
  writeFileSync(
    out,
    [
      "# Protocol codec benchmark",
      "",
      `Run: \`npx tsx bench/protocol-codec.ts\` on ${new Date().toISOString()}, Node ${process.version},` +
        " on the shared 2-core dev machine (other processes running; compare ratios, not absolute numbers).",
      "",
      "Baseline: a plain copy of the same frame bytes (`Buffer.from(frame)` and `allocUnsafe` + `copy`),",
      "measured in the same run; ratios are against the faster of the two.",
      "Decode keeps `records` as zero-copy views into the frame; encode copies them once into the output",
      "(framing sizes the output from the records for Produce requests and Fetch responses).",
      "",
      table,
      "",
      "Reading: decode cost does not grow with the record bytes (records stay views), so it is hundreds",
      "of times faster than copying the frame once. Encode is one output allocation plus one copy of the",
      "records, i.e. copy speed up to the noise of this shared machine (copies alone vary 2-4x between",
      "runs here); the explicit size hint shows the automatic sizing already avoids regrowth.",
      "",
    ].join("\n"),
  );
}

await main();
