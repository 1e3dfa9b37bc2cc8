import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Starts a real broker as a child process (`gregor broker start`) on 127.0.0.1 with an
 * ephemeral port and a temp data dir, and waits for its "broker started" log line, which
 * carries the bound ports. For interop tests: real clients talk to a real process.
 */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface BrokerProcessOptions {
  /** Data directory (reuse one to restart a broker on its old data). Default: a new temp dir. */
  dataDir?: string;
  /** Extra `--override k=v` settings (keep gregor.log.level at info or below: readiness is a log line). */
  overrides?: Record<string, string>;
  /** Use a server.properties file instead of the embedded default (no auto-format then). */
  configFile?: string;
  startTimeoutMs?: number;
}

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly bootstrap: string;
  readonly metricsPort: number | null;
  readonly dataDir: string;
  readonly clusterId: string;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  /** SIGTERM and wait for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL (crash) and wait for exit. */
  kill9(): Promise<void>;
  /** Remove the data dir (only if the harness created it). */
  cleanup(): void;
}

function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

/** Run `gregor <args>` to completion (for storage format and friends). */
export function runGregor(
  args: string[],
  timeoutMs = 30_000,
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "cli/main.ts", ...args], {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gregor ${args.join(" ")} timed out`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

export async function startBroker(opts: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "gregor-broker-"));
  const overrides: Record<string, string> = {
    listeners: "PLAINTEXT://127.0.0.1:0",
    "gregor.metrics.listener": "http://127.0.0.1:0",
    ...(opts.configFile ? {} : { "log.dirs": dataDir }),
    ...opts.overrides,
  };
  const args = ["--import", "tsx", "cli/main.ts", "broker", "start"];
  if (opts.configFile) args.push("--config", opts.configFile);
  for (const [k, v] of Object.entries(overrides)) args.push("--override", `${k}=${v}`);
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const started = new Promise<{ port: number; metricsPort: number | null; clusterId: string }>((res, rej) => {
    let buffered = "";
    const timer = setTimeout(
      () => rej(new Error(`broker did not start in time; output:\n${out}`)),
      opts.startTimeoutMs ?? 30_000,
    );
    child.stdout!.on("data", (d: Buffer) => {
      const s = d.toString();
      out += s;
      buffered += s;
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
        if (!line.includes('"broker started"')) continue;
        const o = JSON.parse(line) as { listeners: string[]; metricsPort: number | null; clusterId: string };
        const port = Number(/:(\d+)$/.exec(o.listeners[0]!)![1]);
        clearTimeout(timer);
        res({ port, metricsPort: o.metricsPort, clusterId: o.clusterId });
      }
    });
    child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`broker exited with code ${code} before starting; output:\n${out}`));
    });
  });
  const info = await started.catch(async (err: unknown) => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await waitExit(child);
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  return {
    child,
    port: info.port,
    bootstrap: `127.0.0.1:${info.port}`,
    metricsPort: info.metricsPort,
    dataDir,
    clusterId: info.clusterId,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      const code = await waitExit(child);
      clearTimeout(timer);
      return code;
    },
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await waitExit(child);
    },
    cleanup() {
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
