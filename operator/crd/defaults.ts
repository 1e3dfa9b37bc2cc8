/** Defaults the schema declares, applied in code too (an API server may not default). */
import type { Listener, NodePool } from "./schema.js";

export const DEFAULT_POOLS: NodePool[] = [{ name: "combined", roles: ["broker", "controller"], replicas: 3 }];
export const DEFAULT_LISTENERS: Listener[] = [{ name: "plain", port: 9092, type: "internal", tls: false }];
