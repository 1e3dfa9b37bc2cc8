import { spawn } from "node:child_process";

/** Run an external client (kcat, python3) with stdin input; resolves with its output. */
export function runTool(
  cmd: string,
  args: string[],
  input = "",
  timeoutMs = 30_000,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

export async function kcat(args: string[], input = ""): Promise<string> {
  const r = await runTool("kcat", args, input);
  if (r.code !== 0) throw new Error(`kcat ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}
