/**
 * Splits a TCP byte stream into Kafka frames (4-byte big-endian size, then `size` bytes).
 * A frame that fits in one chunk is a zero-copy view; one that spans chunks is copied once, when
 * complete (never re-concatenated per chunk). Nothing is allocated up front from the announced
 * size, so a client announcing huge frames costs only the bytes it actually sends.
 */
export class FrameSizeError extends Error {
  override name = "FrameSizeError";
}

export class FrameReader {
  private sizeBytes = Buffer.alloc(4);
  private sizeFilled = 0;
  /** Size of the frame being collected, or -1 between frames. */
  private frameSize = -1;
  private parts: Buffer[] = [];
  private frameFilled = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Bytes of an incomplete frame held (for tests and limits). */
  get partial(): number {
    return this.sizeFilled + this.frameFilled;
  }

  /** Feed a chunk; calls `onFrame` for every completed frame. Throws FrameSizeError on a bad size. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.frameSize < 0) {
        if (this.sizeFilled === 0 && chunk.length - at >= 4) {
          const size = this.checkSize(chunk.readInt32BE(at));
          at += 4;
          if (chunk.length - at >= size) {
            onFrame(chunk.subarray(at, at + size));
            at += size;
            continue;
          }
          this.frameSize = size;
        } else {
          while (this.sizeFilled < 4 && at < chunk.length) this.sizeBytes[this.sizeFilled++] = chunk[at++]!;
          if (this.sizeFilled < 4) return;
          this.sizeFilled = 0;
          this.frameSize = this.checkSize(this.sizeBytes.readInt32BE(0));
        }
        this.frameFilled = 0;
        this.parts = [];
      }
      const n = Math.min(this.frameSize - this.frameFilled, chunk.length - at);
      // Node hands each socket read a fresh buffer, so keeping views is safe; one copy at the end.
      this.parts.push(chunk.subarray(at, at + n));
      this.frameFilled += n;
      at += n;
      if (this.frameFilled === this.frameSize) {
        const f = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.frameSize);
        this.frameSize = -1;
        this.parts = [];
        this.frameFilled = 0;
        onFrame(f);
      }
    }
  }

  private checkSize(size: number): number {
    // The smallest request header (v0) is api key, version and correlation id: 8 bytes.
    if (size < 8) throw new FrameSizeError(`invalid frame size ${size}`);
    if (size > this.maxFrameBytes) {
      throw new FrameSizeError(
        `frame of ${size} bytes exceeds socket.request.max.bytes (${this.maxFrameBytes})`,
      );
    }
    return size;
  }
}
