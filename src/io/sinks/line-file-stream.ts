import { dirname } from "node:path";
import { Writable } from "node:stream";
import { makeDirectory } from "../make-directory.ts";
import { LineFile, type OpenFile } from "./line-file.ts";

/**
 * A `LineFile` as a byte stream, for the NDJSON sink: a failed write leaves no half line for
 * the next one to be glued to, which a plain file stream does. Each write is one or more
 * whole lines.
 */
export class LineFileStream extends Writable {
  /** the open file's descriptor (null until open): the sink looks whether the file is still where it was */
  fd: number | null = null;
  private file: LineFile | undefined;

  constructor(
    private readonly path: string,
    private readonly openFile?: OpenFile,
  ) {
    super();
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
    this.file!.append(chunk, false).then(() => callback(), callback);
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
