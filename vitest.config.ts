import { defineConfig } from "vitest/config";

// Two cores: keep workers at two, and give interop tests (real broker processes) room.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", "./test/harness/summary-reporter.ts"],
  },
});
