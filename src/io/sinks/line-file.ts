import { type FileHandle, open } from "node:fs/promises";

/** How a file sink opens its file; tests give one whose writes fail as a full disk's do. */
export type OpenFile = (path: string, flags: string) => Promise<FileHandle>;

const NEWLINE = Buffer.from("\n");

/**
 * A file that NDJSON lines are appended to. A write that fails part-way (a full disk after
 * some bytes) leaves half a line at the end, and the next write, the same alerts retried or
 * the next ones, would be glued to it: one line no reader can parse, and the alert in it lost
 * to them. So a failed write is cut back to the size the file had before it; where that fails
 * too, or a crash left a half line, the next write starts with a line break.
 */
export class LineFile {
  private constructor(
    readonly handle: FileHandle,
    /** the bytes known to be there; undefined after a failed write that could not be cut back */
    private size: number | undefined,
    private torn: boolean,
  ) {}

  static async open(path: string, openFile: OpenFile = open): Promise<LineFile> {
    // read as well as append: the last byte says whether the file ends mid-line (a file that
    // may only be written is written to, as before, unchecked)
    const handle = await openFile(path, "a+").catch((error: NodeJS.ErrnoException) =>
      error.code === "EACCES" ? openFile(path, "a") : Promise.reject(error),
    );
    try {
      const end = await endOf(handle);
      return new LineFile(handle, end.size, end.torn ?? false);
    } catch (error) {
      await handle.close().catch(() => {});
      throw error;
    }
  }

  get fd(): number {
    return this.handle.fd;
  }

  /** The file's size, as far as this sink knows it: a rotation is decided on it. */
  get bytes(): number {
    return this.size ?? 0;
  }

  /**
   * Appends whole lines; when it fails, the file is as it was before, or ends the half line
   * before the next write. With `keepWritten`, a failed write keeps the whole lines it wrote:
   * for a writer that will not write them again (a scan), not for one that retries (a sink).
   */
  async append(lines: Buffer, sync: boolean, keepWritten = false): Promise<void> {
    if (this.size === undefined) {
      const end = await endOf(this.handle);
      this.size = end.size;
      // unread, it is taken to end mid-line: the write that could not be cut back left bytes, most likely
      this.torn = end.torn ?? true;
    }
    const before = this.size;
    const bytes = this.torn ? Buffer.concat([NEWLINE, lines]) : lines;
    try {
      await this.handle.appendFile(bytes);
      if (sync) await this.handle.datasync();
    } catch (error) {
      await this.cutBack(keepWritten ? await this.wholeLinesEnd(before, bytes) : before);
      throw error;
    }
    this.size = before + bytes.length;
    this.torn = false;
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** Where the whole lines of `bytes` that reached the file end (it held `before` bytes before them). */
  private async wholeLinesEnd(before: number, bytes: Buffer): Promise<number> {
    const written = await this.handle.stat().then(
      ({ size }) => Math.min(size - before, bytes.length),
      () => 0,
    );
    return written > 0 ? before + bytes.lastIndexOf(NEWLINE[0], written - 1) + 1 : before;
  }

  private async cutBack(size: number): Promise<void> {
    try {
      await this.handle.truncate(size);
    } catch {
      // how much of the write is there is unknown: the file is looked at again before the next one
      this.size = undefined;
    }
  }
}

/** The file's size, and whether its last line is cut short (no line break after it); undefined when it cannot be read. */
async function endOf(handle: FileHandle): Promise<{ size: number; torn: boolean | undefined }> {
  const { size } = await handle.stat();
  if (size === 0) return { size, torn: false };
  const last = Buffer.alloc(1);
  const { bytesRead } = await handle.read(last, 0, 1, size - 1).catch(() => ({ bytesRead: 0 }));
  return { size, torn: bytesRead === 1 ? last[0] !== NEWLINE[0] : undefined };
}
