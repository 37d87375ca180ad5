/**
 * The alert sink role: the cluster's alerts, read from the alerts stream with a durable
 * consumer, handed to this process's sinks, and acknowledged only once every sink took them.
 *
 * Delivery is at least once: a message is acknowledged after its alert is written, so a crash
 * in between, a sink that gave up (the message is nak'd and comes back later) or an ack lost
 * on the way delivers it again. Alert ids make that harmless where it matters: the store keeps
 * one copy per `kibana.alert.uuid`, webhooks skip the ids they delivered, and receivers dedupe
 * on it; files and stdout repeat it under the same id.
 *
 * Nodes that share a consumer name share the alerts (each alert goes to one of them); nodes
 * with their own names each get every alert. A new consumer starts at the stream's beginning,
 * so a sink that starts after the workers misses nothing.
 */
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { AlertDocument } from "../engine/alert.ts";
import { compileFieldGetter } from "../eql/field-access.ts";
import { ALERTS_STREAM } from "./topology.ts";

export interface AlertFeedOptions {
  /** the durable consumer's name */
  consumer: string;
  logger: Logger;
  /** hands alerts to the sinks: true once every sink took them, false to have them sent again later */
  deliver: (alerts: AlertDocument[]) => Promise<boolean>;
  /** alerts handed over and not yet acknowledged, at most (the consumer's max_ack_pending) */
  maxAckPending?: number;
  /** an alert not acknowledged within this is delivered again */
  ackWaitMs?: number;
  /** an alert a sink gave up on comes back after this */
  redeliverDelayMs?: number;
  /** a consumer nobody read for this long is deleted by the server */
  inactiveThresholdMs?: number;
  /** after a failed start, the first wait before the next try; each wait doubles, up to a minute */
  startRetryMs?: number;
}

export interface AlertFeedStats {
  /** alerts received (redeliveries included) */
  received: number;
  /** acknowledged after every sink took them */
  acknowledged: number;
  /** received again (after a nak, an ack wait or a restart) */
  redelivered: number;
  /** handed back because a sink gave up: they come again after a delay */
  retried: number;
  /** not an alert document (terminated: never delivered again) */
  invalid: number;
  /** alerts in the stream not yet delivered to this consumer, as of the last one received */
  pending: number;
  /** times reading ended without `stop` (the client gave up on the consumer) and was started again */
  restarts: number;
}

const NS_PER_MS = 1_000_000;
const DEFAULTS = {
  maxAckPending: 1000,
  ackWaitMs: 120_000,
  redeliverDelayMs: 10_000,
  inactiveThresholdMs: 7 * 24 * 3_600_000,
  startRetryMs: 1_000,
};
const MAX_START_RETRY_MS = 60_000;
const ALERT_ID = "kibana.alert.uuid";
/** dotted or nested, as the store reads it */
const alertId = compileFieldGetter(ALERT_ID);

export class AlertFeed {
  readonly stats: AlertFeedStats = {
    received: 0,
    acknowledged: 0,
    redelivered: 0,
    retried: 0,
    invalid: 0,
    pending: 0,
    restarts: 0,
  };
  private messages: ConsumerMessages | undefined;
  private running: Promise<void> | undefined;
  /** between a read loop's start and its end */
  private live = false;
  private stopping = false;
  private readonly handedOver = new Set<Promise<void>>();
  /** ends the wait between two start attempts when the feed is stopped */
  private wakeUp: (() => void) | undefined;
  private readonly settings: Required<Omit<AlertFeedOptions, "logger" | "deliver" | "consumer">>;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly options: AlertFeedOptions,
  ) {
    this.settings = {
      maxAckPending: options.maxAckPending ?? DEFAULTS.maxAckPending,
      ackWaitMs: options.ackWaitMs ?? DEFAULTS.ackWaitMs,
      redeliverDelayMs: options.redeliverDelayMs ?? DEFAULTS.redeliverDelayMs,
      inactiveThresholdMs: options.inactiveThresholdMs ?? DEFAULTS.inactiveThresholdMs,
      startRetryMs: options.startRetryMs ?? DEFAULTS.startRetryMs,
    };
  }

  get consumer(): string {
    return this.options.consumer;
  }

  /** Whether the feed reads the stream: false before it started, and while it tries again. */
  get reading(): boolean {
    return this.live && !this.stopping;
  }

  /**
   * Starts, and keeps trying while it cannot (no alerts stream or no leader yet, NATS away, a
   * permission missing): each failure is logged, the waits double up to a minute, and `stop`
   * ends the tries. Resolves once reading (true), or when stopped first (false).
   */
  async keepStarting(): Promise<boolean> {
    let waitMs = this.settings.startRetryMs;
    for (let attempt = 1; !this.stopping; attempt++) {
      try {
        await this.start();
        return this.reading;
      } catch (error) {
        if (this.stopping) break;
        this.options.logger.error(
          { err: error, consumer: this.options.consumer, attempt, retryInMs: waitMs },
          "NATS alerts: cannot read the alerts stream; no cluster alert reaches this node's sinks until it can",
        );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = undefined;
        waitMs = Math.min(2 * waitMs, MAX_START_RETRY_MS);
      }
    }
    return false;
  }

  /**
   * Creates the durable consumer if it is missing, then reads from it until `stop`. Should the
   * reading end before (the client ends it on a request the server refuses, a subscription
   * not permitted, the connection closed), it is logged and started again as `keepStarting` does.
   */
  async start(): Promise<void> {
    await this.ensureConsumer();
    const consumer = await this.js.consumers.get(ALERTS_STREAM, this.options.consumer);
    const messages = await consumer.consume({ max_messages: Math.min(256, this.settings.maxAckPending) });
    if (this.stopping) {
      // stopped while starting: nothing may read after stop returned (not awaited: the close
      // completes only once the messages are iterated, and these never will be)
      void messages.close();
      return;
    }
    this.messages = messages;
    this.live = true;
    void this.watch(messages);
    this.running = this.read(messages).then(
      () => this.readingEnded(undefined),
      (error: unknown) => this.readingEnded(error),
    );
  }

  /**
   * Stops reading; resolves once every alert handed over has been acknowledged or handed back.
   * Messages received but not yet handed over are delivered again after the ack wait.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeUp?.();
    await this.messages?.close();
    await this.running;
    await Promise.all(this.handedOver);
  }

  private async read(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      if (this.stopping) {
        // handed back at once rather than after the ack wait: the next reader gets it now
        m.nak();
        continue;
      }
      this.receive(m);
    }
  }

  private async readingEnded(error: unknown): Promise<void> {
    this.live = false;
    if (this.stopping) return;
    this.stats.restarts++;
    this.options.logger.error(
      { err: error, consumer: this.options.consumer },
      "NATS alerts: reading the alerts stream ended unasked; starting again (no cluster alert reaches this node's sinks meanwhile)",
    );
    if (await this.keepStarting())
      this.options.logger.info(
        { consumer: this.options.consumer },
        "NATS alerts: reading the alerts stream again",
      );
  }

  private receive(m: JsMsg): void {
    this.stats.received++;
    this.stats.pending = m.info.pending;
    if (m.redelivered) this.stats.redelivered++;
    const alert = decodeAlert(m.data);
    if (typeof alert === "string") {
      this.stats.invalid++;
      this.options.logger.error(
        { stream: ALERTS_STREAM, seq: m.seq, subject: m.subject, problem: alert },
        "a message of the alerts stream is not an alert document; it is dropped and will not be delivered again",
      );
      m.term();
      return;
    }
    const handed = this.options
      .deliver([alert])
      .then(
        (taken) => {
          if (taken) {
            m.ack();
            this.stats.acknowledged++;
            return;
          }
          this.stats.retried++;
          m.nak(this.settings.redeliverDelayMs);
        },
        (error) => {
          this.stats.retried++;
          this.options.logger.error({ err: error, seq: m.seq }, "handing an alert to the sinks failed");
          m.nak(this.settings.redeliverDelayMs);
        },
      )
      .finally(() => this.handedOver.delete(handed));
    this.handedOver.add(handed);
  }

  /** A consumer deleted under us (by hand, or unused past its inactive threshold) is created again. */
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (this.stopping) return;
      if (status.type === "consumer_not_found" || status.type === "consumer_deleted") {
        this.options.logger.warn(
          { consumer: this.options.consumer, status: status.type },
          "the alerts consumer is gone; creating it again",
        );
        await this.ensureConsumer().catch((error) =>
          this.options.logger.error({ err: error }, "creating the alerts consumer again failed"),
        );
      }
    }
  }

  private async ensureConsumer(): Promise<void> {
    try {
      await this.jsm.consumers.info(ALERTS_STREAM, this.options.consumer);
      return;
    } catch (error) {
      if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.ConsumerNotFound))
        throw error;
    }
    await this.jsm.consumers.add(ALERTS_STREAM, {
      durable_name: this.options.consumer,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      max_ack_pending: this.settings.maxAckPending,
      ack_wait: this.settings.ackWaitMs * NS_PER_MS,
      inactive_threshold: this.settings.inactiveThresholdMs * NS_PER_MS,
    });
    this.options.logger.info(
      { stream: ALERTS_STREAM, consumer: this.options.consumer },
      "created the alerts consumer: it starts at the stream's first alert",
    );
  }
}

/** The alert of a message, or why it is not one: alerts come from workers, but a stream is open to any publisher. */
export function decodeAlert(data: Uint8Array): AlertDocument | string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(data).toString("utf8"));
  } catch (error) {
    return `not JSON (${(error as Error).message})`;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return "not a JSON object";
  const id = alertId(value as AlertDocument);
  if (typeof id !== "string" || id === "") return `no ${ALERT_ID}`;
  return value as AlertDocument;
}
