import type { AlertFeedStats } from "../nats/alert-feed.ts";
import type { PublisherStats } from "../nats/publisher.ts";
import type { PrometheusText } from "./prometheus.ts";

export interface NatsView {
  connected: boolean;
  publisher: PublisherStats;
  /** events accepted over HTTP and waiting for JetStream's acknowledgement */
  pendingEvents: number;
  /** absent when this node does not consume the alerts stream */
  feed?: { consumer: string; stats: AlertFeedStats; reading: boolean };
}

/** What /metrics shows of an ingest node of a NATS deployment: its publisher, and its alerts consumer. */
export function natsMetrics(out: PrometheusText, v: NatsView): void {
  const p = v.publisher;
  out
    .family("eqlite_nats_connected", "gauge", "1 while connected to a NATS server.", v.connected ? 1 : 0)
    .family(
      "eqlite_nats_publish_in_flight",
      "gauge",
      "Events sent to JetStream (or waiting to be sent again) and not yet acknowledged.",
      p.inFlight,
    )
    .family(
      "eqlite_nats_publish_window",
      "gauge",
      "Events in flight to JetStream at most; senders wait beyond.",
      p.window,
    )
    .family(
      "eqlite_nats_publish_pending_events",
      "gauge",
      "Events of HTTP requests waiting for JetStream (in flight or waiting for room); beyond queue_events, 429.",
      v.pendingEvents,
    )
    .family("eqlite_nats_published_total", "counter", "Events JetStream stored (first copies).", p.published)
    .family(
      "eqlite_nats_publish_duplicates_total",
      "counter",
      "Events JetStream already had (same message id within its duplicate window): stored once.",
      p.duplicates,
    )
    .family(
      "eqlite_nats_publish_retries_total",
      "counter",
      "Events sent again after no acknowledgement, a lost connection or a cluster without a leader.",
      p.retries,
    )
    .family(
      "eqlite_nats_publish_failures_total",
      "counter",
      "Events given up on (busy: no room in the window in time; stream_full: the stream's limits; timeout: not stored in time).",
      Object.entries(p.failures).map(([reason, value]) => ({
        labels: { reason: reason.replace(/-/g, "_") },
        value,
      })),
    )
    .family(
      "eqlite_nats_publish_holding",
      "gauge",
      "1 while JetStream does not take events: new ones wait and the failed ones are sent again in order.",
      p.holding ? 1 : 0,
    );
  if (!v.feed) return;
  const f = v.feed.stats;
  const consumer = { consumer: v.feed.consumer };
  out
    .family(
      "eqlite_nats_alert_feed_reading",
      "gauge",
      "1 while this node reads the alerts stream; 0 before it could start, or after reading ended, while it tries again (see the log).",
      [{ labels: consumer, value: v.feed.reading ? 1 : 0 }],
    )
    .family(
      "eqlite_nats_alert_feed_restarts_total",
      "counter",
      "Times reading the alerts stream ended without being asked to (the client gave up on the consumer) and was started again.",
      [{ labels: consumer, value: f.restarts }],
    )
    .family(
      "eqlite_nats_alerts_received_total",
      "counter",
      "Alerts read from the alerts stream (redeliveries included).",
      [{ labels: consumer, value: f.received }],
    )
    .family(
      "eqlite_nats_alerts_acknowledged_total",
      "counter",
      "Alerts acknowledged after every sink took them.",
      [{ labels: consumer, value: f.acknowledged }],
    )
    .family(
      "eqlite_nats_alerts_redelivered_total",
      "counter",
      "Alerts delivered again (after a sink gave up, an ack wait, a restart).",
      [{ labels: consumer, value: f.redelivered }],
    )
    .family(
      "eqlite_nats_alerts_retried_total",
      "counter",
      "Alerts handed back because a sink gave up: delivered again later.",
      [{ labels: consumer, value: f.retried }],
    )
    .family(
      "eqlite_nats_alerts_invalid_total",
      "counter",
      "Messages of the alerts stream that are not alert documents (dropped).",
      [{ labels: consumer, value: f.invalid }],
    )
    .family(
      "eqlite_nats_alerts_pending",
      "gauge",
      "Alerts in the stream not yet delivered to this consumer (as of the last one received).",
      [{ labels: consumer, value: f.pending }],
    );
}
