import { randomBytes } from "node:crypto";

/**
 * Kafka's Uuid text form: 16 bytes as URL-safe base64 without padding (22 characters).
 * The all-zero id (ZERO_UUID) and 1 (the metadata topic's id) are reserved; like Kafka, random
 * ids never start with '-' so they are not mistaken for command-line flags.
 */
export const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";
export const METADATA_TOPIC_UUID = "AAAAAAAAAAAAAAAAAAAAAQ";

export function uuidToBytes(s: string): Buffer | null {
  if (!/^[A-Za-z0-9_-]{22}$/.test(s)) return null;
  const b = Buffer.from(s, "base64url");
  if (b.length !== 16 || b.toString("base64url") !== s) return null;
  return b;
}

export function bytesToUuid(b: Buffer): string {
  return b.toString("base64url");
}

export function isReservedUuid(s: string): boolean {
  return s === ZERO_UUID || s === METADATA_TOPIC_UUID;
}

export function randomUuid(): string {
  for (;;) {
    const s = randomBytes(16).toString("base64url");
    if (!s.startsWith("-") && !isReservedUuid(s)) return s;
  }
}
