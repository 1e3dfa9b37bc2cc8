/** Per-partition producer state: idempotence, transactions, LSO, snapshots and the aborted-txn index. */
export * from "./batch-info.js";
export * from "./entry.js";
export * from "./partition-state.js";
export * from "./recovery.js";
export * from "./snapshot.js";
export * from "./state-manager.js";
export * from "./txn-index.js";
