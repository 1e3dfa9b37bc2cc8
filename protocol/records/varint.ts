/**
 * Number-based zig-zag varints for the record hot path. The shared Reader/Writer go through
 * bigint for varlongs; records only need 64-bit values in the rare out-of-range case, so these
 * stay on doubles (exact below 2^53) and fall back to bigint only when a value is larger.
 */

/** Position-carrying cursor; one per batch, so record parsing allocates nothing else. */
export interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
}

export class VarintError extends Error {
  override name = "VarintError";
}

export function readUVarint(c: Cursor): number {
  const { buf, end } = c;
  let pos = c.pos;
  let result = 0;
  let shift = 0;
  while (shift < 35) {
    if (pos >= end) throw new VarintError("varint runs past the end of the record data");
    const b = buf[pos++]!;
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      c.pos = pos;
      return result >>> 0;
    }
    shift += 7;
  }
  throw new VarintError("varint longer than 5 bytes");
}

export function readVarint(c: Cursor): number {
  const u = readUVarint(c);
  return (u >>> 1) ^ -(u & 1);
}

/** Zig-zag varlong. Returns a number when exact, otherwise a bigint. */
export function readVarlong(c: Cursor): number | bigint {
  const { buf, end } = c;
  const start = c.pos;
  let pos = start;
  let result = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) throw new VarintError("varlong runs past the end of the record data");
    const b = buf[pos++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) {
      c.pos = pos;
      if (result <= Number.MAX_SAFE_INTEGER) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
      return bigVarlong(buf, start, pos);
    }
    mul *= 128;
  }
  throw new VarintError("varlong longer than 10 bytes");
}

function bigVarlong(buf: Buffer, from: number, to: number): bigint {
  let u = 0n;
  let shift = 0n;
  for (let p = from; p < to; p++, shift += 7n) u |= BigInt(buf[p]! & 0x7f) << shift;
  u = BigInt.asUintN(64, u);
  return BigInt.asIntN(64, (u >> 1n) ^ -(u & 1n));
}

export function uvarintSize(v: number): number {
  let u = v >>> 0;
  let n = 1;
  while (u >= 0x80) {
    u >>>= 7;
    n++;
  }
  return n;
}

export function varintSize(v: number): number {
  return uvarintSize((v << 1) ^ (v >> 31));
}

/** Zig-zag of a safe integer as an unsigned double. */
const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
/** Beyond this magnitude the zig-zag value (about 2|v|) passes 2^53 and doubles lose bits. */
const MAX_EXACT_ZIGZAG_INPUT = 2 ** 52;

export function varlongSize(v: number): number {
  if (Math.abs(v) >= MAX_EXACT_ZIGZAG_INPUT) return varlongSizeBig(BigInt(v));
  let u = zigzag(v);
  let n = 1;
  while (u >= 128) {
    u = Math.floor(u / 128);
    n++;
  }
  return n;
}

export function writeUVarint(buf: Buffer, pos: number, v: number): number {
  let u = v >>> 0;
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

export function writeVarint(buf: Buffer, pos: number, v: number): number {
  return writeUVarint(buf, pos, (v << 1) ^ (v >> 31));
}

export function writeVarlong(buf: Buffer, pos: number, v: number): number {
  if (Math.abs(v) >= MAX_EXACT_ZIGZAG_INPUT) return writeVarlongBig(buf, pos, BigInt(v));
  let u = zigzag(v);
  while (u >= 128) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}

const zigzagBig = (v: bigint): bigint => BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));

export function varlongSizeBig(v: bigint): number {
  let u = zigzagBig(v);
  let n = 1;
  while (u >= 128n) {
    u >>= 7n;
    n++;
  }
  return n;
}

export function writeVarlongBig(buf: Buffer, pos: number, v: bigint): number {
  let u = zigzagBig(v);
  while (u >= 128n) {
    buf[pos++] = Number(u & 0x7fn) | 0x80;
    u >>= 7n;
  }
  buf[pos++] = Number(u);
  return pos;
}
