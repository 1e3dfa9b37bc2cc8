/** The generator's spec handling and the tagged-field rules of the generated readers. */
import { describe, expect, it } from "vitest";
import { parseVersions, stripComments } from "../../../protocol/codegen/spec.js";
import { readApiVersionsRequest } from "../../../protocol/generated/messages/ApiVersionsRequest.js";
import {
  defaultFetchResponse,
  readFetchResponse,
  writeFetchResponse,
} from "../../../protocol/generated/messages/FetchResponse.js";
import { Reader } from "../../../protocol/primitives/reader.js";
import { Writer } from "../../../protocol/primitives/writer.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("spec parsing", () => {
  it("strips // comments but not // inside strings", () => {
    const text = '{ // comment\n "about": "see http://kafka.apache.org // not a comment", "a": 1 // end\n}';
    expect(JSON.parse(stripComments(text))).toEqual({
      about: "see http://kafka.apache.org // not a comment",
      a: 1,
    });
  });

  it("parses version ranges", () => {
    expect(parseVersions("3+")).toEqual({ lo: 3, hi: Number.POSITIVE_INFINITY });
    expect(parseVersions("0-7")).toEqual({ lo: 0, hi: 7 });
    expect(parseVersions("5")).toEqual({ lo: 5, hi: 5 });
    expect(parseVersions("none")).toBeNull();
    expect(parseVersions(undefined)).toBeNull();
  });
});

describe("tagged fields on read", () => {
  it("skips unknown tags", () => {
    // ApiVersionsRequest v3: compact "x", compact "1", then 2 tagged fields: tag 99 (3 bytes), tag 7 (1 byte).
    const r = new Reader(hex("02 78 02 31 02 63 03 616263 07 01 ff"));
    expect(readApiVersionsRequest(r, 3)).toEqual({ clientSoftwareName: "x", clientSoftwareVersion: "1" });
    expect(r.remaining).toBe(0);
  });

  it("treats a known tag outside its tagged versions as unknown and never writes it there", () => {
    const body = {
      ...defaultFetchResponse(),
      nodeEndpoints: [{ nodeId: 1, host: "h", port: 9, rack: null }],
    };
    const w16 = new Writer();
    writeFetchResponse(w16, 16, body);
    const bytes16 = w16.finish();
    // The same trailing tag section (tag 0 = NodeEndpoints) is read at v16 but skipped at v12.
    expect(readFetchResponse(new Reader(bytes16), 16).nodeEndpoints).toEqual(body.nodeEndpoints);
    const r = new Reader(bytes16);
    expect(readFetchResponse(r, 12).nodeEndpoints).toEqual([]);
    expect(r.remaining).toBe(0);
    // NodeEndpoints is not ignorable: writing it at v12 is an error, not a silent drop.
    expect(() => writeFetchResponse(new Writer(), 12, body)).toThrow(/cannot be written at version 12/);
  });

  it("omits tagged fields that hold their default", () => {
    const w = new Writer();
    writeFetchResponse(w, 16, defaultFetchResponse());
    // throttle 0, error 0, session 0, responses [] (compact 01), tags: 0
    expect(w.finish()).toEqual(hex("00000000 0000 00000000 01 00"));
  });
});
