import type { AlertDocument } from "../../engine/alert.ts";

/**
 * Where alerts go: stdout, files, webhooks, the embedded store.
 *
 * `write` resolves once the alerts are handled for good — written, delivered,
 * or (for a sink that has one) put in its dead-letter file — and rejects when
 * they are not, so the pipeline knows which events it may checkpoint past.
 * Sinks never change the documents they are given: the same objects go to every
 * sink. `close` finishes what was accepted (or gives up on it, rejecting those
 * writes), then releases files and connections.
 */
export interface AlertSink {
  /** unique among the sinks of a pipeline; names delivery records and log lines */
  readonly name: string;
  write(alerts: readonly AlertDocument[]): Promise<void>;
  /**
   * The service is stopping: what the sink cannot hand on soon must not hold the shutdown
   * (a webhook whose receiver is down would retry for minutes). Writes still arrive — the
   * last alerts of the drain — and `close` follows once they are settled.
   */
  stopping?(): void;
  /**
   * Takes alerts that a full queue in front of the sink pushed out, and keeps them where they are
   * handled for good — a webhook's dead-letter file — so that a long outage loses none; `reason`
   * names the bound. Resolves as `write` does. A sink without it has them dropped (counted).
   */
  setAside?(alerts: readonly AlertDocument[], reason: string): Promise<void>;
  close(): Promise<void>;
}
