/**
 * NDJSON lines packed into large Buffers: one `write` per megabyte instead of one per event, and no
 * per-batch string join (events are flat strings, copied once, straight into the chunk).
 */
/** Node's Buffer has `utf8Write`, without `write()`'s argument juggling (untyped in @types/node). */
type FastBuffer = Buffer & { utf8Write(text: string, offset: number): number };

export class ChunkWriter {
  private buffer: Buffer;
  private position = 0;

  constructor(private readonly chunkBytes = 1 << 20) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
  }

  get pendingBytes(): number {
    return this.position;
  }

  /** Appends a line and a newline; returns a full chunk to write when the current one filled up. */
  add(line: string): Buffer | undefined {
    const room = line.length * 3 + 1;
    let full: Buffer | undefined;
    if (this.position + room > this.buffer.length) {
      full = this.take();
      if (room > this.buffer.length) this.buffer = Buffer.allocUnsafe(room);
    }
    this.position += (this.buffer as FastBuffer).utf8Write(line, this.position);
    this.buffer[this.position++] = 10;
    return full;
  }

  /** The bytes gathered so far (a chunk that is never written to again), or undefined if none. */
  take(): Buffer | undefined {
    if (this.position === 0) return undefined;
    const chunk = this.buffer.subarray(0, this.position);
    this.buffer = Buffer.allocUnsafe(this.chunkBytes);
    this.position = 0;
    return chunk;
  }
}
