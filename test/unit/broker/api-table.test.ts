import { describe, expect, it } from "vitest";
import { apiVersionsBody } from "../../../broker/api/api-versions.js";
import { handlerFor, isSupported, supportedApis } from "../../../broker/api/dispatch.js";
import { KAFKA_3_9_VERSIONS } from "../../../broker/api/kafka-3.9-versions.js";
import { decodeResponse, encodeResponse } from "../../../protocol/framing.js";
import { apiInfo } from "../../../protocol/generated/api-keys.js";

describe("advertised APIs", () => {
  it("advertises exactly the dispatch table, with Kafka 3.9's ranges", () => {
    const apis = supportedApis();
    for (const a of apis) {
      expect(handlerFor(a.apiKey)).toBeDefined();
      expect([a.minVersion, a.maxVersion]).toEqual(KAFKA_3_9_VERSIONS[a.apiKey]);
    }
    expect(apis.find((a) => a.apiKey === 0)).toEqual({ apiKey: 0, minVersion: 0, maxVersion: 11 });
    expect(apis.find((a) => a.apiKey === 1)).toEqual({ apiKey: 1, minVersion: 0, maxVersion: 17 });
    expect(apis.find((a) => a.apiKey === 2)).toEqual({ apiKey: 2, minVersion: 0, maxVersion: 9 });
    expect(apis.find((a) => a.apiKey === 3)).toEqual({ apiKey: 3, minVersion: 0, maxVersion: 12 });
    expect(isSupported(11, 0)).toBe(handlerFor(11) !== undefined);
    expect(isSupported(0, 12)).toBe(false);
  });

  it("never advertises more than the codec can encode", () => {
    for (const [key, [min, max]] of Object.entries(KAFKA_3_9_VERSIONS)) {
      const info = apiInfo(Number(key));
      expect(info, `api key ${key}`).toBeDefined();
      expect(min).toBeGreaterThanOrEqual(info!.requestVersions.min);
      expect(max).toBeLessThanOrEqual(info!.requestVersions.max);
    }
  });

  it("encodes the UNSUPPORTED_VERSION answer as a v0 body with a v0 header", () => {
    const frame = encodeResponse(18, 0, 9, apiVersionsBody(35));
    // size, correlation id, error code, then the array: no tagged-field byte after the id
    expect(frame.readInt32BE(4)).toBe(9);
    expect(frame.readInt16BE(8)).toBe(35);
    const back = decodeResponse(18, 0, frame.subarray(4)).body;
    expect(back.apiKeys.length).toBe(supportedApis().length);
    // v3 (flexible body) still uses the v0 response header
    const v3 = encodeResponse(18, 3, 9, apiVersionsBody(0));
    expect(v3.readInt16BE(8)).toBe(0);
  });
});
