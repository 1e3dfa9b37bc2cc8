/** Storage engine: partition logs in Kafka's on-disk layout. */

export { LogCleaner } from "./cleaner.js";
export * from "./clock.js";
export * from "./config.js";
export { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from "./epoch-cache.js";
export * from "./errors.js";
export { LogManager, type LogManagerOptions } from "./log-manager.js";
export * from "./partition-log.js";
