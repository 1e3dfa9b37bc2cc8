/**
 * Helpers shared by every generated codec. The generator copies this file verbatim (with the
 * generated-file header) to protocol/generated/runtime.ts, so generated code never imports from
 * protocol/codegen and the copy stays covered by the drift test.
 */
import { ProtocolDecodeError, type Reader } from "../primitives/reader.js";

export { ProtocolDecodeError };

/** A field, message or API version that this codec cannot encode or decode. */
export class UnsupportedVersionError extends Error {
  override name = "UnsupportedVersionError";
}

/** An API key that does not exist in the message specs. */
export class UnsupportedApiKeyError extends Error {
  override name = "UnsupportedApiKeyError";
  constructor(readonly apiKey: number) {
    super(`unknown api key ${apiKey}`);
  }
}

/** Kafka's Uuid.ZERO_UUID in its string form. */
export const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";

/** Shared empty buffer used as the default of bytes fields; never written into. */
export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

/** Reads a 16-byte uuid as Kafka's Uuid.toString (URL-safe base64, no padding, 22 chars). */
export function readUuid(r: Reader): string {
  const at = r.offset;
  r.raw(16);
  return r.buf.toString("base64url", at, at + 16);
}

/** Converts a Kafka Uuid string back to its 16 bytes; anything else is an error, not garbage. */
export function uuidBytes(s: string): Buffer {
  const b = Buffer.from(s, "base64url");
  if (b.length !== 16 || s.length !== 22) throw new RangeError(`invalid uuid ${JSON.stringify(s)}`);
  return b;
}

/** Skips a whole tagged-field section (used where a struct declares no tagged fields). */
export function skipTaggedFields(r: Reader): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    r.uvarint();
    r.raw(r.uvarint());
  }
}

/** Guards a value that is null in a version where the field is not nullable. */
export function nonNull<T>(v: T | null, field: string): T {
  if (v === null) throw new UnsupportedVersionError(`field ${field} is not nullable in this version`);
  return v;
}

/** A non-default value in a field the target version cannot carry. */
export function fieldNotInVersion(field: string, version: number): never {
  throw new UnsupportedVersionError(`field ${field} cannot be written at version ${version}`);
}

export function versionOutOfRange(message: string, version: number): never {
  throw new UnsupportedVersionError(`${message} does not support version ${version}`);
}

export function nullArray(field: string): never {
  throw new ProtocolDecodeError(`non-nullable field ${field} was null`);
}

/** Structural equality over generated values (used only for default checks of struct fields). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}
