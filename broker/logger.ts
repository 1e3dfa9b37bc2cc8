import pino, { type DestinationStream, type Logger } from "pino";

/**
 * The broker's logger: pino JSON lines on stdout (one object per line, easy to ship and grep),
 * or short human-readable lines when stdout is a terminal (`npm start`).
 */
const LEVELS: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO",
  40: "WARN",
  50: "ERROR",
  60: "FATAL",
};
const SKIP = new Set(["level", "time", "pid", "hostname", "name", "msg"]);

/** Format one pino JSON line for a terminal: time, level, message, then the other fields. */
export function prettyLine(json: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const time = new Date(Number(o.time)).toISOString().slice(11, 23);
  const level = (LEVELS[Number(o.level)] ?? String(o.level)).padEnd(5);
  const extra = Object.entries(o)
    .filter(([k]) => !SKIP.has(k))
    .map(([k, v]) => {
      if (k === "err" && v && typeof v === "object")
        return `err=${(v as { message?: string }).message ?? ""}`;
      return `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`;
    });
  return `${time} ${level} ${String(o.msg ?? "")}${extra.length ? `  ${extra.join(" ")}` : ""}\n`;
}

const prettyStdout: DestinationStream = {
  write(line: string) {
    process.stdout.write(prettyLine(line));
  },
};

export function createLogger(level: string, name = "gregor", pretty = process.stdout.isTTY === true): Logger {
  const opts = { name, level, base: { pid: process.pid } };
  return pretty ? pino(opts, prettyStdout) : pino(opts);
}

export type { Logger };
