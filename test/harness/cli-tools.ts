import { spawn } from "node:child_process";

/** Running the real command-line clients (kcat, python3) and waiting on conditions in interop tests. */

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run an external client with stdin input to completion; rejects if it cannot start or times out. */
export function runTool(cmd: string, args: string[], input = "", timeoutMs = 30_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

/** kcat's stdout; rejects when it exits non-zero. */
export async function kcat(args: string[], input = ""): Promise<string> {
  const r = await runTool("kcat", args, input);
  if (r.code !== 0) throw new Error(`kcat ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Polls `cond` every 100 ms until it holds; rejects after `timeoutMs`. */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
