import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { AlertDocument } from "../../engine/alert.ts";
import { makeDirectory } from "../make-directory.ts";
import type { AlertSink } from "./alert-sink.ts";

/**
 * Alerts POSTed as JSON to a URL, in batches: `{"alerts": [ ...documents ]}`.
 *
 * Delivery is at-least-once: a batch that fails (no answer, a timeout, 408,
 * 425, 429 or 5xx) is sent again after an exponential backoff with jitter
 * (honouring Retry-After), and an alert carries the same `kibana.alert.uuid`
 * every time it is sent — also after a restart replays its events — so the
 * receiver de-duplicates by id. Each request also carries an `Idempotency-Key`,
 * the hash of its alert ids. With a delivery log (the store), delivered ids are
 * recorded and not sent again.
 *
 * Alerts the receiver refuses for good (another 4xx, a redirect), or that
 * exhaust their attempts, go to a dead-letter NDJSON file, one
 * `{"@timestamp", "sink", "error", "attempts", "alert"}` a line, fdatasync'd:
 * they are handled, and the write that brought them resolves. So do alerts that
 * find the in-memory queue full — they go straight to the dead-letter file,
 * counted and logged.
 *
 * `write` resolves once all its alerts are delivered or dead-lettered. From
 * `stopping` (the service's shutdown begins) or `close`, whichever comes first,
 * the queue has `closeTimeoutMs` to empty; what is still undelivered then is
 * neither delivered nor dead-lettered: its writes reject, and so do writes made
 * after it, so the pipeline does not checkpoint past those events and a replay
 * sends them again.
 */

/** Which alerts a sink has delivered: AlertStore (src/server/store.ts) is one. */
export interface DeliveryLog {
  deliveredAmong(sink: string, ids: readonly string[]): Set<string>;
  markDelivered(sink: string, ids: readonly string[]): void;
}

export interface WebhookOptions {
  url: string | URL;
  /** default `webhook:<host>`; give one when two webhooks share a host (it keys the delivery records) */
  name?: string;
  /** sent with every request, e.g. `{ authorization: "Bearer …" }` */
  headers?: Record<string, string>;
  deadLetterPath: string;
  logger: Logger;
  deliveryLog?: DeliveryLog;
  /** alerts per request (default 100) */
  batchSize?: number;
  /** alerts waiting in memory at most (default 10,000); beyond, they are dead-lettered */
  maxQueuedAlerts?: number;
  /** requests per batch before it is dead-lettered (default 6) */
  maxAttempts?: number;
  /** the first retry's delay (default 500 ms); each next one doubles, up to maxBackoffMs */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** one request's time limit (default 10 s) */
  timeoutMs?: number;
  /** how long close waits for the queue to empty (default 10 s) */
  closeTimeoutMs?: number;
  /** jitter source, [0, 1) (tests set it) */
  random?: () => number;
}

export interface WebhookStats {
  queued: number;
  requests: number;
  delivered: number;
  retries: number;
  deadLettered: number;
  /** dead-lettered because the queue was full */
  overflowed: number;
  /** skipped: the delivery log says they were delivered already */
  skipped: number;
  /** still undelivered when the sink closed */
  abandoned: number;
}

export class WebhookClosedError extends Error {
  constructor(sink: string, count: number) {
    super(
      `${sink} closed with ${count} alert(s) undelivered; they are sent again when their events are replayed`,
    );
    this.name = "WebhookClosedError";
  }
}

/** The settlement of one write: it resolves when each of its alerts is delivered or dead-lettered. */
class WriteTicket {
  readonly promise: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: Error) => void;
  private error: Error | undefined;

  constructor(private remaining: number) {
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  settle(count: number, error?: Error): void {
    this.error ??= error;
    this.remaining -= count;
    if (this.remaining > 0) return;
    if (this.error) this.reject(this.error);
    else this.resolve();
  }
}

interface Queued {
  alert: AlertDocument;
  id: string;
  ticket: WriteTicket;
}

type Attempt =
  | { ok: true }
  | { ok: false; retry: boolean; error: string; retryAfterMs?: number; aborted?: boolean };

export class WebhookSink implements AlertSink {
  readonly name: string;
  private readonly url: URL;
  private readonly options: Required<
    Pick<
      WebhookOptions,
      | "batchSize"
      | "maxQueuedAlerts"
      | "maxAttempts"
      | "initialBackoffMs"
      | "maxBackoffMs"
      | "timeoutMs"
      | "closeTimeoutMs"
      | "random"
    >
  >;
  private readonly headers: Record<string, string>;
  private readonly logger: Logger;
  private readonly deliveryLog: DeliveryLog | undefined;
  private readonly deadLetterPath: string;
  private queue: Queued[] = [];
  private sending: Promise<void> | null = null;
  private idleWaiters: Array<() => void> = [];
  private readonly abort = new AbortController();
  private closing: Promise<void> | null = null;
  /** set by `stopping`: when the queue's time is up */
  private deadline: NodeJS.Timeout | null = null;
  private givingUp: Promise<void> | null = null;
  private deadLetterChain: Promise<void> = Promise.resolve();
  private readonly counters = {
    requests: 0,
    delivered: 0,
    retries: 0,
    deadLettered: 0,
    overflowed: 0,
    skipped: 0,
    abandoned: 0,
  };

  constructor(options: WebhookOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== "http:" && this.url.protocol !== "https:")
      throw new TypeError(`a webhook URL is http or https, not ${this.url.protocol} (${this.url.host})`);
    this.name = options.name ?? `webhook:${this.url.host}`;
    this.headers = { ...options.headers };
    if (this.url.username || this.url.password) {
      // fetch refuses a URL with credentials, with an error that quotes them (logged, dead-lettered):
      // they are sent as curl sends them, unless an Authorization header is configured
      const given = Object.keys(this.headers).some((name) => name.toLowerCase() === "authorization");
      const user = decodeURIComponent(this.url.username);
      const password = decodeURIComponent(this.url.password);
      if (!given)
        this.headers.authorization = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
      this.url.username = "";
      this.url.password = "";
    }
    this.logger = options.logger;
    this.deliveryLog = options.deliveryLog;
    this.deadLetterPath = options.deadLetterPath;
    this.options = {
      batchSize: options.batchSize ?? 100,
      maxQueuedAlerts: options.maxQueuedAlerts ?? 10_000,
      maxAttempts: options.maxAttempts ?? 6,
      initialBackoffMs: options.initialBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      timeoutMs: options.timeoutMs ?? 10_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
      random: options.random ?? Math.random,
    };
    for (const key of ["batchSize", "maxQueuedAlerts", "maxAttempts"] as const)
      if (!Number.isSafeInteger(this.options[key]) || this.options[key] < 1)
        throw new RangeError(`webhook ${key} must be a whole number from 1, not ${this.options[key]}`);
  }

  get stats(): WebhookStats {
    return { queued: this.queue.length, ...this.counters };
  }

  write(alerts: readonly AlertDocument[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error(`${this.name} is closed`));
    if (this.abort.signal.aborted) return Promise.reject(new WebhookClosedError(this.name, alerts.length));
    let items: Array<{ alert: AlertDocument; id: string }>;
    try {
      items = alerts.map((alert, i) => ({ alert, id: alertIdOf(alert, i) }));
    } catch (error) {
      return Promise.reject(error);
    }
    const fresh = this.undelivered(items);
    this.counters.skipped += items.length - fresh.length;
    if (fresh.length === 0) return Promise.resolve();

    const ticket = new WriteTicket(fresh.length);
    const room = Math.max(0, this.options.maxQueuedAlerts - this.queue.length);
    for (const item of fresh.slice(0, room)) this.queue.push({ ...item, ticket });
    const overflow = fresh.slice(room).map((item) => ({ ...item, ticket }));
    if (overflow.length > 0) {
      this.counters.overflowed += overflow.length;
      this.logger.warn(
        { sink: this.name, alerts: overflow.length, queued: this.queue.length, file: this.deadLetterPath },
        "webhook queue full; alerts written to the dead-letter file",
      );
      void this.deadLetter(overflow, `queue full (${this.options.maxQueuedAlerts} alerts waiting)`, 0);
    }
    this.pump();
    return ticket.promise;
  }

  /**
   * The shutdown has begun: a receiver that is down would keep the queue retrying for
   * minutes (six attempts a batch), and the service's drain waits for every write.
   */
  stopping(): void {
    if (this.deadline || this.givingUp) return;
    this.deadline = setTimeout(() => void this.giveUp(), this.options.closeTimeoutMs);
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.stopping();
    await this.idle();
    if (this.deadline) clearTimeout(this.deadline);
    if (this.givingUp) await this.givingUp;
    await this.deadLetterChain;
  }

  /** Cancels the request in flight and the backoff sleeping; what is left is replayed after a restart. */
  private giveUp(): Promise<void> {
    this.givingUp ??= (async () => {
      this.abort.abort();
      await this.sending;
      const left = this.queue.splice(0);
      if (left.length === 0) return;
      this.counters.abandoned += left.length;
      this.logger.warn(
        { sink: this.name, alerts: left.length },
        "webhook closed with alerts undelivered; they are sent again when their events are replayed",
      );
      const error = new WebhookClosedError(this.name, left.length);
      for (const item of left) item.ticket.settle(1, error);
    })();
    return this.givingUp;
  }

  private undelivered<T extends { id: string }>(items: T[]): T[] {
    if (!this.deliveryLog || items.length === 0) return items;
    try {
      const done = this.deliveryLog.deliveredAmong(
        this.name,
        items.map((i) => i.id),
      );
      return items.filter((i) => !done.has(i.id));
    } catch (error) {
      // Sending again is safe (the receiver de-duplicates); not sending would not be.
      this.logger.warn({ sink: this.name, err: error }, "delivery log unreadable; sending without it");
      return items;
    }
  }

  private pump(): void {
    if (this.sending || this.queue.length === 0 || this.abort.signal.aborted) return;
    this.sending = this.sendQueued().finally(() => {
      this.sending = null;
      if (this.queue.length > 0 && !this.abort.signal.aborted) this.pump();
      else for (const wake of this.idleWaiters.splice(0)) wake();
    });
  }

  private idle(): Promise<void> {
    if (!this.sending && (this.queue.length === 0 || this.abort.signal.aborted)) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async sendQueued(): Promise<void> {
    while (this.queue.length > 0 && !this.abort.signal.aborted) {
      const batch = this.queue.slice(0, this.options.batchSize);
      const settled = await this.deliver(batch);
      // A batch interrupted by close stays queued: close settles it as undelivered.
      if (settled) this.queue.splice(0, batch.length);
    }
  }

  /** Sends one batch until it is delivered or dead-lettered (true), or close interrupts it (false). */
  private async deliver(batch: Queued[]): Promise<boolean> {
    const ids = batch.map((i) => i.id);
    const body = JSON.stringify({ alerts: batch.map((i) => i.alert) });
    const key = createHash("sha256").update(ids.join("\n")).digest("hex");
    let failure = "";
    let attempts = 0;
    while (attempts < this.options.maxAttempts) {
      attempts++;
      const result = await this.post(body, key);
      if (result.ok) {
        this.counters.delivered += batch.length;
        this.recordDelivered(ids);
        for (const item of batch) item.ticket.settle(1);
        return true;
      }
      if (result.aborted) return false;
      failure = result.error;
      if (!result.retry || attempts >= this.options.maxAttempts) break;
      const delay = this.backoff(attempts, result.retryAfterMs);
      this.counters.retries++;
      this.logger.warn(
        { sink: this.name, alerts: batch.length, attempt: attempts, error: failure, retryInMs: delay },
        "webhook delivery failed; retrying",
      );
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
      } catch {
        return false;
      }
    }
    this.logger.error(
      { sink: this.name, alerts: batch.length, attempts, error: failure, file: this.deadLetterPath },
      "webhook delivery failed; alerts written to the dead-letter file",
    );
    await this.deadLetter(batch, failure, attempts);
    return true;
  }

  private async post(body: string, idempotencyKey: string): Promise<Attempt> {
    this.counters.requests++;
    try {
      const response = await fetch(this.url, {
        method: "POST",
        headers: { ...this.headers, "content-type": "application/json", "idempotency-key": idempotencyKey },
        body,
        // A redirect could carry the credentials elsewhere; the configured URL must be the final one.
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(this.options.timeoutMs), this.abort.signal]),
      });
      // Read the answer to the end, so the connection can serve the next request.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { ok: true };
      const status = response.status;
      if (status >= 300 && status < 400)
        return {
          ok: false,
          retry: false,
          error: `HTTP ${status}: redirected to ${response.headers.get("location") ?? "?"}; configure the final URL`,
        };
      return {
        ok: false,
        retry: status === 408 || status === 425 || status === 429 || status >= 500,
        error: `HTTP ${status}${response.statusText ? ` ${response.statusText}` : ""}`,
        retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
      };
    } catch (error) {
      if (this.abort.signal.aborted) return { ok: false, retry: false, error: "closed", aborted: true };
      const e = error as Error & { cause?: { code?: string; message?: string } };
      const reason =
        e.name === "TimeoutError"
          ? `no answer within ${this.options.timeoutMs} ms`
          : (e.cause?.code ?? e.cause?.message ?? e.message);
      return { ok: false, retry: true, error: reason };
    }
  }

  /** Exponential, capped, with "equal jitter": between half and all of the step, so retries spread out. */
  private backoff(attempt: number, retryAfter: number | undefined): number {
    const step = Math.min(this.options.maxBackoffMs, this.options.initialBackoffMs * 2 ** (attempt - 1));
    const jittered = step / 2 + (this.options.random() * step) / 2;
    return Math.round(Math.min(this.options.maxBackoffMs, Math.max(jittered, retryAfter ?? 0)));
  }

  private recordDelivered(ids: string[]): void {
    if (!this.deliveryLog) return;
    try {
      this.deliveryLog.markDelivered(this.name, ids);
    } catch (error) {
      // Delivered all the same; at worst they are sent again after a replay.
      this.logger.warn({ sink: this.name, err: error }, "could not record delivered alert ids");
    }
  }

  private deadLetter(items: Queued[], error: string, attempts: number): Promise<void> {
    const failedAt = new Date().toISOString();
    let text = "";
    for (const item of items)
      text += `${JSON.stringify({ "@timestamp": failedAt, sink: this.name, error, attempts, alert: item.alert })}\n`;
    // Opened for each write, not kept open: dead letters are few, and an operator moves the file
    // away to handle them; a kept handle would write the next ones into the moved (or removed) file.
    const run = this.deadLetterChain.then(async () => {
      const handle = await openForAppend(this.deadLetterPath);
      try {
        await handle.appendFile(text);
        await handle.datasync();
      } finally {
        await handle.close();
      }
    });
    this.deadLetterChain = run.catch(() => {});
    return run.then(
      () => {
        this.counters.deadLettered += items.length;
        for (const item of items) item.ticket.settle(1);
      },
      (cause: Error) => {
        this.logger.error(
          { sink: this.name, alerts: items.length, err: cause, file: this.deadLetterPath },
          "could not write the dead-letter file; alerts undelivered",
        );
        const failure = new Error(`${this.name}: dead-letter file ${this.deadLetterPath}: ${cause.message}`, {
          cause,
        });
        for (const item of items) item.ticket.settle(1, failure);
      },
    );
  }
}

async function openForAppend(path: string): Promise<FileHandle> {
  makeDirectory(dirname(path));
  return open(path, "a");
}

function alertIdOf(alert: AlertDocument, index: number): string {
  const id = alert["kibana.alert.uuid"];
  if (typeof id !== "string" || id === "")
    throw new TypeError(
      `alert ${index} of the batch has no kibana.alert.uuid; a webhook needs it to de-duplicate`,
    );
  return id;
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
