import { createHash } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import type { AlertDocument } from "../../engine/alert.ts";
import { makeDirectory } from "../make-directory.ts";
import type { AlertSink } from "./alert-sink.ts";
import { deadLetterLine } from "./dead-letter.ts";
import { ReceiverOutage } from "./webhook-outage.ts";
import {
  DEFAULT_RETRY_POLICY,
  isRetryableStatus,
  type RetryPolicy,
  retryAfterMs,
  retryDelayMs,
} from "./webhook-retry.ts";

export { retryAfterMs } from "./webhook-retry.ts";

/**
 * Alerts POSTed as JSON to a URL, in batches: `{"alerts": [ ...documents ]}`.
 *
 * Delivery is at-least-once: a batch that fails (no answer, a timeout, 408,
 * 425, 429 or 5xx) is sent again after an exponential backoff with jitter
 * (honouring Retry-After) until it has waited `retryTimeoutMs` (webhook-retry.ts),
 * and an alert carries the same `kibana.alert.uuid` every time it is sent —
 * also after a restart replays its events — so the
 * receiver de-duplicates by id. Each request also carries an `Idempotency-Key`,
 * the hash of its alert ids. With a delivery log (the store), delivered ids are
 * recorded and not sent again.
 *
 * A batch refused as too large (413) is sent again at once in halves, down to
 * single alerts, so a receiver with a body limit gets every alert that fits it.
 *
 * Alerts the receiver refuses for good (another 4xx, a redirect, 413 for one
 * alert), or still undelivered at their retry deadline, go to a dead-letter
 * NDJSON file, one
 * `{"@timestamp", "sink", "error", "attempts", "alert"}` a line, fdatasync'd:
 * they are handled, and the write that brought them resolves. So do alerts that
 * find the in-memory queue full, or that the fan-out's full queue in front of it
 * pushes out (`setAside`) — they go straight to the dead-letter file, counted and
 * logged.
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

/** A configured webhook: where it is, the name its deliveries and dead letters go by, its headers. */
export interface WebhookTarget {
  url: string;
  name: string;
  headers?: Record<string, string>;
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
  /** how long a batch is retried, from when its alerts were written, before its dead letter (default 10 min) */
  retryTimeoutMs?: number;
  /** the first retry's delay (default 500 ms); each next one doubles, up to maxBackoffMs (default 30 s) */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** a Retry-After is honoured up to this (default 5 min) */
  maxRetryAfterMs?: number;
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
  /** dead-lettered because a queue was full: its own, or the fan-out's in front of it */
  overflowed: number;
  /** skipped: the delivery log says they were delivered already */
  skipped: number;
  /** still undelivered when the sink closed */
  abandoned: number;
  /** how long the receiver has failed every request; 0 while it answers */
  failingForMs: number;
  /** batches refused as too large (413) and sent again in halves */
  split: number;
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
  /** when it was written (Date.now()): its batch's retry deadline runs from its oldest alert's */
  queuedAt: number;
}

type Attempt =
  | { ok: true }
  | { ok: false; retry: boolean; error: string; status?: number; retryAfterMs?: number; aborted?: boolean };

export class WebhookSink implements AlertSink {
  readonly name: string;
  private readonly url: URL;
  private readonly options: Required<
    Pick<WebhookOptions, "batchSize" | "maxQueuedAlerts" | "timeoutMs" | "closeTimeoutMs" | "random">
  >;
  private readonly retry: RetryPolicy;
  private readonly outage = new ReceiverOutage();
  /** the error of the last retryable failure: a batch dead-lettered unsent (see deliver) gives it */
  private lastFailure = "";
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
    split: 0,
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
      timeoutMs: options.timeoutMs ?? 10_000,
      closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
      random: options.random ?? Math.random,
    };
    this.retry = {
      initialBackoffMs: options.initialBackoffMs ?? DEFAULT_RETRY_POLICY.initialBackoffMs,
      maxBackoffMs: options.maxBackoffMs ?? DEFAULT_RETRY_POLICY.maxBackoffMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_RETRY_POLICY.maxRetryAfterMs,
      retryTimeoutMs: options.retryTimeoutMs ?? DEFAULT_RETRY_POLICY.retryTimeoutMs,
    };
    for (const key of ["batchSize", "maxQueuedAlerts"] as const)
      if (!Number.isSafeInteger(this.options[key]) || this.options[key] < 1)
        throw new RangeError(`webhook ${key} must be a whole number from 1, not ${this.options[key]}`);
    if (!(this.retry.retryTimeoutMs > 0))
      throw new RangeError(`webhook retryTimeoutMs must be positive, not ${this.retry.retryTimeoutMs}`);
  }

  get stats(): WebhookStats {
    return {
      queued: this.queue.length,
      ...this.counters,
      failingForMs: this.outage.failingForMs(Date.now()),
    };
  }

  write(alerts: readonly AlertDocument[]): Promise<void> {
    const items = this.admit(alerts);
    if (!Array.isArray(items)) return items;
    const room = Math.max(0, this.options.maxQueuedAlerts - this.queue.length);
    for (const item of items.slice(0, room)) this.queue.push(item);
    const overflow = items.slice(room);
    if (overflow.length > 0)
      this.overflow(overflow, `queue full (${this.options.maxQueuedAlerts} alerts waiting)`);
    this.pump();
    return items[0].ticket.promise;
  }

  /** Alerts the fan-out's full queue pushed out go where this queue's overflow goes: the dead letters. */
  setAside(alerts: readonly AlertDocument[], reason: string): Promise<void> {
    const items = this.admit(alerts);
    if (!Array.isArray(items)) return items;
    this.overflow(items, reason);
    return items[0].ticket.promise;
  }

  /** The alerts of a write not delivered yet, under one ticket; else how the write ends at once. */
  private admit(alerts: readonly AlertDocument[]): Queued[] | Promise<void> {
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
    const queuedAt = Date.now();
    return fresh.map((item) => ({ ...item, ticket, queuedAt }));
  }

  private overflow(items: Queued[], reason: string): void {
    this.counters.overflowed += items.length;
    this.logger.warn(
      {
        sink: this.name,
        alerts: items.length,
        queued: this.queue.length,
        error: reason,
        file: this.deadLetterPath,
      },
      "webhook queue full; alerts written to the dead-letter file",
    );
    void this.deadLetter(items, reason, 0);
  }

  /**
   * The shutdown has begun: a receiver that is down would keep the queue retrying for
   * minutes (until each batch's retry deadline), and the service's drain waits for every write.
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
      // What of a batch close interrupted is unsettled stays queued: close settles it as undelivered.
      this.queue.splice(0, await this.deliver(batch));
    }
  }

  /**
   * Sends one batch until it is delivered or dead-lettered; how many of its alerts, from its
   * front, were (all, unless close interrupted it).
   */
  private async deliver(batch: Queued[]): Promise<number> {
    const since = batch[0].queuedAt;
    const deadline = since + this.retry.retryTimeoutMs;
    if (Date.now() >= deadline && this.outage.failedThroughout(since)) {
      // Sending it once more would cost a timeout per batch on a receiver that does not answer,
      // and the queue behind it would wait for each.
      await this.giveUpOn(batch, this.lastFailure, 0);
      return batch.length;
    }
    const ids = batch.map((i) => i.id);
    const body = JSON.stringify({ alerts: batch.map((i) => i.alert) });
    const key = createHash("sha256").update(ids.join("\n")).digest("hex");
    for (let attempts = 1; ; attempts++) {
      const result = await this.post(body, key);
      if (result.ok) {
        this.noteAnswer();
        this.counters.delivered += batch.length;
        this.recordDelivered(ids);
        for (const item of batch) item.ticket.settle(1);
        return batch.length;
      }
      if (result.aborted) return 0;
      if (result.status === 413 && batch.length > 1) {
        this.noteAnswer();
        return this.deliverHalves(batch);
      }
      if (!result.retry) {
        this.noteAnswer();
        await this.giveUpOn(batch, result.error, attempts);
        return batch.length;
      }
      this.noteFailure(result.error, batch.length);
      const left = deadline - Date.now();
      if (left <= 0) {
        await this.giveUpOn(batch, result.error, attempts);
        return batch.length;
      }
      // the last retry is at the deadline, not past it
      const delay = Math.min(
        left,
        retryDelayMs(this.retry, attempts, result.retryAfterMs, this.options.random),
      );
      this.counters.retries++;
      this.logger.debug(
        { sink: this.name, alerts: batch.length, attempt: attempts, error: result.error, retryInMs: delay },
        "webhook delivery failed; retrying",
      );
      try {
        await sleep(delay, undefined, { signal: this.abort.signal });
      } catch {
        return 0;
      }
    }
  }

  /**
   * A receiver's body limit refused the batch: each half is sent at once (no backoff: nothing
   * is wrong with the receiver), and halved again while refused; one alert refused is dead-lettered.
   */
  private async deliverHalves(batch: Queued[]): Promise<number> {
    this.counters.split++;
    if (this.counters.split === 1)
      this.logger.warn(
        { sink: this.name, alerts: batch.length },
        "webhook receiver refused a batch as too large (413); sending it in halves",
      );
    const half = Math.ceil(batch.length / 2);
    const first = await this.deliver(batch.slice(0, half));
    if (first < half) return first;
    return half + (await this.deliver(batch.slice(half)));
  }

  /** A retryable failure: the first of an outage is logged, the retries that follow it are not. */
  private noteFailure(error: string, alerts: number): void {
    this.lastFailure = error;
    if (!this.outage.failed(Date.now())) return;
    this.logger.warn(
      { sink: this.name, alerts, error, retryTimeoutMs: this.retry.retryTimeoutMs },
      "webhook delivery failed; retrying",
    );
  }

  private noteAnswer(): void {
    const ended = this.outage.answered(Date.now());
    if (ended)
      this.logger.warn(
        { sink: this.name, failedForMs: ended.failedForMs, failedRequests: ended.failedRequests },
        "webhook receiver answers again",
      );
  }

  private async giveUpOn(batch: Queued[], error: string, attempts: number): Promise<void> {
    this.logger.error(
      {
        sink: this.name,
        alerts: batch.length,
        attempts,
        error,
        waitedMs: Date.now() - batch[0].queuedAt,
        file: this.deadLetterPath,
      },
      "webhook delivery failed; alerts written to the dead-letter file",
    );
    await this.deadLetter(batch, error, attempts);
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
        retry: isRetryableStatus(status),
        status,
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
      text += deadLetterLine({ "@timestamp": failedAt, sink: this.name, error, attempts, alert: item.alert });
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
