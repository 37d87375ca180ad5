import { PrometheusText } from "../server/prometheus.ts";
import { type ReloadCounters, reloadMetrics, ruleMetrics } from "../server/rule-metrics.ts";
import type { AlertPublisherStats } from "./alert-publisher.ts";
import type { MemberRecord } from "./membership.ts";
import type { RuleTally } from "./rule-tallies.ts";

/** What the membership record does not say. */
export interface WorkerLiveState {
  /** per owned partition: events stored and not yet delivered, as of its last delivered message */
  pending: ReadonlyArray<{ partition: string; events: number }>;
  publisher: AlertPublisherStats;
  /** takeovers that found messages deleted past the checkpoint before any worker read them */
  deletedUnread: { gaps: number; sequences: number; streamRecreated: number };
  connected: boolean;
  /** partitions this worker stopped running, by how */
  partitionEnds: { stopped: number; failed: number };
  reloads: ReloadCounters;
  /** the running rules, summed over the partitions */
  rules: RuleTally;
}

/**
 * A worker's state in the Prometheus text format: what its membership record tells the
 * others and `eqlite status`, what it holds, and how its alerts reach the alerts stream.
 * Counters count since the process started.
 */
export function workerMetrics(
  record: MemberRecord,
  { pending, publisher, deletedUnread, connected, partitionEnds, reloads, rules }: WorkerLiveState,
): string {
  const text = new PrometheusText()
    .family(
      "eqlite_worker_info",
      "gauge",
      "This worker: its name, eqlite's version and its rule set's hash.",
      [
        {
          labels: { worker: record.worker, version: record.version, rules_hash: record.rules.hash },
          value: 1,
        },
      ],
    )
    .family("eqlite_worker_start_time_seconds", "gauge", "When the process started.", record.since / 1000)
    .family("eqlite_worker_partitions", "gauge", "The deployment's partition count.", record.partitions)
    .family(
      "eqlite_worker_partitions_owned",
      "gauge",
      "Partitions (global included) this worker runs now.",
      record.owned.length,
    )
    .family("eqlite_worker_rules", "gauge", "Rules loaded, by where they run.", [
      { labels: { scope: "host" }, value: record.rules.hostRules },
      { labels: { scope: "global" }, value: record.rules.globalRules },
    ])
    .family(
      "eqlite_worker_events_processed_total",
      "counter",
      "Events run through the rules.",
      record.counters.events,
    )
    .family(
      "eqlite_worker_events_bad_total",
      "counter",
      "Event messages that could not be read.",
      record.counters.bad,
    )
    .family(
      "eqlite_worker_takeover_gaps_total",
      "counter",
      "Takeovers that found the events stream had deleted messages past the partition's checkpoint before any worker read them (max age, limits, a purge).",
      deletedUnread.gaps,
    )
    .family(
      "eqlite_worker_takeover_gap_sequences_total",
      "counter",
      "The stream sequences those deletions spanned: all unread by the global partition; a host partition's events among them, if any.",
      deletedUnread.sequences,
    )
    .family(
      "eqlite_worker_takeover_stream_recreated_total",
      "counter",
      "Takeovers whose checkpoint counted an earlier events stream (deleted and created again): the partition started again from the checkpoint's time.",
      deletedUnread.streamRecreated,
    )
    .family("eqlite_worker_alerts_total", "counter", "Alerts raised.", record.counters.alerts)
    .family(
      "eqlite_worker_alerts_suppressed_total",
      "counter",
      "Alerts raised again while replaying events up to a taken-over checkpoint: published before, not again.",
      record.counters.suppressed,
    )
    .family(
      "eqlite_worker_partitions_fenced_total",
      "counter",
      "Partitions lost to a newer owner while this worker ran them.",
      record.counters.fenced,
    )
    .family(
      "eqlite_worker_partitions_handed_over_total",
      "counter",
      "Partitions this worker handed over cleanly (checkpointed) to another.",
      partitionEnds.stopped,
    )
    .family(
      "eqlite_worker_partitions_failed_total",
      "counter",
      "Partitions that failed here (taking over or consuming); each is tried again after 5 s.",
      partitionEnds.failed,
    )
    .family(
      "eqlite_worker_pending_events",
      "gauge",
      "The lag: events stored for the owned partitions and not yet delivered to this worker, as of each one's last delivered message.",
      pending.reduce((sum, p) => sum + p.events, 0),
    )
    .family(
      "eqlite_worker_partition_pending_events",
      "gauge",
      "The lag of each owned partition: events stored and not yet delivered, as of its last delivered message.",
      pending.map((p) => ({ labels: { partition: p.partition }, value: p.events })),
    )
    .family(
      "eqlite_worker_buffered_events",
      "gauge",
      "Events the engines hold for ordering.",
      record.holding?.buffered ?? 0,
    )
    .family(
      "eqlite_worker_open_sequences",
      "gauge",
      "Open partial sequences.",
      record.holding?.openSequences ?? 0,
    )
    .family(
      "eqlite_worker_alerts_published_total",
      "counter",
      "Alerts stored in the alerts stream.",
      publisher.published,
    )
    .family(
      "eqlite_worker_alerts_duplicate_total",
      "counter",
      "Alerts the stream already held (a replay's or a retry's).",
      publisher.duplicates,
    )
    .family(
      "eqlite_worker_alert_publish_retries_total",
      "counter",
      "Alert publish attempts beyond each alert's first.",
      publisher.retries,
    )
    .family(
      "eqlite_worker_alerts_abandoned_total",
      "counter",
      "Alerts given up because the partition that raised them was fenced, or its handover passed --stop-timeout.",
      publisher.abandoned,
    )
    .family(
      "eqlite_worker_alerts_trimmed_total",
      "counter",
      "Alerts larger than a NATS message, published without their largest source fields.",
      publisher.trimmed,
    )
    .family(
      "eqlite_worker_alerts_too_large_total",
      "counter",
      "Alerts larger than a NATS message even without their source fields: not published.",
      publisher.tooLarge,
    )
    .family(
      "eqlite_worker_alerts_unencodable_total",
      "counter",
      "Alerts that could not be written as a message (a bug, or a value JSON cannot hold): not published.",
      publisher.unencodable,
    )
    .family("eqlite_worker_nats_connected", "gauge", "1 while the NATS connection is up.", connected ? 1 : 0);
  ruleMetrics(text, rules.stats, rules.activity);
  reloadMetrics(text, reloads);
  return text.toString();
}
