import type { RuleActivity, RuleStats } from "../engine/detection-engine.ts";
import type { PrometheusText, Sample } from "./prometheus.ts";

export interface ReloadCounters {
  ok: number;
  rejected: number;
  /** when the running rule set was loaded (ms) */
  loadedAt: number;
}

/**
 * Per-rule metrics, the same for `serve` (one engine) and a worker (its partitions' engines
 * summed): one series per rule, labelled with its id and name.
 */
export function ruleMetrics(
  out: PrometheusText,
  stats: readonly RuleStats[],
  activities: readonly RuleActivity[],
): void {
  const activity = new Map(activities.map((s) => [s.rule_id, s]));
  const per = (pick: (s: RuleStats) => number): Sample[] =>
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
      "eqlite_rule_filtered_total",
      "counter",
      "Events removed by the rule's filters.",
      per((s) => s.filtered),
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
      "1 when the rule failed and is disabled (on a worker: in any of its partitions).",
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
    )
    .family(
      "eqlite_rule_future_events_total",
      "counter",
      "Events dated more than a minute ahead of the clock (dropped by sequences and samples).",
      perActivity((s) => s.future),
    )
    .family(
      "eqlite_rule_evicted_total",
      "counter",
      "Partial sequences evicted, and sample keys refused, at the cap on what a rule holds: their matches are lost.",
      perActivity((s) => s.evicted),
    );
}

/** Reloads of the rule set, and when the running one was loaded. */
export function reloadMetrics(out: PrometheusText, reloads: ReloadCounters): void {
  out
    .family("eqlite_rule_reloads_total", "counter", "Rule set reloads.", [
      { labels: { result: "ok" }, value: reloads.ok },
      { labels: { result: "rejected" }, value: reloads.rejected },
    ])
    .family(
      "eqlite_rules_loaded_timestamp_seconds",
      "gauge",
      "When the running rule set was loaded.",
      reloads.loadedAt / 1000,
    );
}
