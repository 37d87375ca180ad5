import { closeSync, fstatSync, openSync, readSync } from "node:fs";
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
    private readonly lines: StoredLines,
    private readonly start: number,
    private readonly end: number,
  ) {}

  read(): Uint8Array {
    return this.lines.read(this.start, this.end);
  }
}
