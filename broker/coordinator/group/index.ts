/** Public surface of the classic group coordinator. */
export { DEFAULT_GROUP_CONFIG, type GroupCoordinatorConfig, resolveGroupConfig } from "./config.js";
export { GroupCoordinator, type GroupCoordinatorOptions } from "./coordinator.js";
export { javaStringHashCode, kafkaAbs, partitionFor } from "./partitioner.js";
export { type DecodedRecord, decodeRecord } from "./records.js";
export { type Cancel, type Clock, ManualTime, type Scheduler, systemTime, type Time } from "./time.js";
export type * from "./types.js";
