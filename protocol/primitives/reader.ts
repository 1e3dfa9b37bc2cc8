/**
 * Cursor over a Buffer with the Kafka wire primitives. Every read checks bounds and throws
 * `ProtocolDecodeError`, so a truncated or malformed frame becomes an error the network layer can
 * answer (or close the connection on) instead of a crash.
 */
export class ProtocolDecodeError extends Error {
  override name = "ProtocolDecodeError";
}

const EMPTY = Buffer.alloc(0);

export class Reader {
  offset: number;
  readonly end: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    end = buf.length,
  ) {
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end) {
      throw new ProtocolDecodeError(`need ${n} bytes at offset ${at}, have ${this.end - at}`);
    }
    this.offset = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  uint8(): number {
    return this.buf[this.need(1)]!;
  }
  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }

  /** Unsigned LEB128 varint (compact lengths, tag numbers), at most 5 bytes. */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.buf[this.need(1)]!;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    throw new ProtocolDecodeError("uvarint longer than 5 bytes");
  }

  /** Zig-zag signed varint (record fields), 32-bit. */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag signed varlong (record timestamp/offset deltas), up to 10 bytes. */
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.buf[this.need(1)]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
      shift += 7n;
    }
    throw new ProtocolDecodeError("varlong longer than 10 bytes");
  }

  /** Zig-zag varlong returned as a JS number; exact for values within 2^53. */
  varlongNumber(): number {
    return Number(this.varlong());
  }

  uuid(): Buffer {
    const at = this.need(16);
    return this.buf.subarray(at, at + 16);
  }

  raw(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }

  private utf8(n: number): string {
    const at = this.need(n);
    return this.buf.toString("utf8", at, at + n);
  }

  /** INT16-length string; -1 is null. */
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    return this.utf8(n);
  }
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new ProtocolDecodeError("non-nullable string was null");
    return s;
  }
  /** UVARINT(length+1) string; 0 is null. */
  compactNullableString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.utf8(n - 1);
  }
  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new ProtocolDecodeError("non-nullable compact string was null");
    return s;
  }
  /** INT32-length bytes; -1 is null. Returned as a view, not a copy. */
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    return this.raw(n);
  }
  bytes(): Buffer {
    return this.nullableBytes() ?? EMPTY;
  }
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    if (n === 0) return null;
    return this.raw(n - 1);
  }
  compactBytes(): Buffer {
    return this.compactNullableBytes() ?? EMPTY;
  }
  /** Array length: INT32 (-1 null) or compact UVARINT(n+1) (0 null). Guarded against absurd sizes. */
  arrayLength(compact: boolean): number {
    const n = compact ? this.uvarint() - 1 : this.int32();
    // Every element takes at least one byte, so a count beyond the remaining bytes is corrupt.
    if (n > this.remaining) throw new ProtocolDecodeError(`array length ${n} exceeds remaining bytes`);
    return n;
  }
}
