/**
 * Java `.properties` reading, enough for server.properties: `key=value` or `key: value` or
 * `key value`, `#`/`!` comments, backslash line continuation and the usual escapes.
 */
export class PropertiesSyntaxError extends Error {
  override name = "PropertiesSyntaxError";
}

function unescapeJava(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, c: string) => {
    if (c.length === 5) return String.fromCharCode(Number.parseInt(c.slice(1), 16));
    switch (c) {
      case "t":
        return "\t";
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "f":
        return "\f";
      default:
        return c;
    }
  });
}

/** Parse properties text into an ordered map; later keys win, as in java.util.Properties. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    // An odd number of trailing backslashes continues the logical line.
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, "");
    }
    const m = /^((?:\\.|[^\\=: \t\f])*)[ \t\f]*(?:[=:][ \t\f]*)?(.*)$/.exec(line);
    if (!m) throw new PropertiesSyntaxError(`cannot parse line ${i + 1}: ${line}`);
    out.set(unescapeJava(m[1]!), unescapeJava(m[2]!));
  }
  return out;
}

/** Serialize in the plain form Kafka's own tools write (no escaping needed for our values). */
export function formatProperties(entries: Iterable<[string, string]>, header?: string): string {
  const lines: string[] = [];
  if (header) lines.push(`#${header}`);
  for (const [k, v] of entries) lines.push(`${k}=${v}`);
  return lines.join("\n") + "\n";
}
