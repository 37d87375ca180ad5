import { createReadStream } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import { makeDirectory } from "../make-directory.ts";
import { readDeadLetter } from "./dead-letter.ts";
import { type WebhookOptions, WebhookSink, type WebhookTarget } from "./webhook.ts";

export interface ResendOptions {
  /** dead-letter files, read and never changed */
  files: readonly string[];
  /** the webhooks to send to: a dead letter goes to the one its `sink` names */
  targets: readonly WebhookTarget[];
  /**
   * Where every line not delivered goes: refused again (a new dead letter), for no configured
   * webhook, unreadable, or not sent because the resend was stopped (the line as it was).
   * Created only when something is written to it.
   */
  unsentPath: string;
  logger: Logger;
  /** stops the resend: what is not delivered by then goes to `unsentPath` */
  signal?: AbortSignal;
  /** count and sort the dead letters, send nothing */
  dryRun?: boolean;
  /** each unreadable line, as `file:line:column: reason` */
  onProblem?: (message: string) => void;
  /** passed on to each webhook (the retry timeout; tests shorten the backoff) */
  webhook?: Partial<Omit<WebhookOptions, "url" | "name" | "headers" | "deadLetterPath" | "logger">>;
}

export interface SinkResend {
  /** dead letters read for this webhook */
  read: number;
  delivered: number;
  /** refused again, or still failing at the retry deadline: new dead letters in the unsent file */
  refused: number;
  /** not sent: the resend was stopped first */
  interrupted: number;
  /** no configured webhook has this name */
  configured: boolean;
}

export interface ResendReport {
  bySink: Map<string, SinkResend>;
  /** lines that are not dead letters */
  unreadable: number;
  /** lines written to the unsent file */
  unsent: number;
  /** the signal stopped it */
  stopped: boolean;
}

/** Alerts handed to the webhooks before waiting for them: below a webhook's 10,000-alert queue. */
const IN_FLIGHT = 1000;

/**
 * Sends the alerts of webhook dead-letter files again, each to the webhook it was meant for, with
 * the webhook's usual batching, retries and Idempotency-Key (receivers de-duplicate on
 * `kibana.alert.uuid`, so sending an alert twice is safe; losing one is not). Every line of the
 * files ends delivered or in the unsent file, so the files can be deleted afterwards.
 */
export async function resendDeadLetters(options: ResendOptions): Promise<ResendReport> {
  const report: ResendReport = { bySink: new Map(), unreadable: 0, unsent: 0, stopped: false };
  const unsent = new UnsentFile(options.unsentPath);
  const sinks = new Map<string, WebhookSink>();
  if (!options.dryRun)
    for (const target of options.targets)
      sinks.set(
        target.name,
        new WebhookSink({
          ...options.webhook,
          ...target,
          deadLetterPath: options.unsentPath,
          logger: options.logger,
          // a stop gives up on what waits at once: it goes to the unsent file
          closeTimeoutMs: 0,
        }),
      );
  const configured = new Set(options.targets.map((t) => t.name));
  const sinkCount = (name: string): SinkResend => {
    let counts = report.bySink.get(name);
    if (!counts) {
      counts = { read: 0, delivered: 0, refused: 0, interrupted: 0, configured: configured.has(name) };
      report.bySink.set(name, counts);
    }
    return counts;
  };
  const stop = () => {
    report.stopped = true;
    for (const sink of sinks.values()) void sink.close();
  };
  options.signal?.addEventListener("abort", stop, { once: true });
  let inFlight: Promise<void>[] = [];
  try {
    if (options.signal?.aborted) stop();
    for (const file of options.files) {
      let lineNumber = 0;
      const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of lines) {
        lineNumber++;
        if (line.trim() === "") continue;
        const read = readDeadLetter(line);
        if ("problem" in read) {
          report.unreadable++;
          options.onProblem?.(`${file}:${lineNumber}:${read.column}: ${read.problem}`);
          unsent.keep(line);
          continue;
        }
        const counts = sinkCount(read.letter.sink);
        counts.read++;
        const sink = sinks.get(read.letter.sink);
        if (options.dryRun) continue;
        if (!sink || report.stopped) {
          if (sink) counts.interrupted++;
          unsent.keep(line);
          continue;
        }
        inFlight.push(
          sink.write([read.letter.alert]).catch(() => {
            counts.interrupted++;
            unsent.keep(line);
          }),
        );
        if (inFlight.length >= IN_FLIGHT) {
          await Promise.all(inFlight);
          inFlight = [];
        }
      }
    }
    await Promise.all(inFlight);
  } finally {
    options.signal?.removeEventListener("abort", stop);
    await Promise.all([...sinks.values()].map((sink) => sink.close()));
    await unsent.close();
  }
  for (const [name, sink] of sinks) {
    const counts = report.bySink.get(name);
    if (!counts) continue;
    counts.delivered = sink.stats.delivered;
    counts.refused = sink.stats.deadLettered;
  }
  report.unsent = unsent.lines + [...report.bySink.values()].reduce((n, c) => n + c.refused, 0);
  return report;
}

/** Lines kept as they were, appended in order to the unsent file, which is opened at the first. */
class UnsentFile {
  lines = 0;
  private handle: Promise<FileHandle> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(private readonly path: string) {}

  keep(line: string): void {
    this.lines++;
    if (!this.handle) {
      this.handle = (async () => {
        makeDirectory(dirname(this.path));
        return open(this.path, "a");
      })();
      // its failure is taken up by the first append, which may wait behind others
      this.handle.catch(() => {});
    }
    const handle = this.handle;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await (await handle).appendFile(`${line}\n`);
      } catch (error) {
        this.failure = error as Error;
      }
    });
  }

  async close(): Promise<void> {
    await this.chain;
    if (this.handle) {
      const handle = await this.handle.catch((error: Error) => {
        this.failure ??= error;
        return undefined;
      });
      if (handle) {
        await handle.datasync().catch((error: Error) => {
          this.failure ??= error;
        });
        await handle.close();
      }
    }
    if (this.failure)
      throw new Error(`${this.path}: cannot write the unsent dead letters: ${this.failure.message}`);
  }
}
