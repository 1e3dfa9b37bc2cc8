import type { ApiKeyNumber } from "../../protocol/generated/dispatch.js";
import type { ApiHandler } from "./context.js";
import { KAFKA_3_9_VERSIONS } from "./kafka-3.9-versions.js";

/**
 * The table behind dispatch: API key -> handler. Kept apart from dispatch.ts (which imports
 * every handler) so handlers such as ApiVersions can read it without an import cycle.
 */
export interface SupportedApi {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

const table = new Map<number, ApiHandler>();
/** Add (or replace) a handler; its advertised range comes from KAFKA_3_9_VERSIONS. */
export function registerHandler<K extends ApiKeyNumber>(h: ApiHandler<K>): void {
  if (!KAFKA_3_9_VERSIONS[h.apiKey]) throw new Error(`no Kafka 3.9 version range for api key ${h.apiKey}`);
  table.set(h.apiKey, h as unknown as ApiHandler);
}

export function handlerFor(apiKey: number): ApiHandler | undefined {
  return table.get(apiKey);
}

/** Advertised APIs, sorted by key. */
export function supportedApis(): SupportedApi[] {
  return [...table.keys()]
    .sort((a, b) => a - b)
    .map((apiKey) => {
      const [minVersion, maxVersion] = KAFKA_3_9_VERSIONS[apiKey]!;
      return { apiKey, minVersion, maxVersion };
    });
}

export function isSupported(apiKey: number, version: number): boolean {
  if (!table.has(apiKey)) return false;
  const [min, max] = KAFKA_3_9_VERSIONS[apiKey]!;
  return version >= min && version <= max;
}
