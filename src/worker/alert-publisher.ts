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
import type { AlertMessage } from "../nats/alert-message.ts";
import { errorText } from "./compare-and-set.ts";
import { retryUntilDone } from "./retry.ts";

export interface AlertPublisherStats {
  published: number;
  /** alerts JetStream already had under their id */
  duplicates: number;
  retries: number;
  /** given up because the partition that made them was fenced */
  abandoned: number;
}

export class AlertPublisher {
  readonly stats: AlertPublisherStats = { published: 0, duplicates: 0, retries: 0, abandoned: 0 };
  private inFlight = 0;
  private waiting: Array<() => void> = [];

  constructor(
    private readonly js: JetStreamClient,
    private readonly logger: Logger,
    private readonly maxInFlight: number,
    private readonly timeoutMs = 5_000,
  ) {}

  get full(): boolean {
    return this.inFlight >= this.maxInFlight;
  }

  /** Resolves once fewer than the maximum are in flight. */
  room(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /**
   * Publishes until stored; resolves true once JetStream has it, false if `abandon()` said to
   * stop first (the caller's partition was fenced, so nothing may depend on this alert).
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
      () =>
        this.js.publish(message.subject, message.body, {
          msgID: message.msgId,
          headers: message.headers,
          timeout: this.timeoutMs,
        }),
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
    if (ack.duplicate) this.stats.duplicates++;
    else this.stats.published++;
    return true;
  }
}
