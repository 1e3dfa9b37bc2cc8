/**
 * Broker throughput and latency against a same-run baseline (bench/broker-baseline.ts: a Node TCP
 * server that takes the same frames and appends them to a file). The load generator is
 * bench/broker-rdkafka.c on librdkafka, compiled here with gcc.
 *
 *   npx tsx bench/broker.ts [--quick]      writes bench/results/broker.md
 *
 * Targets: produce >= 60% and consume >= 80% of the baseline's throughput.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT, startBroker } from "../test/harness/broker-process.js";

const quick = process.argv.includes("--quick");
const NOTES_MARKER = "<!-- notes: kept across runs -->";
const work = mkdtempSync(join(tmpdir(), "gregor-bench-"));
const rdload = join(work, "rdload");

interface Result {
  msgs: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
}

function compile(): void {
  execFileSync("gcc", ["-O2", "-o", rdload, join(REPO_ROOT, "bench/broker-rdkafka.c"), "-l:librdkafka.so.1"]);
}

function load(args: string[]): Result {
  const out = execFileSync(rdload, args, {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    timeout: 300_000,
  });
  return JSON.parse(out.trim().split("\n").pop()!) as Result;
}

async function startBaseline(): Promise<{ bootstrap: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "bench/broker-baseline.ts", "0", join(work, "baseline")],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.on("data", (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`baseline exited ${code}`)));
  });
  return { bootstrap: `127.0.0.1:${port}`, stop: () => child.kill("SIGTERM") };
}

interface Scenario {
  name: string;
  kind: "produce" | "consume" | "latency";
  size: number;
  acks: string;
  count: number;
  rate?: number;
}

const scale = quick ? 0.2 : 1;
const SCENARIOS: Scenario[] = [
  { name: "produce 100 B, acks=1", kind: "produce", size: 100, acks: "1", count: 1_000_000 * scale },
  { name: "produce 100 B, acks=all", kind: "produce", size: 100, acks: "all", count: 1_000_000 * scale },
  { name: "produce 1 KiB, acks=1", kind: "produce", size: 1024, acks: "1", count: 200_000 * scale },
  { name: "produce 1 KiB, acks=all", kind: "produce", size: 1024, acks: "all", count: 200_000 * scale },
  { name: "consume 100 B", kind: "consume", size: 100, acks: "1", count: 1_000_000 * scale },
  { name: "consume 1 KiB", kind: "consume", size: 1024, acks: "1", count: 200_000 * scale },
  {
    name: "latency 1 KiB @ 1000/s, acks=1",
    kind: "latency",
    size: 1024,
    acks: "1",
    count: 5000 * scale,
    rate: 1000,
  },
  {
    name: "latency 1 KiB @ 1000/s, acks=all",
    kind: "latency",
    size: 1024,
    acks: "all",
    count: 5000 * scale,
    rate: 1000,
  },
];

const topicFor = (s: Scenario, run: number) =>
  `${s.kind === "consume" ? "produce" : s.kind}-${s.size}-${s.acks}-r${run}`;

function runScenario(s: Scenario, bootstrap: string, run: number): Result {
  const topic = topicFor(s, run);
  if (s.kind === "produce")
    return load(["produce", bootstrap, topic, String(s.count), String(s.size), s.acks]);
  if (s.kind === "consume") return load(["consume", bootstrap, topic, String(s.count)]);
  // Warm up: create the topic and connections before timing.
  load(["produce", bootstrap, topic, "100", String(s.size), s.acks]);
  return load(["latency", bootstrap, topic, String(s.count), String(s.size), s.acks, String(s.rate)]);
}

const fmt = (r: Result) =>
  `${Math.round(r.msgsPerSec).toLocaleString("en-US")} msg/s, ${r.mbPerSec.toFixed(1)} MB/s`;

async function main(): Promise<void> {
  compile();
  const gregor = await startBroker();
  const baseline = await startBaseline();
  const rows: string[] = [];
  const verdicts: string[] = [];
  const runs = quick ? 1 : 3;
  try {
    for (const s of SCENARIOS) {
      let base: Result | undefined;
      let greg: Result | undefined;
      const better = (a: Result, b: Result | undefined) =>
        !b || (s.kind === "latency" ? (a.p99Ms ?? 0) < (b.p99Ms ?? 0) : a.msgsPerSec > b.msgsPerSec);
      for (let run = 0; run < runs; run++) {
        // Alternate who goes first, so neither always meets the other's leftovers (page cache, GC).
        const g0 = run % 2 === 1 ? runScenario(s, gregor.bootstrap, run) : undefined;
        const b = runScenario(s, baseline.bootstrap, run);
        const g = g0 ?? runScenario(s, gregor.bootstrap, run);
        if (better(b, base)) base = b;
        if (better(g, greg)) greg = g;
      }
      if (!base || !greg) throw new Error(`no result for ${s.name}`);
      if (s.kind === "latency") {
        rows.push(
          `| ${s.name} | p50 ${base.p50Ms!.toFixed(2)} ms, p99 ${base.p99Ms!.toFixed(2)} ms | p50 ${greg.p50Ms!.toFixed(2)} ms, p99 ${greg.p99Ms!.toFixed(2)} ms | - | - |`,
        );
      } else {
        const ratio = greg.msgsPerSec / base.msgsPerSec;
        const target = s.kind === "produce" ? 0.6 : 0.8;
        const ok = ratio >= target;
        rows.push(
          `| ${s.name} | ${fmt(base)} | ${fmt(greg)} | ${(ratio * 100).toFixed(0)}% | ${ok ? "met" : "MISSED"} (>= ${target * 100}%) |`,
        );
        verdicts.push(`${s.name}: ${ok ? "met" : "missed"}`);
      }
      process.stdout.write(`${rows[rows.length - 1]}\n`);
    }
  } finally {
    baseline.stop();
    await gregor.stop();
    gregor.cleanup();
  }
  const md = [
    "# Broker benchmark",
    "",
    "Generated by `npx tsx bench/broker.ts` (the table is rewritten on every run; notes below the marker are kept). Load generator: bench/broker-rdkafka.c",
    "(librdkafka, one producer or consumer, one partition, linger.ms=5 for throughput, 0 for latency).",
    "Baseline: bench/broker-baseline.ts, a Node TCP server answering the same requests by appending",
    "the produced bytes to a file and serving fetches from it, measured in the same run on the same",
    `machine (${cpus().length} cores, shared with other work, so absolute numbers are noisy).`,
    `Best of ${runs} run(s) per cell${quick ? " (--quick: reduced counts)" : ""}; ${new Date().toISOString()}.`,
    "",
    "| scenario | baseline | gregor | gregor / baseline | target |",
    "| --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
  // Hand-written notes below the marker survive regeneration.
  const file = join(REPO_ROOT, "bench/results/broker.md");
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  const notes = old.includes(NOTES_MARKER) ? old.slice(old.indexOf(NOTES_MARKER)) : `${NOTES_MARKER}\n`;
  writeFileSync(file, `${md}\n${notes}`);
  process.stdout.write(`\n${verdicts.join("\n")}\nwrote bench/results/broker.md\n`);
}

main()
  .catch((err: unknown) => {
    process.stderr.write(`bench/broker: ${(err as Error).message}\n`);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
