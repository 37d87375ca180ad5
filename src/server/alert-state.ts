import { join } from "node:path";
import type { Logger } from "pino";
import { makeDirectory } from "../io/make-directory.ts";
import { StoreSink } from "../io/sinks/store-sink.ts";
import { WebhookSink } from "../io/sinks/webhook.ts";
import { alertsApi } from "./api-routes.ts";
import type { ServeConfig } from "./config.ts";
import { lockDataDir } from "./data-dir-lock.ts";
import { storeMetrics } from "./durability-metrics.ts";
import type { PrometheusText } from "./prometheus.ts";
import { RuleStatsRecorder } from "./rule-stats-recorder.ts";
import { type RunningPipeline, ServeError, type ServeExtensions } from "./service.ts";
import { AlertStore } from "./store.ts";
import { webhookTargets } from "./webhook-targets.ts";

/**
 * What a data directory keeps of alerts, whoever finds them: the store (`DIR/eqlite.db`) with
 * its alerts API and retention, and the webhooks, whose delivery records and dead letters live
 * there too. It holds the directory's lock (data-dir-lock.ts) from open to close: it is opened
 * first, before the write-ahead log, which no other process may touch meanwhile. The rules running here (with the write-ahead log, see durability.ts) and the
 * cluster's workers (an ingest node consuming the alerts stream) both deliver through it.
 */
export interface AlertState {
  readonly store: AlertStore;
  readonly storeSink: StoreSink;
  readonly webhooks: readonly WebhookSink[];
  /** sinks, the alerts API, the timers (rule counters every 10 s, retention hourly), the metrics */
  readonly extensions: Pick<ServeExtensions, "sinks" | "plugins" | "attach" | "metrics">;
  /** records the rules' counters a last time, stops the timers and closes the store */
  close(): void;
}

export interface AlertStateOptions {
  logger: Logger;
  clock?: () => number;
  /** add the local rules' counters to the store (not on a NATS ingest node: its rules do not run) */
  recordRuleStats?: boolean;
}

const RULE_STATS_EVERY_MS = 10_000;
const RETENTION_EVERY_MS = 60 * 60 * 1000;
export const DEAD_LETTER_FILE = "webhook-dead-letters.ndjson";

export function openAlertState(config: ServeConfig, options: AlertStateOptions): AlertState {
  const { logger } = options;
  const clock = options.clock ?? Date.now;
  const dataDir = config.dataDir;
  if (!dataDir) throw new ServeError("the alert store needs a data directory (--data-dir)");
  makeDirectory(dataDir);
  const lock = lockDataDir(dataDir);
  let store: AlertStore;
  try {
    store = AlertStore.open(join(dataDir, "eqlite.db"), { now: clock });
  } catch (error) {
    lock.release();
    throw new ServeError(`cannot open the alert store in ${dataDir}: ${(error as Error).message}`);
  }
  const storeSink = new StoreSink(store);
  const webhooks = webhookTargets(config).map(
    (target) =>
      new WebhookSink({
        ...target,
        deadLetterPath: join(dataDir, DEAD_LETTER_FILE),
        retryTimeoutMs: config.webhookRetryTimeoutMs,
        deliveryLog: store,
        logger,
      }),
  );
  for (const w of webhooks) logger.info({ sink: w.name }, "alerts are POSTed to a webhook");

  const recorder = new RuleStatsRecorder(store);
  const timers: NodeJS.Timeout[] = [];
  let running: RunningPipeline | undefined;
  const recordStats = () => {
    if (!running || options.recordRuleStats === false) return;
    try {
      recorder.record(running.pipeline.detection.ruleStats);
    } catch (error) {
      logger.error({ err: error }, "could not record the rules' counters in the store");
    }
  };
  const retain = () => {
    try {
      const result = store.applyRetention({
        maxAgeDays: config.retentionDays > 0 ? config.retentionDays : undefined,
        maxAlerts: config.maxAlerts > 0 ? config.maxAlerts : undefined,
      });
      if (result.deletedByAge + result.deletedByCount > 0)
        logger.info({ ...result }, "retention: old alerts deleted from the store");
    } catch (error) {
      logger.error({ err: error }, "retention failed");
    }
  };

  return {
    store,
    storeSink,
    webhooks,
    extensions: {
      sinks: [storeSink, ...webhooks],
      plugins: [{ plugin: alertsApi, options: { store } }],
      attach: (r) => {
        running = r;
        timers.push(setInterval(recordStats, RULE_STATS_EVERY_MS));
        timers.push(setInterval(retain, RETENTION_EVERY_MS));
        for (const t of timers) t.unref();
        retain();
      },
      metrics: (out: PrometheusText) => storeMetrics(out, { store, storeSink, webhooks }),
    },
    close: () => {
      for (const t of timers) clearInterval(t);
      recordStats();
      store.close();
      lock.release();
    },
  };
}
