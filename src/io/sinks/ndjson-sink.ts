import type { Writable } from "node:stream";
import type { AlertDocument } from "../../engine/alert.ts";
import { formatNdjson } from "./alert-formats.ts";
import type { AlertSink } from "./alert-sink.ts";
import { stillNamed } from "./file-identity.ts";
import type { OpenFile } from "./line-file.ts";
import { LineFileStream } from "./line-file-stream.ts";

/**
 * Alerts as NDJSON, one document a line, to a byte stream: stdout, or a file opened for
 * appending (a restart adds to it rather than truncating it). A write waits for the
 * stream to drain, so a slow reader slows the sink rather than filling memory.
 */
export class NdjsonSink implements AlertSink {
  private failure: Error | undefined;
  private stream: Writable;

  constructor(
    readonly name: string,
    open: () => Writable,
    /** stdout belongs to the process: closing the sink must not end it */
    private readonly ownsStream: boolean,
    /**
     * A file is opened again after a failure (a full disk that was freed, a file removed by
     * hand): without it, the first failure would fail every later write until a restart.
     */
    private readonly reopen?: () => Writable,
    /** true when the stream's file is no longer where it was opened: removed or moved away */
    private readonly detached?: (stream: Writable) => boolean,
  ) {
    this.stream = this.watched(open());
  }

  static toStdout(): NdjsonSink {
    return new NdjsonSink("stdout", () => process.stdout, false);
  }

  /** `openFile` is for tests: one whose writes fail as a full disk's do */
  static toFile(path: string, openFile?: OpenFile): NdjsonSink {
    const open = () => new LineFileStream(path, { openFile });
    const detached = (stream: Writable) => {
      const fd = (stream as LineFileStream).fd;
      return typeof fd === "number" && !stillNamed(path, fd);
    };
    return new NdjsonSink(`file:${path}`, open, true, open, detached);
  }

  /** An error after a write resolved (EPIPE, a full disk) is kept: the next write reopens a file, or fails. */
  private watched(stream: Writable): Writable {
    stream.on("error", (error) => {
      if (stream === this.stream) this.failure = error;
    });
    return stream;
  }

  write(alerts: readonly AlertDocument[]): Promise<void> {
    try {
      if (this.failure || (this.reopen && (this.stream.destroyed || this.detached?.(this.stream)))) {
        // the failed write was retried or dropped by the fanout; the next one gets a fresh stream
        if (!this.reopen) return Promise.reject(this.failure);
        this.stream.destroy();
        this.stream = this.watched(this.reopen());
        this.failure = undefined;
      }
    } catch (error) {
      return Promise.reject(error);
    }
    if (alerts.length === 0) return Promise.resolve();
    let text = "";
    for (const alert of alerts) text += formatNdjson(alert);
    const stream = this.stream;
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      stream.once("error", onError);
      const done = (error?: Error | null) => {
        stream.off("error", onError);
        if (error) reject(error);
        else resolve();
      };
      // the callback runs once the bytes are handed to the OS (or the write failed)
      stream.write(text, done);
    });
  }

  close(): Promise<void> {
    if (!this.ownsStream) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.stream.writableFinished || this.stream.destroyed) resolve();
      else this.stream.end(() => resolve());
    });
  }
}
