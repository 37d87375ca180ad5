import { dirname } from "node:path";
import { Writable } from "node:stream";
import { makeDirectory } from "../make-directory.ts";
import { LineFile, type OpenFile } from "./line-file.ts";

/**
 * A `LineFile` as a byte stream, for the NDJSON sink and `scan --output`: a failed write leaves
 * no half line at the end of the file, which a plain file stream does. Each write is one or more
 * whole lines (or whole alerts, in scan's other formats).
 */
export class LineFileStream extends Writable {
  /** the open file's descriptor (null until open): the sink looks whether the file is still where it was */
  fd: number | null = null;
  private file: LineFile | undefined;

  private readonly openFile: OpenFile | undefined;
  /** a failed write keeps the whole lines it wrote (LineFile.append): for a writer that does not retry */
  private readonly keepWritten: boolean;

  constructor(
    private readonly path: string,
    options: { openFile?: OpenFile; keepWritten?: boolean } = {},
  ) {
    super();
    this.openFile = options.openFile;
    this.keepWritten = options.keepWritten ?? false;
  }

  override _construct(callback: (error?: Error | null) => void): void {
    try {
      // its directory removed by hand is made again, as a rotated alerts file's is
      makeDirectory(dirname(this.path));
    } catch (error) {
      callback(error as Error);
      return;
    }
    LineFile.open(this.path, this.openFile).then((file) => {
      this.file = file;
      this.fd = file.fd;
      callback();
    }, callback);
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.file!.append(chunk, false, this.keepWritten).then(() => callback(), callback);
  }

  /** What waited while a write was in progress, in one write: a scan writes alerts one at a time. */
  override _writev(
    chunks: Array<{ chunk: Buffer; encoding: BufferEncoding }>,
    callback: (error?: Error | null) => void,
  ): void {
    const lines = Buffer.concat(chunks.map(({ chunk }) => chunk));
    this.file!.append(lines, false, this.keepWritten).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.release().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release().then(
      () => callback(error),
      () => callback(error),
    );
  }

  private async release(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }
}
