import type { StoreSink } from "../io/sinks/store-sink.ts";
import type { WebhookSink } from "../io/sinks/webhook.ts";
import type { PrometheusText } from "./prometheus.ts";
import type { AlertStore } from "./store.ts";
import type { WriteAheadLog } from "./wal.ts";

export interface DurabilityView {
  wal: WriteAheadLog;
  replayed: number;
  pinned: boolean;
  checkpointAgeMs: number;
}

export interface StoreView {
  store: AlertStore;
  storeSink: StoreSink;
  webhooks: readonly WebhookSink[];
}

/** What /metrics shows of the write-ahead log (`--data-dir`): its size, its checkpoint, its replay. */
export function durabilityMetrics(out: PrometheusText, v: DurabilityView): void {
  const wal = v.wal.stats;
  out
    .family("eqlite_wal_bytes", "gauge", "Bytes the write-ahead log holds on disk.", wal.bytes)
    .family(
      "eqlite_wal_max_bytes",
      "gauge",
      "The write-ahead log's size bound; beyond, ingest answers 429.",
      wal.maxBytes,
    )
    .family("eqlite_wal_segments", "gauge", "Segment files of the write-ahead log.", wal.segments)
    .family(
      "eqlite_wal_events_total",
      "counter",
      "Events written to the write-ahead log by this process.",
      wal.events,
    )
    .family(
      "eqlite_wal_syncs_total",
      "counter",
      "fdatasync calls of the write-ahead log (group commits).",
      wal.syncs,
    )
    .family(
      "eqlite_wal_failed_appends_total",
      "counter",
      "Batches the write-ahead log refused because it could not be written (answered 503).",
      wal.failedAppends,
    )
    .family(
      "eqlite_wal_broken",
      "gauge",
      "1 when the write-ahead log can take no more writes until eqlite is restarted (see /readyz).",
      v.wal.broken ? 1 : 0,
    )
    .family(
      "eqlite_wal_checkpoint_lag_events",
      "gauge",
      "Events after the checkpoint: what a restart would run through the rules again.",
      wal.nextSeq - wal.checkpoint,
    )
    .family(
      "eqlite_wal_checkpoint_age_seconds",
      "gauge",
      "Seconds since the checkpoint last moved (0 while nothing is after it).",
      v.checkpointAgeMs / 1000,
    )
    .family(
      "eqlite_wal_checkpoint_pinned",
      "gauge",
      "1 when a sink gave up on alerts: the checkpoint stays put until the next start replays them.",
      v.pinned ? 1 : 0,
    )
    .family(
      "eqlite_wal_replayed_events_total",
      "counter",
      "Events replayed from the log at start.",
      v.replayed,
    );
}

/** What /metrics shows of the alert store and the webhooks (`--data-dir`). */
export function storeMetrics(out: PrometheusText, v: StoreView): void {
  out
    .family("eqlite_store_alerts", "gauge", "Alerts in the store.", v.store.countAlerts())
    .family(
      "eqlite_store_duplicate_alerts_total",
      "counter",
      "Alerts the store already had (replays, redeliveries): not written again.",
      v.storeSink.duplicates,
    );
  if (v.webhooks.length === 0) return;
  const per = (pick: (s: WebhookSink["stats"]) => number) =>
    v.webhooks.map((w) => ({ labels: { sink: w.name }, value: pick(w.stats) }));
  out
    .family(
      "eqlite_webhook_alerts_delivered_total",
      "counter",
      "Alerts a webhook delivered.",
      per((s) => s.delivered),
    )
    .family(
      "eqlite_webhook_retries_total",
      "counter",
      "Webhook requests sent again after a failure.",
      per((s) => s.retries),
    )
    .family(
      "eqlite_webhook_failing_seconds",
      "gauge",
      "How long the webhook's receiver has failed every request (retried until the retry timeout); 0 while it answers.",
      per((s) => s.failingForMs / 1000),
    )
    .family(
      "eqlite_webhook_alerts_dead_lettered_total",
      "counter",
      "Alerts written to the dead-letter file (refused, undelivered at their retry timeout, or queue full).",
      per((s) => s.deadLettered),
    )
    .family(
      "eqlite_webhook_alerts_queue_full_total",
      "counter",
      "Of the alerts dead-lettered, those that found a queue full: the webhook's, or --sink-queue-alerts in front of it.",
      per((s) => s.overflowed),
    )
    .family(
      "eqlite_webhook_batches_split_total",
      "counter",
      "Webhook requests refused as too large (413) and sent again in halves.",
      per((s) => s.split),
    )
    .family(
      "eqlite_webhook_alerts_skipped_total",
      "counter",
      "Alerts not sent again: the store records them as delivered (replays).",
      per((s) => s.skipped),
    )
    .family(
      "eqlite_webhook_queue_alerts",
      "gauge",
      "Alerts waiting for a webhook.",
      per((s) => s.queued),
    );
}
