#!/usr/bin/env node
/**
 * `gregor` entry point: dispatches to one module per subcommand, loaded lazily so a command only
 * pays for what it uses. Each module exports `run(argv): Promise<number>` (the exit code).
 */
import { COMMANDS } from "./commands/index.js";

export interface CliCommand {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(22)} ${c.summary}`);
  return `usage: gregor <command> [options]\n\ncommands:\n${lines.join("\n")}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage());
    return name ? 0 : 1;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`gregor: unknown command '${name}'\n\n${usage()}`);
    return 1;
  }
  const mod = await cmd.load();
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`gregor: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
