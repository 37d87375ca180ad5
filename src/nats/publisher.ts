/**
 * The ingest side's acknowledged publisher: many messages in flight at once, each settled by its
 * own JetStream acknowledgement, in the "PublishAsync" style. `js.publish()` spends a promise, a
 * request and a timer per call (about 60 µs of client CPU); here a message is a core publish with
 * a reply subject under one inbox, every PubAck arrives on one wildcard subscription, and one sweep
 * timer handles every deadline — about six times the throughput for the same guarantees.
 *
 * Guarantees:
 * - a message is settled only by a PubAck (stored, or a duplicate of a stored one) or an error;
 * - the window bounds what is in flight; a sender waits for room, and gives up ("busy") after a
 *   bounded wait, so a stalled cluster pushes back instead of filling memory;
 * - a message JetStream could not take for now (no leader during an election, no answer, a lost
 *   connection) is sent again with the same `Nats-Msg-Id`, so it is stored once, until its overall
 *   deadline;
 * - order: after such a failure nothing new is sent until every attempt in flight has answered
 *   or timed out; then the oldest failed message goes alone, as a probe, and only once it is
 *   stored are the rest sent again, in their first order, before anything newer. Without this, a
 *   message refused during an election would be stored behind later ones of the same host.
 */
import {
  createInbox,
  type MsgHdrs,
  type NatsConnection,
  headers as natsHeaders,
  type Status,
  type Subscription,
} from "@nats-io/transport-node";
import { DEFAULT_PUBLISHER } from "./defaults.ts";
import { type PubAckOutcome, readPubAck } from "./pub-ack.ts";

export interface PublishMessage {
  subject: string;
  /** the de-duplication id (`Nats-Msg-Id`): a message sent again under it is stored once */
  msgId: string;
  headers?: MsgHdrs;
  body: Uint8Array;
}

export interface PubAck {
  stream: string;
  seq: number;
  /** JetStream had this msgId within its duplicate window: stored once, earlier */
  duplicate: boolean;
}

export type PublishFailure = "busy" | "stream-full" | "timeout" | "too-large" | "refused" | "closed";

export class PublishError extends Error {
  constructor(
    readonly failure: PublishFailure,
    message: string,
  ) {
    super(message);
    this.name = "PublishError";
  }
}

export interface PublisherOptions {
  /** messages sent and not yet acknowledged, at most */
  window?: number;
  /** an attempt not answered within this is taken as lost and sent again (ms) */
  ackTimeoutMs?: number;
  /** a message not stored within this of its publish is given up (ms) */
  deadlineMs?: number;
  /** how long a sender waits for room in a full window before a "busy" error (ms) */
  roomWaitMs?: number;
  /** the first pause before probing a cluster that could not take a message; doubles up to 2 s */
  retryDelayMs?: number;
  /** the clock (ms); tests move it */
  clock?: () => number;
}

const MAX_RETRY_DELAY_MS = 2_000;
const MSG_ID_HEADER = "Nats-Msg-Id";

export interface PublisherStats {
  window: number;
  /** messages admitted and not yet settled */
  inFlight: number;
  /** stored for the first time */
  published: number;
  /** acknowledged as duplicates (sent before, by us or by a sender's retry) */
  duplicates: number;
  /** attempts beyond each message's first */
  retries: number;
  /** messages (or, for busy, senders) given up on, by reason */
  failures: Record<PublishFailure, number>;
  /** after a failure: new messages wait while the failed ones are sent again in order */
  holding: boolean;
  connected: boolean;
  /** why the last attempt failed, for logs and /readyz */
  lastProblem: string | undefined;
}

interface Entry {
  message: PublishMessage;
  headers: MsgHdrs;
  /** publish order: failed messages are sent again in it */
  order: number;
  deadline: number;
  /** the reply token of the attempt in flight, if one is */
  token: string | undefined;
  sentAt: number;
  attempts: number;
  lastProblem: string | undefined;
  resolve(ack: PubAck): void;
  reject(error: PublishError): void;
}

interface RoomWaiter {
  giveUpAt: number;
  resolve(): void;
  reject(error: PublishError): void;
}

export class Publisher {
  private readonly window: number;
  private readonly ackTimeoutMs: number;
  private readonly deadlineMs: number;
  private readonly roomWaitMs: number;
  private readonly retryDelayMs: number;
  private readonly clock: () => number;
  private readonly inbox: string;
  private readonly subscription: Subscription;
  private readonly statusFeed: AsyncIterable<Status> & { stop?: () => void };
  private readonly timer: NodeJS.Timeout;
  /** attempts in flight, by reply token */
  private readonly awaiting = new Map<string, Entry>();
  /** admitted and waiting to be sent: new ones while holding, and failed ones; in order */
  private queued: Entry[] = [];
  private waiters: RoomWaiter[] = [];
  private admitted = 0;
  private holding = false;
  private probe: Entry | undefined;
  private nextProbeAt = 0;
  private retryDelay: number;
  private connected = true;
  private closing = false;
  private nextToken = 0;
  private nextOrder = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly counts = {
    published: 0,
    duplicates: 0,
    retries: 0,
    failures: { busy: 0, "stream-full": 0, timeout: 0, "too-large": 0, refused: 0, closed: 0 },
    lastProblem: undefined as string | undefined,
  };

  constructor(
    private readonly nc: NatsConnection,
    options: PublisherOptions = {},
  ) {
    this.window = options.window ?? DEFAULT_PUBLISHER.window;
    this.ackTimeoutMs = options.ackTimeoutMs ?? DEFAULT_PUBLISHER.ackTimeoutMs;
    this.deadlineMs = options.deadlineMs ?? DEFAULT_PUBLISHER.deadlineMs;
    this.roomWaitMs = options.roomWaitMs ?? DEFAULT_PUBLISHER.roomWaitMs;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_PUBLISHER.retryDelayMs;
    this.retryDelay = this.retryDelayMs;
    this.clock = options.clock ?? Date.now;
    if (!(this.window >= 1))
      throw new RangeError(`the publish window must be at least 1, not ${this.window}`);
    this.inbox = createInbox();
    this.subscription = nc.subscribe(`${this.inbox}.*`, {
      callback: (error, reply) => {
        if (error) {
          this.counts.lastProblem = `the acknowledgement subscription failed: ${error.message}`;
          return;
        }
        this.onReply(reply.subject.slice(this.inbox.length + 1), readPubAck(reply));
      },
    });
    this.statusFeed = nc.status() as AsyncIterable<Status> & { stop?: () => void };
    void this.watchConnection();
    void nc.closed().then(() => this.failEverything("the NATS connection is closed"));
    const tick = Math.max(10, Math.min(250, Math.floor(Math.min(this.ackTimeoutMs, this.roomWaitMs) / 4)));
    this.timer = setInterval(() => this.sweep(), tick);
    this.timer.unref();
  }

  get stats(): PublisherStats {
    return {
      window: this.window,
      inFlight: this.admitted,
      published: this.counts.published,
      duplicates: this.counts.duplicates,
      retries: this.counts.retries,
      failures: { ...this.counts.failures },
      holding: this.holding,
      connected: this.connected,
      lastProblem: this.counts.lastProblem,
    };
  }

  /** Whether a sender would have to wait for room now. */
  isFull(): boolean {
    return this.admitted >= this.window || this.waiters.length > 0;
  }

  /** Resolves with the message's PubAck; rejects with a PublishError. */
  async publish(message: PublishMessage): Promise<PubAck> {
    await this.admit();
    return this.enqueue(message);
  }

  /**
   * Publishes the messages in order and resolves once every one is acknowledged. On the first
   * failure the rest are not sent; it rejects with that failure once those already sent have
   * settled, so nothing of the batch is still in flight when the caller answers.
   */
  async publishBatch(messages: readonly PublishMessage[]): Promise<PubAck[]> {
    const acks: Promise<PubAck>[] = [];
    let failure: unknown;
    for (const message of messages) {
      if (failure !== undefined) break;
      try {
        const room = this.admit();
        if (room) await room;
      } catch (error) {
        failure = error;
        break;
      }
      const ack = this.enqueue(message);
      ack.catch((error) => {
        failure ??= error;
      });
      acks.push(ack);
    }
    const settled = await Promise.allSettled(acks);
    if (failure !== undefined) throw failure;
    return settled.map((s) => (s as PromiseFulfilledResult<PubAck>).value);
  }

  /**
   * No new message is taken; resolves once those in flight are settled (each within its
   * deadline), then stops listening for acknowledgements. The connection is the caller's.
   */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      for (const w of this.waiters.splice(0))
        w.reject(new PublishError("closed", "the NATS publisher is shutting down"));
    }
    if (this.admitted > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    clearInterval(this.timer);
    this.statusFeed.stop?.();
    if (!this.subscription.isClosed()) this.subscription.unsubscribe();
  }

  private admit(): Promise<void> | undefined {
    if (this.closing) throw new PublishError("closed", "the NATS publisher is shutting down");
    if (this.admitted < this.window && this.waiters.length === 0) {
      this.admitted++;
      return undefined;
    }
    return new Promise((resolve, reject) => {
      this.waiters.push({ giveUpAt: this.clock() + this.roomWaitMs, resolve, reject });
    });
  }

  private enqueue(message: PublishMessage): Promise<PubAck> {
    return new Promise<PubAck>((resolve, reject) => {
      const headers = message.headers ?? natsHeaders();
      if (!headers.has(MSG_ID_HEADER)) headers.set(MSG_ID_HEADER, message.msgId);
      const entry: Entry = {
        message,
        headers,
        order: this.nextOrder++,
        deadline: this.clock() + this.deadlineMs,
        token: undefined,
        sentAt: 0,
        attempts: 0,
        lastProblem: undefined,
        resolve,
        reject,
      };
      if (!this.holding && this.connected) {
        this.send(entry);
        return;
      }
      // whatever waits in line waits for a probe to be stored first
      this.queued.push(entry);
      if (!this.holding) {
        this.holding = true;
        this.nextProbeAt = this.clock();
      }
    });
  }

  private send(entry: Entry): void {
    const token = (this.nextToken++).toString(36);
    entry.token = token;
    entry.sentAt = this.clock();
    entry.attempts++;
    if (entry.attempts > 1) this.counts.retries++;
    this.awaiting.set(token, entry);
    try {
      this.nc.publish(entry.message.subject, entry.message.body, {
        reply: `${this.inbox}.${token}`,
        headers: entry.headers,
      });
    } catch (error) {
      this.awaiting.delete(token);
      entry.token = undefined;
      const text = (error as Error).message ?? String(error);
      if (/max_payload/.test(text))
        this.fail(
          entry,
          new PublishError(
            "too-large",
            `${describe(entry)} is ${entry.message.body.length} bytes, more than the NATS server's max_payload (${this.nc.info?.max_payload ?? "?"} bytes)`,
          ),
        );
      else if (this.nc.isClosed())
        this.fail(entry, new PublishError("closed", "the NATS connection is closed"));
      else this.fail(entry, new PublishError("refused", `${describe(entry)} could not be sent: ${text}`));
    }
  }

  private onReply(token: string, outcome: PubAckOutcome): void {
    const entry = this.awaiting.get(token);
    // a late answer to an attempt already taken as lost: the message was sent again
    if (!entry) return;
    this.awaiting.delete(token);
    entry.token = undefined;
    const wasProbe = entry === this.probe;
    if (wasProbe) this.probe = undefined;
    switch (outcome.kind) {
      case "stored":
        if (outcome.duplicate) this.counts.duplicates++;
        else this.counts.published++;
        this.settle();
        entry.resolve({ stream: outcome.stream, seq: outcome.seq, duplicate: outcome.duplicate });
        if (wasProbe) this.resume();
        return;
      case "unavailable":
        this.retryLater(entry, `JetStream answered: ${outcome.reason}`);
        if (wasProbe) this.retryDelay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelay * 2);
        return;
      case "full":
        this.fail(
          entry,
          new PublishError(
            "stream-full",
            `the events stream is full and refused ${describe(entry)}: ${outcome.reason}. It takes new events again once old ones age out (max_age) or its max_bytes is raised`,
          ),
        );
        break;
      case "too-large":
        this.fail(
          entry,
          new PublishError("too-large", `JetStream refused ${describe(entry)}: ${outcome.reason}`),
        );
        break;
      case "refused":
        this.fail(
          entry,
          new PublishError("refused", `JetStream refused ${describe(entry)}: ${outcome.reason}`),
        );
        break;
    }
    // a probe refused for its own reasons (a full stream) was still answered: the cluster is back
    if (wasProbe) this.resume();
  }

  /** The message goes back in line, in its order, and nothing new is sent until it is stored. */
  private retryLater(entry: Entry, problem: string): void {
    entry.lastProblem = problem;
    this.counts.lastProblem = problem;
    insertInOrder(this.queued, entry);
    if (!this.holding) {
      this.holding = true;
      this.nextProbeAt = this.clock() + this.retryDelay;
    }
  }

  /** The probe was stored: the cluster takes messages again; the waiting ones go, oldest first. */
  private resume(): void {
    if (!this.connected) return;
    this.holding = false;
    this.retryDelay = this.retryDelayMs;
    const queued = this.queued;
    this.queued = [];
    for (const entry of queued) this.send(entry);
  }

  private sweep(): void {
    const now = this.clock();
    for (const [token, entry] of this.awaiting) {
      if (now - entry.sentAt < this.ackTimeoutMs) continue;
      this.awaiting.delete(token);
      entry.token = undefined;
      if (entry === this.probe) {
        this.probe = undefined;
        this.retryDelay = Math.min(MAX_RETRY_DELAY_MS, this.retryDelay * 2);
      }
      this.retryLater(entry, `no acknowledgement within ${this.ackTimeoutMs} ms`);
    }
    for (const [token, entry] of this.awaiting) if (now >= entry.deadline) this.expire(entry, token);
    if (this.queued.length > 0 && this.queued.some((e) => now >= e.deadline)) {
      const expired = this.queued.filter((e) => now >= e.deadline);
      this.queued = this.queued.filter((e) => now < e.deadline);
      for (const entry of expired) this.expire(entry, undefined);
    }
    if (this.waiters.length > 0 && now >= this.waiters[0].giveUpAt) {
      const late = this.waiters.filter((w) => now >= w.giveUpAt);
      this.waiters = this.waiters.filter((w) => now < w.giveUpAt);
      this.counts.failures.busy += late.length;
      for (const w of late)
        w.reject(
          new PublishError(
            "busy",
            `the NATS publisher is busy: ${this.window} events have waited for JetStream's acknowledgement and no room opened for ${this.roomWaitMs} ms${this.holding ? ` (the cluster is not taking messages: ${this.counts.lastProblem})` : ""}`,
          ),
        );
    }
    if (!this.holding) return;
    if (this.queued.length === 0 && this.awaiting.size === 0) {
      // everything that failed has been given up on: nothing left to keep in order
      this.holding = false;
      this.retryDelay = this.retryDelayMs;
      return;
    }
    // probe only once every earlier attempt has answered: none of them can then land behind it
    if (this.connected && !this.probe && this.awaiting.size === 0 && now >= this.nextProbeAt) {
      const first = this.queued.shift();
      if (first) {
        this.probe = first;
        this.send(first);
      }
    }
  }

  private expire(entry: Entry, token: string | undefined): void {
    if (token !== undefined) this.awaiting.delete(token);
    if (entry === this.probe) this.probe = undefined;
    this.fail(
      entry,
      new PublishError(
        "timeout",
        `${describe(entry)} was not stored by JetStream within ${this.deadlineMs} ms (${entry.attempts} attempt${entry.attempts === 1 ? "" : "s"}; last problem: ${entry.lastProblem ?? "none"})`,
      ),
    );
  }

  private fail(entry: Entry, error: PublishError): void {
    this.counts.failures[error.failure]++;
    this.counts.lastProblem = error.message;
    this.settle();
    entry.reject(error);
  }

  /** The entry leaves the window: room for the next waiting sender. */
  private settle(): void {
    this.admitted--;
    while (this.waiters.length > 0 && this.admitted < this.window) {
      this.admitted++;
      this.waiters.shift()!.resolve();
    }
    if (this.admitted === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.statusFeed) {
      if (status.type === "disconnect") {
        this.connected = false;
        // answers to attempts sent on the lost connection will not come: send them again in order
        for (const [token, entry] of this.awaiting) {
          this.awaiting.delete(token);
          entry.token = undefined;
          if (entry === this.probe) this.probe = undefined;
          this.retryLater(entry, `the connection to ${status.server} was lost`);
        }
      } else if (status.type === "reconnect") {
        this.connected = true;
        this.nextProbeAt = this.clock();
      }
    }
  }

  private failEverything(reason: string): void {
    this.connected = false;
    const entries = [...this.awaiting.values(), ...this.queued];
    this.awaiting.clear();
    this.queued = [];
    this.probe = undefined;
    for (const entry of entries) this.fail(entry, new PublishError("closed", reason));
    for (const w of this.waiters.splice(0)) w.reject(new PublishError("closed", reason));
  }
}

function describe(entry: Entry): string {
  const id = entry.message.msgId;
  return `the message for ${entry.message.subject} (msg id ${id.length > 80 ? `${id.slice(0, 80)}…` : id})`;
}

function insertInOrder(entries: Entry[], entry: Entry): void {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].order < entry.order) lo = mid + 1;
    else hi = mid;
  }
  entries.splice(lo, 0, entry);
}
