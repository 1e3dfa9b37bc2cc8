/** Header version selection and whole-frame encode/decode, checked against hand-built bytes. */
import { describe, expect, it } from "vitest";
import {
  API_KEYS,
  ApiKey,
  apiInfo,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  ProtocolDecodeError,
  requestHeaderVersion,
  responseHeaderVersion,
  UnsupportedRequestError,
} from "../../../protocol/index.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("header versions", () => {
  it.each([
    // [api, version, request header, response header]
    ["ApiVersions", 3, 2, 0],
    ["ApiVersions", 4, 2, 0],
    ["ApiVersions", 2, 1, 0],
    ["Produce", 9, 2, 1],
    ["Produce", 8, 1, 0],
    ["Metadata", 8, 1, 0],
    ["Metadata", 9, 2, 1],
    ["Fetch", 11, 1, 0],
    ["Fetch", 12, 2, 1],
    ["ControlledShutdown", 0, 0, 0],
    ["ControlledShutdown", 1, 1, 0],
    ["ControlledShutdown", 3, 2, 1],
    ["SaslHandshake", 1, 1, 0],
    ["InitProducerId", 2, 2, 1],
    ["FindCoordinator", 3, 2, 1],
    ["JoinGroup", 5, 1, 0],
    ["JoinGroup", 6, 2, 1],
  ] as const)("%s v%i: request header v%i, response header v%i", (api, v, rq, rs) => {
    expect(requestHeaderVersion(ApiKey[api], v)).toBe(rq);
    expect(responseHeaderVersion(ApiKey[api], v)).toBe(rs);
  });

  it("keeps ClientId an INT16-length string in request header v2", () => {
    const frame = encodeRequest(ApiKey.ApiVersions, 3, 42, "abc", {
      clientSoftwareName: "x",
      clientSoftwareVersion: "1",
    });
    // size | key 18 | v3 | corr 42 | clientId INT16 3 "abc" | header tags 0 | body: compact "x", "1", tags 0
    expect(frame).toEqual(hex("00000013 0012 0003 0000002a 0003 616263 00 02 78 02 31 00"));
  });

  it("answers ApiVersions v3 with a v0 response header (no tagged-field byte)", () => {
    const frame = encodeResponse(ApiKey.ApiVersions, 3, 5, {
      errorCode: 0,
      apiKeys: [{ apiKey: 0, minVersion: 0, maxVersion: 11 }],
      throttleTimeMs: 0,
      supportedFeatures: [],
      finalizedFeaturesEpoch: -1n,
      finalizedFeatures: [],
      zkMigrationReady: false,
    });
    expect(frame).toEqual(hex("00000013 00000005 0000 02 0000 0000 000b 00 00000000 00"));
  });

  it("writes a v1 response header (tagged-field byte) for flexible versions", () => {
    const frame = encodeResponse(ApiKey.InitProducerId, 2, 7, {
      throttleTimeMs: 0,
      errorCode: 0,
      producerId: 1000n,
      producerEpoch: 0,
    });
    expect(frame).toEqual(hex("00000016 00000007 00 00000000 0000 00000000000003e8 0000 00"));
  });
});

describe("decodeRequest", () => {
  it("decodes a hand-built Metadata v1 request", () => {
    const frame = hex("0003 0001 00000009 0001 63 00000001 0001 74");
    const d = decodeRequest(frame);
    expect(d.apiKey).toBe(3);
    expect(d.header).toEqual({ requestApiKey: 3, requestApiVersion: 1, correlationId: 9, clientId: "c" });
    expect(d.body).toMatchObject({ topics: [{ name: "t", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }] });
  });

  it("decodes a null client id and a null topic list (Metadata v1 = all topics)", () => {
    const d = decodeRequest(hex("0003 0001 00000001 ffff ffffffff"));
    expect(d.header.clientId).toBeNull();
    expect(d.body).toMatchObject({ topics: null });
  });

  it("reads ControlledShutdown v0 with a v0 header (no client id)", () => {
    const d = decodeRequest(hex("0007 0000 00000003 00000005"));
    expect(d.header.correlationId).toBe(3);
    expect(d.body).toMatchObject({ brokerId: 5 });
  });

  it("round-trips uuids in Kafka's string form", () => {
    const frame = encodeRequest(ApiKey.Metadata, 12, 1, "c", {
      topics: [{ topicId: "AQIDBAUGBwgJCgsMDQ4PEA", name: null }],
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    expect(frame.includes(hex("0102030405060708090a0b0c0d0e0f10"))).toBe(true);
    const d = decodeRequest(frame.subarray(4));
    expect(d.body).toMatchObject({ topics: [{ topicId: "AQIDBAUGBwgJCgsMDQ4PEA", name: null }] });
  });

  it("reports a too-new ApiVersions request with its correlation id, after reading the v2 header", () => {
    const frame = hex("0012 0063 0000004d 0003 616263 00 02 78 02 31 00");
    try {
      decodeRequest(frame);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnsupportedRequestError);
      const u = e as UnsupportedRequestError;
      expect([u.reason, u.apiKey, u.apiVersion, u.correlationId, u.clientId]).toEqual([
        "version",
        18,
        99,
        77,
        "abc",
      ]);
    }
  });

  it("reports an unknown api key as such", () => {
    expect(() => decodeRequest(hex("7fff 0000 00000001 0000"))).toThrow(UnsupportedRequestError);
  });

  it("reports a truncated frame as a decode error", () => {
    expect(() => decodeRequest(hex("0000 0009 00000001 0000 02"))).toThrow(ProtocolDecodeError);
  });
});

describe("client side", () => {
  it("decodeResponse reads what encodeResponse wrote, Produce v11 with tagged fields", () => {
    const body = {
      responses: [
        {
          name: "t",
          partitionResponses: [
            {
              index: 0,
              errorCode: 0,
              baseOffset: 5n,
              logAppendTimeMs: -1n,
              logStartOffset: 0n,
              recordErrors: [],
              errorMessage: null,
              currentLeader: { leaderId: 1, leaderEpoch: 2 },
            },
          ],
        },
      ],
      throttleTimeMs: 0,
      nodeEndpoints: [{ nodeId: 1, host: "h", port: 9, rack: null }],
    };
    const frame = encodeResponse(ApiKey.Produce, 11, 3, body);
    expect(decodeResponse(ApiKey.Produce, 11, frame.subarray(4))).toEqual({ correlationId: 3, body });
  });

  it("refuses to encode a version outside the spec's range", () => {
    expect(() =>
      encodeRequest(ApiKey.Produce, 12, 1, "c", {
        transactionalId: null,
        acks: 1,
        timeoutMs: 1,
        topicData: [],
      }),
    ).toThrow(UnsupportedRequestError);
  });
});

describe("api key table", () => {
  it("lists every api key once, sorted, with consistent ranges", () => {
    const keys = API_KEYS.map((a) => a.apiKey);
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.length).toBeGreaterThan(80);
    for (const a of API_KEYS) {
      expect(a.requestVersions.min).toBeLessThanOrEqual(a.requestVersions.max);
      if (a.flexibleVersions !== null)
        expect(a.flexibleVersions).toBeGreaterThanOrEqual(a.requestVersions.min);
    }
  });

  it("knows Produce, Fetch and ApiVersions as the specs define them", () => {
    expect(apiInfo(0)).toMatchObject({
      name: "Produce",
      requestVersions: { min: 0, max: 11 },
      flexibleVersions: 9,
      deprecatedVersions: { min: 0, max: 6 },
    });
    expect(apiInfo(1)).toMatchObject({
      name: "Fetch",
      requestVersions: { min: 0, max: 17 },
      flexibleVersions: 12,
    });
    expect(apiInfo(18)).toMatchObject({
      name: "ApiVersions",
      requestVersions: { min: 0, max: 4 },
      flexibleVersions: 3,
    });
    expect(apiInfo(7)).toMatchObject({ name: "ControlledShutdown" });
    expect(apiInfo(9999)).toBeUndefined();
  });
});
