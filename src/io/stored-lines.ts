import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import type { SpillCodec } from "../eql/correlate/spill.ts";
import type { StoredText } from "../eql/event-text.ts";

/**
 * The lines of a plain file under scan, held as their place in it rather than their bytes: a
 * batch scan holds every event a sequence term matches until the input ends (to put them in
 * time order), and over millions of events their bytes would not fit in memory; their places
 * do, and the few lines an alert needs are read again. The file may grow (a log still being
 * written: the scan reads what it held at the start) but must stay the same file, no shorter:
 * a file replaced or truncated since is an error at the read, never another line taken for
 * the event.
 */
export class StoredLines {
  constructor(
    readonly path: string,
    private readonly file: { size: number; dev: number; ino: number },
  ) {}

  /** The line at `[start, end)` of the file. */
  line(start: number, end: number): StoredText {
    return new StoredLine(this, start, end);
  }

  read(start: number, end: number): Uint8Array {
    const fd = openSync(this.path, "r");
    try {
      const now = fstatSync(fd);
      if (now.dev !== this.file.dev || now.ino !== this.file.ino || now.size < this.file.size) {
        throw new Error(
          `${this.path} was replaced or truncated while it was being scanned: the lines held for sequences cannot be read again`,
        );
      }
      const bytes = Buffer.allocUnsafe(end - start);
      for (let filled = 0; filled < bytes.length; ) {
        const n = readSync(fd, bytes, filled, bytes.length - filled, start + filled);
        if (n === 0) throw new Error(`${this.path} ended before byte ${end}`);
        filled += n;
      }
      return bytes;
    } finally {
      closeSync(fd);
    }
  }
}

class StoredLine implements StoredText {
  constructor(
    readonly lines: StoredLines,
    readonly start: number,
    readonly end: number,
  ) {}

  read(): Uint8Array {
    return this.lines.read(this.start, this.end);
  }
}

/**
 * Stored lines as plain values, for a batch that writes what it holds to disk: the file (its
 * place in this codec's list: the same StoredLines object, with what it checks, reads it back)
 * and where in it.
 */
export function storedLineCodec(): SpillCodec<StoredText> {
  const files: StoredLines[] = [];
  const indexOf = new Map<StoredLines, number>();
  return {
    encode(text) {
      if (!(text instanceof StoredLine)) throw new TypeError("only stored lines are written by their place");
      let index = indexOf.get(text.lines);
      if (index === undefined) {
        index = files.push(text.lines) - 1;
        indexOf.set(text.lines, index);
      }
      return [index, text.start, text.end];
    },
    decode(value) {
      const [index, start, end] = value as [number, number, number];
      return files[index].line(start, end);
    },
  };
}
