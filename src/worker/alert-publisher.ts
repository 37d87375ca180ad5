/**
 * Alerts to the alerts stream, acknowledged. Each alert is published with its id as
 * `Nats-Msg-Id` and retried with the same id until JetStream stores it (or the partition that
 * made it is fenced), so a retry, a replaying successor or a fenced former owner never adds a
 * second copy. The number in flight is bounded: a partition runner waits for room before it
 * publishes more, which slows its consumption instead of growing memory. Alerts are few, so
 * the plain request/acknowledge publish is enough here.
 */
import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { AlertDocument } from "../engine/alert.ts";
import { ALERT_HEADROOM_BYTES, fitAlert } from "../nats/alert-fit.ts";
import { type AlertMessage, encodeAlertMessage } from "../nats/alert-message.ts";
import { errorText } from "./compare-and-set.ts";
import { retryUntilDone } from "./retry.ts";

export interface AlertPublisherStats {
  published: number;
  /** alerts JetStream already had under their id */
  duplicates: number;
  retries: number;
  /** given up because the partition that made them was fenced, or its handover timed out */
  abandoned: number;
  /** larger than a NATS message: published without their largest source fields */
  trimmed: number;
  /** larger than a NATS message even so: not published (logged) */
  tooLarge: number;
  /** could not be written as a message at all (a bug, or a value JSON cannot hold): not published (logged) */
  unencodable: number;
}

export class AlertPublisher {
  readonly stats: AlertPublisherStats = {
    published: 0,
    duplicates: 0,
    retries: 0,
    abandoned: 0,
    trimmed: 0,
    tooLarge: 0,
    unencodable: 0,
  };
  private inFlight = 0;
  private waiting: Array<() => void> = [];

  constructor(
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
    private readonly maxInFlight: number,
    /** the NATS server's max_payload, as the connection last heard it */
    private readonly maxPayload: () => number | undefined = () => undefined,
    private readonly timeoutMs = 5_000,
  ) {}

  /**
   * The alert as a message JetStream can store (alert-fit.ts), or undefined for one that cannot
   * be made to fit or cannot be written at all (logged, counted): a message past max_payload
   * would be refused for ever, and an alert that cannot be written would fail at every retry.
   */
  encode(alert: AlertDocument): AlertMessage | undefined {
    let message: AlertMessage;
    try {
      message = encodeAlertMessage(alert);
    } catch (error) {
      this.stats.unencodable++;
      this.logger.error(
        {
          alert: String(alert["kibana.alert.uuid"]),
          rule_id: String(alert["kibana.alert.rule.rule_id"]),
          unencodable: this.stats.unencodable,
          err: errorText(error),
        },
        "an alert could not be encoded; dropped",
      );
      return undefined;
    }
    const maxPayload = this.maxPayload();
    if (maxPayload === undefined) return message;
    const limit = maxPayload - ALERT_HEADROOM_BYTES;
    if (message.body.length <= limit) return message;
    const about = {
      alert: message.msgId,
      rule_id: alert["kibana.alert.rule.rule_id"],
      bytes: message.body.length,
    };
    const fitted = fitAlert(alert, limit);
    if (!fitted) {
      this.stats.tooLarge++;
      this.logger.error(
        { ...about, maxPayload },
        "an alert is larger than the NATS server's max_payload even without its source fields; not published",
      );
      return undefined;
    }
    this.stats.trimmed++;
    this.logger.warn(
      { ...about, maxPayload, omitted: fitted.omitted.slice(0, 8), omittedCount: fitted.omitted.length },
      "an alert is larger than the NATS server's max_payload; published without its largest source fields (eqlite.omitted_fields)",
    );
    return encodeAlertMessage(fitted.alert);
  }

  get full(): boolean {
    return this.inFlight >= this.maxInFlight;
  }

  /** Resolves once fewer than the maximum are in flight. */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Publishes until stored; resolves true once settled — JetStream has it, or it is larger than
   * the server takes (refused for good: logged and counted, never retried) — and false if
   * `abandon()` said to stop first (the caller's partition was fenced, so nothing may depend on
   * this alert).
   */
  send(message: AlertMessage, abandon: () => boolean): Promise<boolean> {
    this.inFlight++;
    return this.attempt(message, abandon).finally(() => {
      this.inFlight--;
      this.waiting.shift()?.();
    });
  }

  private async attempt(message: AlertMessage, abandon: () => boolean): Promise<boolean> {
    const ack = await retryUntilDone(
      async () => {
        try {
          return await this.js.publish(message.subject, message.body, {
            msgID: message.msgId,
            headers: message.headers,
            timeout: this.timeoutMs,
          });
        } catch (error) {
          // a max_payload that shrank since `encode` (a server reloaded with less): no retry helps
          if (/max_payload/i.test(errorText(error))) return TOO_LARGE;
          throw error;
        }
      },
      {
        abandoned: abandon,
        failed: (error, attempt, loud) => {
          this.stats.retries++;
          if (loud)
            this.logger.warn(
              { alert: message.msgId, attempt, err: errorText(error) },
              "publishing an alert failed; retrying",
            );
        },
      },
    );
    if (!ack) {
      this.stats.abandoned++;
      return false;
    }
    if (ack === TOO_LARGE) {
      this.stats.tooLarge++;
      this.logger.error(
        { alert: message.msgId, bytes: message.body.length },
        "an alert is larger than the NATS server's max_payload; not published",
      );
      return true;
    }
    if (ack.duplicate) this.stats.duplicates++;
    else this.stats.published++;
    return true;
  }
}

/** What a publish refused for its size settles as. */
const TOO_LARGE = Symbol("too large");
