import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import type { AlertDocument } from "../../engine/alert.ts";
import { formatNdjson } from "./alert-formats.ts";
import type { AlertSink } from "./alert-sink.ts";

/**
 * Alerts as NDJSON, one document a line, to a byte stream: stdout, or a file opened for
 * appending (a restart adds to it rather than truncating it). A write waits for the
 * stream to drain, so a slow reader slows the sink rather than filling memory.
 */
export class NdjsonSink implements AlertSink {
  private failure: Error | undefined;

  constructor(
    readonly name: string,
    private readonly stream: Writable,
    /** stdout belongs to the process: closing the sink must not end it */
    private readonly ownsStream: boolean,
  ) {
    // An error after a write resolved (EPIPE, a full disk) fails the next write.
    stream.on("error", (error) => {
      this.failure = error;
    });
  }

  static toStdout(): NdjsonSink {
    return new NdjsonSink("stdout", process.stdout, false);
  }

  static toFile(path: string): NdjsonSink {
    return new NdjsonSink(`file:${path}`, createWriteStream(path, { flags: "a" }), true);
  }

  write(alerts: readonly AlertDocument[]): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (alerts.length === 0) return Promise.resolve();
    let text = "";
    for (const alert of alerts) text += formatNdjson(alert);
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.stream.once("error", onError);
      const done = (error?: Error | null) => {
        this.stream.off("error", onError);
        if (error) reject(error);
        else resolve();
      };
      // the callback runs once the bytes are handed to the OS (or the write failed)
      this.stream.write(text, done);
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
