import { parseArgs } from "node:util";
import { describeError, KafkaClient, KafkaClientError } from "../../protocol/client/kafka-client.js";
import { readConsumerProtocolAssignment } from "../../protocol/generated/messages/ConsumerProtocolAssignment.js";
import { Reader } from "../../protocol/primitives/reader.js";
import { type CommittedOffset, type DescribedGroup, GroupAdmin } from "../group-admin.js";
import { integer, parseDateTime, planReset, type Scenario, UsageError } from "../group-reset.js";

/**
 * `gregor consumer-groups`, like kafka-consumer-groups.sh:
 *   --list [--state [STATES]]
 *   --describe (--group G... | --all-groups) [--offsets | --members [--verbose] | --state]
 *   --reset-offsets (--group G... | --all-groups) (--topic T[:P,P]... | --all-topics)
 *       (--to-earliest | --to-latest | --to-current | --to-offset N | --shift-by N | --to-datetime D)
 *       [--dry-run | --execute]
 *   --delete (--group G... | --all-groups)
 * Exit codes: 0 ok, 1 error, 2 usage.
 */
const USAGE = `usage: gregor consumer-groups --bootstrap-server HOST:PORT ACTION [options]
actions:
  --list                       list groups (--state [S,...] shows and filters by state)
  --describe                   describe --group G (repeatable) or --all-groups:
                               --offsets (default), --members [--verbose], --state
  --reset-offsets              reset committed offsets of an inactive group: --topic T[:P,...] or --all-topics,
                               one of --to-earliest --to-latest --to-current --to-offset N --shift-by N
                               --to-datetime YYYY-MM-DDTHH:mm:SS.sss[Z|+hh:mm]; --dry-run (default) or --execute
  --delete                     delete --group G or --all-groups (groups must be empty)
  --delete-offsets             delete one group's offsets of --topic T[:P,...] (topics it does not subscribe to)
other options: --timeout MS (default 5000)
`;

type Values = {
  "bootstrap-server"?: string;
  list?: boolean;
  describe?: boolean;
  "reset-offsets"?: boolean;
  delete?: boolean;
  "delete-offsets"?: boolean;
  group?: string[];
  "all-groups"?: boolean;
  topic?: string[];
  "all-topics"?: boolean;
  members?: boolean;
  offsets?: boolean;
  state?: string;
  verbose?: boolean;
  "to-earliest"?: boolean;
  "to-latest"?: boolean;
  "to-current"?: boolean;
  "to-offset"?: string;
  "shift-by"?: string;
  "to-datetime"?: string;
  "dry-run"?: boolean;
  execute?: boolean;
  timeout?: string;
};

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

/**
 * Kafka's tool accepts `--shift-by -2` and a bare `--state`; parseArgs wants `--shift-by=-2` and
 * a value, so those forms are rewritten first.
 */
function normalise(argv: string[]): string[] {
  const outArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a === "--state" && (next === undefined || next.startsWith("--"))) outArgs.push("--state=");
    else if ((a === "--shift-by" || a === "--to-offset") && next !== undefined && /^-\d+$/.test(next)) {
      outArgs.push(`${a}=${next}`);
      i++;
    } else outArgs.push(a);
  }
  return outArgs;
}

function parse(argv: string[]): Values {
  const { values, positionals } = parseArgs({
    args: normalise(argv),
    allowPositionals: true,
    options: {
      "bootstrap-server": { type: "string" },
      list: { type: "boolean" },
      describe: { type: "boolean" },
      "reset-offsets": { type: "boolean" },
      delete: { type: "boolean" },
      "delete-offsets": { type: "boolean" },
      group: { type: "string", multiple: true },
      "all-groups": { type: "boolean" },
      topic: { type: "string", multiple: true },
      "all-topics": { type: "boolean" },
      members: { type: "boolean" },
      offsets: { type: "boolean" },
      state: { type: "string" },
      verbose: { type: "boolean" },
      "to-earliest": { type: "boolean" },
      "to-latest": { type: "boolean" },
      "to-current": { type: "boolean" },
      "to-offset": { type: "string" },
      "shift-by": { type: "string" },
      "to-datetime": { type: "string" },
      "dry-run": { type: "boolean" },
      execute: { type: "boolean" },
      timeout: { type: "string" },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const v = values as Values;
  if (!v["bootstrap-server"]) throw new UsageError('Missing required argument "[bootstrap-server]"');
  const actions = [v.list, v.describe, v["reset-offsets"], v.delete, v["delete-offsets"]].filter(
    Boolean,
  ).length;
  if (actions !== 1) {
    throw new UsageError(
      "Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets",
    );
  }
  if ((v.describe || v["reset-offsets"] || v.delete) && !v.group?.length && !v["all-groups"]) {
    throw new UsageError("Option --group or --all-groups is required with this action");
  }
  if (v["delete-offsets"] && (v.group?.length !== 1 || !v.topic?.length)) {
    throw new UsageError("Option --delete-offsets needs exactly one --group and at least one --topic");
  }
  if (v.timeout !== undefined && !/^\d+$/.test(v.timeout))
    throw new UsageError("--timeout must be a number of ms");
  return v;
}

// ---- tables --------------------------------------------------------------------------------------

/** Left-aligned columns; each at least `min` wide, like Kafka's tool (15 unless noted). */
function table(header: string[], rows: string[][], mins: number[] = []): string {
  const widths = header.map((h, i) =>
    Math.max(mins[i] ?? 15, h.length, ...rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join(" ")
      .trimEnd();
  return `${[header, ...rows].map(line).join("\n")}\n`;
}

// ---- helpers -------------------------------------------------------------------------------------

function assignmentOf(
  g: DescribedGroup,
  m: DescribedGroup["members"][number],
): { topic: string; partition: number }[] {
  if (g.protocolType !== "consumer" || m.memberAssignment.length < 2) return [];
  try {
    const r = new Reader(m.memberAssignment);
    const version = r.int16();
    const a = readConsumerProtocolAssignment(r, Math.min(Math.max(version, 0), 3));
    return a.assignedPartitions.flatMap((t) =>
      t.partitions.map((partition) => ({ topic: t.topic, partition })),
    );
  } catch {
    return [];
  }
}

async function groupsOf(admin: GroupAdmin, v: Values): Promise<string[]> {
  if (v["all-groups"]) return (await admin.listGroups()).map((g) => g.groupId);
  return [...new Set(v.group ?? [])];
}

const key = (topic: string, partition: number) => `${topic}:${partition}`;

// ---- actions -------------------------------------------------------------------------------------

async function list(admin: GroupAdmin, v: Values): Promise<number> {
  if (v.state === undefined) {
    for (const g of await admin.listGroups()) out(`${g.groupId}\n`);
    return 0;
  }
  const states = v.state
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const groups = await admin.listGroups(states);
  out(
    table(
      ["GROUP", "STATE"],
      groups.map((g) => [g.groupId, g.state]),
      [25, 15],
    ),
  );
  return 0;
}

async function describe(admin: GroupAdmin, v: Values): Promise<number> {
  let status = 0;
  for (const group of await groupsOf(admin, v)) {
    const g = await admin.describeGroup(group);
    if (g.groupState === "Dead") {
      err(`\nError: Consumer group '${group}' does not exist.\n`);
      status = 1;
      continue;
    }
    if (v.state !== undefined) {
      const coord = await admin.locate(group);
      out("\n");
      out(
        table(
          ["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"],
          [
            [
              group,
              `${coord.conn.address} (${coord.nodeId})`,
              g.protocolData,
              g.groupState,
              String(g.members.length),
            ],
          ],
          [15, 25, 20, 20],
        ),
      );
      continue;
    }
    if (g.groupState === "PreparingRebalance" || g.groupState === "CompletingRebalance") {
      err(`\nWarning: Consumer group '${group}' is rebalancing.\n`);
    }
    if (v.members) {
      if (g.members.length === 0) out(`\nConsumer group '${group}' has no active members.\n`);
      else out(`\n${membersTable(g, v.verbose ?? false)}`);
      continue;
    }
    out(await offsetsTable(admin, g));
  }
  return status;
}

function membersTable(g: DescribedGroup, verbose: boolean): string {
  const header = [
    "GROUP",
    "CONSUMER-ID",
    ...(verbose ? ["GROUP-INSTANCE-ID"] : []),
    "HOST",
    "CLIENT-ID",
    "#PARTITIONS",
  ];
  if (verbose) header.push("ASSIGNMENT");
  const rows = g.members.map((m) => {
    const a = assignmentOf(g, m);
    const row = [
      g.groupId,
      m.memberId,
      ...(verbose ? [m.groupInstanceId ?? "-"] : []),
      m.clientHost,
      m.clientId,
      String(a.length),
    ];
    if (verbose) {
      const byTopic = new Map<string, number[]>();
      for (const p of a) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      row.push(
        [...byTopic]
          .sort(([x], [y]) => x.localeCompare(y))
          .map(([t, ps]) => `${t}(${ps.sort((x, y) => x - y).join(",")})`)
          .join(", ") || "-",
      );
    }
    return row;
  });
  return table(header, rows);
}

async function offsetsTable(admin: GroupAdmin, g: DescribedGroup): Promise<string> {
  const committed = await admin.fetchOffsets(g.groupId);
  const owner = new Map<string, DescribedGroup["members"][number]>();
  for (const m of g.members) for (const p of assignmentOf(g, m)) owner.set(key(p.topic, p.partition), m);
  const parts = new Map<string, { topic: string; partition: number }>();
  for (const c of committed) parts.set(key(c.topic, c.partition), c);
  for (const m of g.members) for (const p of assignmentOf(g, m)) parts.set(key(p.topic, p.partition), p);
  const sorted = [...parts.values()].sort(
    (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
  );
  const ends = sorted.length > 0 ? await admin.listOffsets(sorted, -1n) : new Map<string, bigint | null>();
  const byKey = new Map(committed.map((c) => [key(c.topic, c.partition), c]));
  const rows = sorted.map((p) => {
    const k = key(p.topic, p.partition);
    const cur = byKey.get(k)?.offset;
    const end = ends.get(k) ?? null;
    const m = owner.get(k);
    const lag = cur !== undefined && end !== null ? String(end > cur ? end - cur : 0n) : "-";
    return [
      g.groupId,
      p.topic,
      String(p.partition),
      cur !== undefined ? String(cur) : "-",
      end !== null ? String(end) : "-",
      lag,
      m?.memberId ?? "-",
      m?.clientHost ?? "-",
      m?.clientId ?? "-",
    ];
  });
  const note = g.members.length === 0 ? `\nConsumer group '${g.groupId}' has no active members.\n` : "";
  const header = [
    "GROUP",
    "TOPIC",
    "PARTITION",
    "CURRENT-OFFSET",
    "LOG-END-OFFSET",
    "LAG",
    "CONSUMER-ID",
    "HOST",
    "CLIENT-ID",
  ];
  return `${note}\n${table(header, rows, [15, 15, 10, 15, 15, 15, 15, 15])}`;
}

// ---- reset ---------------------------------------------------------------------------------------

function scenarioOf(v: Values): Scenario {
  const picked: Scenario[] = [];
  if (v["to-earliest"]) picked.push({ kind: "earliest" });
  if (v["to-latest"]) picked.push({ kind: "latest" });
  if (v["to-current"]) picked.push({ kind: "current" });
  if (v["to-offset"] !== undefined)
    picked.push({ kind: "offset", n: integer("--to-offset", v["to-offset"]) });
  if (v["shift-by"] !== undefined) picked.push({ kind: "shift", n: integer("--shift-by", v["shift-by"]) });
  if (v["to-datetime"] !== undefined)
    picked.push({ kind: "datetime", ts: BigInt(parseDateTime(v["to-datetime"])) });
  if (picked.length !== 1) {
    throw new UsageError(
      "Option --reset-offsets needs exactly one of --to-earliest, --to-latest, --to-current, --to-offset, --shift-by, --to-datetime",
    );
  }
  return picked[0]!;
}

/** The partitions named by --topic (T or T:0,1) or --all-topics (those the group has offsets for). */
async function targetPartitions(
  admin: GroupAdmin,
  v: Values,
  committed: CommittedOffset[],
): Promise<{ topic: string; partition: number }[]> {
  if (v["all-topics"]) return committed.map((c) => ({ topic: c.topic, partition: c.partition }));
  const specs = (v.topic ?? []).map((t) => {
    const [topic, parts] = t.split(":");
    if (!topic) throw new UsageError(`invalid --topic '${t}'`);
    return { topic, partitions: parts?.split(",").map((p) => Number(integer("--topic partition", p))) };
  });
  const md = await admin.client.metadata([...new Set(specs.map((s) => s.topic))]);
  const outParts: { topic: string; partition: number }[] = [];
  for (const s of specs) {
    const t = md.topics.find((x) => x.name === s.topic);
    if (t?.errorCode !== 0) throw new KafkaClientError(`Topic '${s.topic}' does not exist`);
    const all = t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b);
    for (const p of s.partitions ?? all) {
      if (!all.includes(p)) throw new KafkaClientError(`Partition ${s.topic}-${p} does not exist`);
      outParts.push({ topic: s.topic, partition: p });
    }
  }
  return outParts;
}

async function reset(admin: GroupAdmin, v: Values): Promise<number> {
  const scenario = scenarioOf(v);
  if (!v.topic?.length && !v["all-topics"])
    throw new UsageError("Option --reset-offsets needs --topic or --all-topics");
  if (v["dry-run"] && v.execute)
    throw new UsageError("Option --dry-run and --execute cannot be used together");
  if (!v["dry-run"] && !v.execute) {
    err(
      "WARN: No action will be performed as the --execute option is missing. " +
        "Add --dry-run to keep this behaviour explicitly, or --execute to apply the new offsets.\n",
    );
  }
  let status = 0;
  for (const group of await groupsOf(admin, v)) {
    const g = await admin.describeGroup(group);
    if (g.groupState !== "Empty" && g.groupState !== "Dead") {
      err(
        `\nError: Assignments can only be reset if the group '${group}' is inactive, but the current state is ${g.groupState}.\n`,
      );
      status = 1;
      continue;
    }
    const committed = await admin.fetchOffsets(group);
    const parts = (await targetPartitions(admin, v, committed)).sort(
      (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
    );
    if (parts.length === 0) {
      out(`\nConsumer group '${group}' has no committed offsets to reset.\n`);
      continue;
    }
    const earliest = await admin.listOffsets(parts, -2n);
    const latest = await admin.listOffsets(parts, -1n);
    const atTime = scenario.kind === "datetime" ? await admin.listOffsets(parts, scenario.ts) : null;
    const planned = planReset(parts, scenario, {
      earliest,
      latest,
      atTime,
      committed: new Map(committed.map((c) => [key(c.topic, c.partition), c.offset])),
    });
    if (v.execute) await admin.commitOffsets(group, planned);
    out(
      `\n${table(
        ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"],
        planned.map((p) => [group, p.topic, String(p.partition), String(p.offset)]),
        [30, 30, 10, 15],
      )}`,
    );
  }
  return status;
}

async function deleteOffsets(admin: GroupAdmin, v: Values): Promise<number> {
  const group = v.group![0]!;
  const parts = await targetPartitions(admin, v, []);
  const r = await admin.deleteOffsets(group, parts);
  if (r.errorCode !== 0) {
    err(`Error: Deleting offsets of group '${group}' failed: ${describeError(r.errorCode)}\n`);
    return 1;
  }
  const rows = r.partitions.map((p) => [
    p.topic,
    String(p.partition),
    p.errorCode === 0 ? "Successful" : `Error: ${describeError(p.errorCode)}`,
  ]);
  out(`\n${table(["TOPIC", "PARTITION", "STATUS"], rows, [30, 15, 15])}`);
  return r.partitions.some((p) => p.errorCode !== 0) ? 1 : 0;
}

async function remove(admin: GroupAdmin, v: Values): Promise<number> {
  const groups = await groupsOf(admin, v);
  const failed: string[] = [];
  for (const group of groups) {
    const code = await admin.deleteGroup(group);
    if (code !== 0) failed.push(`* Group '${group}' could not be deleted due to: ${describeError(code)}`);
  }
  const ok = groups.filter((g) => !failed.some((f) => f.includes(`'${g}'`)));
  if (ok.length > 0)
    out(`Deletion of requested consumer groups (${ok.map((g) => `'${g}'`).join(", ")}) was successful.\n`);
  if (failed.length > 0) {
    err(`Error: Deletion of some consumer groups failed:\n${failed.join("\n")}\n`);
    return 1;
  }
  return 0;
}

export async function run(argv: string[]): Promise<number> {
  let v: Values;
  try {
    v = parse(argv);
  } catch (e) {
    err(`gregor consumer-groups: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  let client: KafkaClient | undefined;
  try {
    const timeoutMs = Number(v.timeout ?? 5000);
    client = await KafkaClient.connect(v["bootstrap-server"]!, {
      clientId: "gregor-consumer-groups",
      timeoutMs,
    });
    const admin = new GroupAdmin(client, timeoutMs);
    if (v.list) return await list(admin, v);
    if (v.describe) return await describe(admin, v);
    if (v["reset-offsets"]) return await reset(admin, v);
    if (v["delete-offsets"]) return await deleteOffsets(admin, v);
    return await remove(admin, v);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`gregor consumer-groups: ${e.message}\n${USAGE}`);
      return 2;
    }
    err(`Error: ${(e as Error).message}\n`);
    return 1;
  } finally {
    client?.close();
  }
}
