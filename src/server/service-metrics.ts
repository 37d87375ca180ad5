import type { IngestCounters } from "./ingest-context.ts";
import type { IngestQueue } from "./ingest-queue.ts";
import type { Pipeline } from "./pipeline.ts";
import { PrometheusText, type Sample } from "./prometheus.ts";
import { type ReloadCounters, reloadMetrics, ruleMetrics } from "./rule-metrics.ts";
import type { SinkFanout } from "./sink-fanout.ts";

export interface MetricsSources {
  counters: IngestCounters;
  queue: IngestQueue;
  pipeline: Pipeline;
  fanout: SinkFanout;
  reloads: ReloadCounters;
  allowedLatenessMs: number;
  clock: () => number;
  /** families added by extensions (the write-ahead log, the store) */
  extra?: (out: PrometheusText) => void;
}

/** Every metric of the service, in the Prometheus text format. Names start with `eqlite_`. */
export function renderMetrics(m: MetricsSources): string {
  const out = new PrometheusText();
  const endpoints = (table: Record<string, number>): Sample[] =>
    Object.entries(table).map(([endpoint, value]) => ({ labels: { endpoint }, value }));
  out
    .family(
      "eqlite_events_received_total",
      "counter",
      "Events accepted for the rules.",
      endpoints(m.counters.received),
    )
    .family(
      "eqlite_events_bad_total",
      "counter",
      "Documents refused: malformed, not objects, unsupported actions.",
      endpoints(m.counters.bad),
    )
    .family(
      "eqlite_events_duplicate_total",
      "counter",
      "Documents re-sent under an _id already accepted (answered, not run again).",
      m.counters.duplicates,
    )
    .family(
      "eqlite_http_responses_total",
      "counter",
      "HTTP answers by status code (429: queue full, 413: too large, 401: no or wrong credentials).",
      [...m.counters.responses].map(([status, value]) => ({ labels: { status: String(status) }, value })),
    )
    .family("eqlite_queue_events", "gauge", "Events accepted and waiting for the rules.", m.queue.depth)
    .family(
      "eqlite_queue_capacity_events",
      "gauge",
      "Events the ingest queue holds at most.",
      m.queue.capacity,
    )
    .family(
      "eqlite_events_processed_total",
      "counter",
      "Events run through the rules.",
      m.pipeline.stats.events,
    )
    .family(
      "eqlite_alerts_total",
      "counter",
      "Alerts written (building blocks included).",
      m.pipeline.stats.alerts,
    )
    .family(
      "eqlite_queue_wait_seconds",
      "gauge",
      "How long the last batch waited in the queue.",
      m.pipeline.stats.lastQueueWaitMs / 1000,
    );
  const newest = m.pipeline.stats.newestEventMs;
  out.family(
    "eqlite_watermark_lag_seconds",
    "gauge",
    "Wall clock minus the watermark (newest @timestamp seen minus the allowed lateness); NaN before the first event.",
    newest === null ? Number.NaN : (m.clock() - (newest - m.allowedLatenessMs)) / 1000,
  );
  ruleMetrics(out, m.pipeline.detection.ruleStats, m.pipeline.detection.activity());
  const sinks = m.fanout.stats();
  const bySink = (pick: (s: (typeof sinks)[number]) => number): Sample[] =>
    sinks.map((s) => ({ labels: { sink: s.name }, value: pick(s) }));
  out
    .family(
      "eqlite_sink_alerts_written_total",
      "counter",
      "Alerts a sink wrote.",
      bySink((s) => s.written),
    )
    .family(
      "eqlite_sink_write_failures_total",
      "counter",
      "Failed sink writes (each retry counts).",
      bySink((s) => s.failures),
    )
    .family(
      "eqlite_sink_alerts_dropped_total",
      "counter",
      "Alerts a sink gave up on (retries exhausted or queue full).",
      bySink((s) => s.dropped),
    )
    .family(
      "eqlite_sink_queue_alerts",
      "gauge",
      "Alerts waiting for a sink.",
      bySink((s) => s.queued),
    );
  reloadMetrics(out, m.reloads);
  m.extra?.(out);
  return out.toString();
}
