import { statfsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ErrorCode } from "../../protocol/errors/index.js";
import type {
  DescribeLogDirsResponse,
  DescribeLogDirsResponseDescribeLogDirsResult,
  DescribeLogDirsResponseDescribeLogDirsTopic,
} from "../../protocol/generated/messages/DescribeLogDirsResponse.js";
import { adminLog } from "./admin-common.js";
import type { ApiHandler, BrokerServices } from "./context.js";

/**
 * DescribeLogDirs: for every log.dirs entry, the partitions stored there with their size on disk.
 * Offset lag (how far a future replica trails) is always 0: no replica moves between dirs here.
 * v4 adds the dir's total and usable bytes.
 */
function diskSpace(dir: string): { totalBytes: bigint; usableBytes: bigint } {
  try {
    const s = statfsSync(dir, { bigint: true });
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}

/** Requested partitions per topic; null means every partition of every topic. */
function requested(
  req: { topics: { topic: string; partitions: number[] }[] | null },
  broker: BrokerServices,
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const image = broker.controller.image;
  if (req.topics === null) {
    for (const t of image.topicsByName.values())
      out.set(
        t.name,
        [...t.partitions.keys()].sort((a, b) => a - b),
      );
    return out;
  }
  for (const t of req.topics) out.set(t.topic, [...(out.get(t.topic) ?? []), ...t.partitions]);
  return out;
}

export const describeLogDirsHandler: ApiHandler<35> = {
  apiKey: 35,
  handle(req, _ctx, broker): DescribeLogDirsResponse {
    const dirs = broker.config.logDirs.map((d) => resolve(d));
    const byDir = new Map<string, Map<string, DescribeLogDirsResponseDescribeLogDirsTopic>>(
      dirs.map((d) => [d, new Map()]),
    );
    for (const [topic, partitions] of requested(req, broker)) {
      for (const p of new Set(partitions)) {
        const log = adminLog(broker, topic, p);
        if (!log) continue;
        const topics = byDir.get(dirname(resolve(log.dir)));
        if (!topics) continue;
        let entry = topics.get(topic);
        if (!entry) {
          entry = { name: topic, partitions: [] };
          topics.set(topic, entry);
        }
        entry.partitions.push({
          partitionIndex: p,
          partitionSize: BigInt(log.sizeInBytes),
          offsetLag: 0n,
          isFutureKey: false,
        });
      }
    }
    const results: DescribeLogDirsResponseDescribeLogDirsResult[] = dirs.map((d) => ({
      errorCode: ErrorCode.NONE,
      logDir: d,
      topics: [...byDir.get(d)!.values()],
      ...diskSpace(d),
    }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
};
