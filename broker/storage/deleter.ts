import fs from "node:fs";

/**
 * Removes the files of deleted segments (already renamed to `.deleted`) after file.delete.delay.ms,
 * as Kafka does, so readers holding a position get a grace period. Leftovers from a crash are
 * removed by the loader.
 */
export class FileDeleter {
  private readonly pending = new Map<NodeJS.Timeout, string[]>();

  schedule(files: string[], delayMs: number): void {
    if (files.length === 0) return;
    if (delayMs <= 0) {
      unlinkAll(files);
      return;
    }
    const t = setTimeout(() => {
      this.pending.delete(t);
      unlinkAll(files);
    }, delayMs);
    t.unref();
    this.pending.set(t, files);
  }

  /** Delete everything now (clean close). */
  flushAll(): void {
    for (const [t, files] of this.pending) {
      clearTimeout(t);
      unlinkAll(files);
    }
    this.pending.clear();
  }
}

function unlinkAll(files: string[]): void {
  for (const f of files) fs.rmSync(f, { force: true });
}
