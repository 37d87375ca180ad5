import type { DetectionEngine, RuleActivity } from "../engine/detection-engine.ts";
import type { IngestCounters } from "./ingest-context.ts";
import type { IngestQueue } from "./ingest-queue.ts";
import type { Pipeline } from "./pipeline.ts";
import { PrometheusText, type Sample } from "./prometheus.ts";
import type { SinkFanout } from "./sink-fanout.ts";

export interface ReloadCounters {
  ok: number;
  rejected: number;
  /** when the running rule set was loaded (ms) */
  loadedAt: number;
}

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
  ruleMetrics(out, m.pipeline.detection);
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
    )
    .family("eqlite_rule_reloads_total", "counter", "Rule set reloads.", [
      { labels: { result: "ok" }, value: m.reloads.ok },
      { labels: { result: "rejected" }, value: m.reloads.rejected },
    ])
    .family(
      "eqlite_rules_loaded_timestamp_seconds",
      "gauge",
      "When the running rule set was loaded.",
      m.reloads.loadedAt / 1000,
    );
  m.extra?.(out);
  return out.toString();
}

function ruleMetrics(out: PrometheusText, engine: DetectionEngine): void {
  const stats = engine.ruleStats;
  const activity = new Map(engine.activity().map((s) => [s.rule_id, s]));
  const per = (pick: (s: (typeof stats)[number]) => number): Sample[] =>
    stats.map((s) => ({ labels: { rule_id: s.rule_id, rule: s.name }, value: pick(s) }));
  const perActivity = (pick: (a: RuleActivity) => number): Sample[] =>
    stats.map((s) => {
      const a = activity.get(s.rule_id);
      return { labels: { rule_id: s.rule_id, rule: s.name }, value: a ? pick(a) : 0 };
    });
  out
    .family("eqlite_rules", "gauge", "Rules running.", stats.filter((s) => !s.disabled).length)
    .family(
      "eqlite_rule_evaluations_total",
      "counter",
      "Events a rule's query looked at (its index patterns and exceptions passed).",
      perActivity((a) => a.evaluated),
    )
    .family(
      "eqlite_rule_matches_total",
      "counter",
      "Matches of a rule's query.",
      per((s) => s.matches),
    )
    .family(
      "eqlite_rule_alerts_total",
      "counter",
      "Alerts of a rule (sequence shells, not building blocks).",
      per((s) => s.alerts),
    )
    .family(
      "eqlite_rule_over_max_signals_total",
      "counter",
      "Matches beyond max_signals in a rule interval: counted, not alerted.",
      per((s) => s.overLimit),
    )
    .family(
      "eqlite_rule_alert_errors_total",
      "counter",
      "Matches whose alert could not be built (an event nested too deep): counted, not alerted; the rule goes on.",
      per((s) => s.alertErrors),
    )
    .family(
      "eqlite_rule_suppressed_total",
      "counter",
      "Matches folded by alert_suppression.",
      per((s) => s.suppressed),
    )
    .family(
      "eqlite_rule_excepted_total",
      "counter",
      "Events removed by exceptions.",
      per((s) => s.excepted),
    )
    .family(
      "eqlite_rule_errors_total",
      "counter",
      "Run-time errors (the rule is disabled).",
      per((s) => s.errors),
    )
    .family(
      "eqlite_rule_disabled",
      "gauge",
      "1 when the rule failed and is disabled.",
      per((s) => (s.disabled ? 1 : 0)),
    )
    .family(
      "eqlite_rule_open_sequences",
      "gauge",
      "Partial sequences waiting for their next event.",
      perActivity((s) => s.openSequences),
    )
    .family(
      "eqlite_rule_buffered_events",
      "gauge",
      "Events held for ordering behind the watermark.",
      perActivity((s) => s.buffered),
    )
    .family(
      "eqlite_rule_late_events_total",
      "counter",
      "Events later than the allowed lateness (dropped by sequences).",
      perActivity((s) => s.late),
    );
}
