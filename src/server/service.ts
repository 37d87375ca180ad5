import { closeSync, openSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { ReloadSummary } from "../engine/detection-engine.ts";
import { makeDirectory } from "../io/make-directory.ts";
import type { AlertSink } from "../io/sinks/alert-sink.ts";
import { NdjsonSink } from "../io/sinks/ndjson-sink.ts";
import { RotatingFileSink } from "../io/sinks/rotating-file.ts";
import { type AppPlugin, buildApp } from "./app.ts";
import { hasCredentials, isLoopback } from "./auth.ts";
import { type ServeConfig, writesToStdout } from "./config.ts";
import { type AcceptStep, acceptAll, type Handoff, type IngestBatch } from "./ingest-batch.ts";
import { emptyCounters, type IngestContext } from "./ingest-context.ts";
import { IngestQueue } from "./ingest-queue.ts";
import { Intake } from "./intake.ts";
import { createLogger } from "./logger.ts";
import type { Readiness } from "./ops-routes.ts";
import { Pipeline } from "./pipeline.ts";
import type { PrometheusText } from "./prometheus.ts";
import { RecentIds } from "./recent-ids.ts";
import { loadRuleBundle, RuleBundleError } from "./rule-bundle.ts";
import type { ReloadCounters } from "./rule-metrics.ts";
import { type RulesWatcher, watchRules } from "./rules-watcher.ts";
import { renderMetrics } from "./service-metrics.ts";
import { SinkFanout } from "./sink-fanout.ts";
import { UploadsInProgress } from "./uploads-in-progress.ts";

/**
 * What other parts of the service plug in, without this file knowing them: the
 * write-ahead log (accept, processed, replay), the alert store (a sink, and its API
 * as a plugin), more sinks (rotated files, webhooks).
 */
export interface ServeExtensions {
  /** awaited for every batch before its request is answered: the write-ahead log's append */
  accept?: AcceptStep;
  /** after a batch's alerts reached every sink: the write-ahead log's checkpoint */
  onProcessed?: (batch: IngestBatch) => void | Promise<void>;
  /** batches run through the rules before the service listens: the write-ahead log's replay */
  replay?: () => AsyncIterable<IngestBatch>;
  sinks?: readonly AlertSink[];
  plugins?: readonly AppPlugin[];
  /** last step of a shutdown, after the sinks are flushed and closed */
  close?: () => Promise<void>;
  /** called once the pipeline runs, before any replay: the checkpoint watches the engine and the sinks */
  attach?: (running: RunningPipeline) => void;
  /** more metric families for /metrics (the log's size, the checkpoint's lag) */
  metrics?: (out: PrometheusText) => void;
  /**
   * accepted events are handed elsewhere (NATS JetStream, for eqlite workers) instead of
   * being run through the rules here; `accept` and `replay` do not apply then
   */
  handoff?: Handoff;
  /** what /readyz says of the extension: not ready (why), and details for the body */
  readiness?: () => Readiness;
  /** first step of a shutdown once no request is in flight, before the pipeline drains and the sinks close (a feed of alerts stops here) */
  stopping?: () => Promise<void>;
}

/** What an extension may watch of the running service. */
export interface RunningPipeline {
  pipeline: Pipeline;
  fanout: SinkFanout;
  queue: IngestQueue;
}

/** How often a replay says how far it has come. */
const REPLAY_PROGRESS_MS = 10_000;
/** A shutdown's wait for uploads under way: a moment to finish, well within an orchestrator's grace period. */
const UPLOAD_GRACE_MS = 5_000;

export interface ServiceOptions {
  logger?: Logger;
  extensions?: ServeExtensions;
  /** the wall clock (ms): tests move max_signals windows and idle flushes with it */
  clock?: () => number;
  /** replace the stdout sink (tests read alerts from here) */
  stdoutSink?: AlertSink;
  /** how long a shutdown waits for requests still being received before closing their connections */
  uploadGraceMs?: number;
  /**
   * A stop asked for before the service listens (a signal during a long replay): the replay
   * ends at the next batch, what it queued runs through the rules without flushing what
   * sequences wait for (the log keeps their events), the sinks and extensions close, and
   * startService rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

export interface ReloadOutcome {
  ok: boolean;
  summary?: ReloadSummary;
  /** why the new rule set was refused; the running one is kept */
  error?: string;
}

export interface Service {
  readonly app: FastifyInstance;
  /** `http://host:port` (or https) as listened on */
  readonly url: string;
  readonly port: number;
  readonly pipeline: Pipeline;
  readonly queue: IngestQueue;
  readonly logger: Logger;
  /** Loads the rules again; an invalid set is refused and the running one kept. */
  reload(): Promise<ReloadOutcome>;
  /** Stops accepting, runs what was accepted through the rules, flushes the sinks. */
  close(): Promise<void>;
}

export class ServeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ServeError";
  }
}

/**
 * Rejects having stopped what it started and closed the extensions it was given (the data
 * directory's lock with them), whatever failed: the rules, the port, the replay. A caller
 * may start again in the same process.
 */
export async function startService(config: ServeConfig, options: ServiceOptions = {}): Promise<Service> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const extensions = options.extensions ?? {};
  let stopStarted = async () => {
    await extensions.close?.();
  };
  try {
    return await start(config, options, logger, (stop) => {
      stopStarted = stop;
    });
  } catch (error) {
    await stopStarted().catch((cause) =>
      logger.error({ err: cause }, "stopping what had started before the failure failed"),
    );
    throw error;
  }
}

/** `onRunning` is told how to stop the pipeline once it runs. */
async function start(
  config: ServeConfig,
  options: ServiceOptions,
  logger: Logger,
  onRunning: (stop: () => Promise<void>) => void,
): Promise<Service> {
  const extensions = options.extensions ?? {};
  const clock = options.clock ?? Date.now;
  if (!isLoopback(config.host) && !hasCredentials(config.auth)) {
    throw new ServeError(
      `refusing to listen on ${config.host} without authentication: anyone who can reach it could send events. ` +
        "Configure --api-key ID:KEY, --token TOKEN or --basic-auth USER:PASSWORD (or EQLITE_API_KEYS, EQLITE_TOKENS, EQLITE_BASIC_AUTH), or listen on 127.0.0.1",
    );
  }
  const https = config.tls ? readTls(config.tls) : undefined;
  if (config.dataDir) makeDirectory(config.dataDir);

  let bundle = await loadRuleBundle(config.rules, config.exceptions);
  const reloads: ReloadCounters = { ok: 0, rejected: 0, loadedAt: clock() };
  logger.info(
    {
      rules: bundle.ruleSet.rules.length,
      disabled: bundle.ruleSet.disabled,
      files: bundle.files,
      warnings: bundle.warnings.length,
    },
    "rules loaded",
  );
  for (const w of bundle.warnings) logger.debug({ warning: w }, "rule warning");
  for (const w of bundle.streamWarnings) logger.warn({ warning: w }, "rule warning");

  const sinks: AlertSink[] = [];
  if (writesToStdout(config)) sinks.push(options.stdoutSink ?? NdjsonSink.toStdout());
  if (config.output) sinks.push(outputFile(config.output));
  if (config.alertsFile)
    sinks.push(
      new RotatingFileSink({
        path: config.alertsFile,
        maxBytes: config.alertsFileMaxBytes,
        keep: config.alertsFileKeep,
      }),
    );
  sinks.push(...(extensions.sinks ?? []));
  if (sinks.length === 0) logger.warn("no alert sink: alerts are counted in /metrics but written nowhere");
  const fanout = new SinkFanout(sinks, {
    maxQueuedAlerts: config.sinkQueueAlerts,
    attempts: config.sinkRetries,
    logger,
  });
  const queue = new IngestQueue(config.queueEvents);
  const pipeline = new Pipeline({
    bundle,
    queue,
    fanout,
    logger,
    allowedLatenessMs: config.allowedLatenessMs,
    idleFlushMs: config.idleFlushMs,
    kibana: config.kibana,
    onProcessed: extensions.onProcessed,
    clock,
  });
  /** The last steps of every stop; `end`: the pipeline drains (the input ended) or halts (a replay cut short). */
  const shutDown = async (end: "drain" | "halt") => {
    try {
      await extensions.stopping?.();
    } catch (error) {
      logger.error({ err: error }, "stopping an extension failed");
    }
    // before the drain, which waits for every sink: a receiver that is down must not hold the shutdown
    fanout.stopping();
    await (end === "drain" ? pipeline.drain() : pipeline.halt());
    await fanout.close();
    await extensions.close?.();
    logger.info({ events: pipeline.stats.events, alerts: pipeline.stats.alerts }, "eqlite serve stopped");
  };
  let watcher: RulesWatcher | undefined;
  // without flushing what sequences wait for: the log keeps their events for the next start
  onRunning(async () => {
    watcher?.close();
    await shutDown("halt");
  });
  pipeline.start();
  extensions.attach?.({ pipeline, fanout, queue });
  if (!extensions.accept && !extensions.handoff)
    logger.warn(
      "no --data-dir: accepted events and alerts are kept in memory only; a crash loses what was accepted but not yet run through the rules",
    );
  // Watched from before the replay, which can take minutes: a change meanwhile is reloaded as
  // soon as the service listens, when there is a reload to run.
  let rulesChangedWhileStarting = false;
  let onRulesChanged = () => {
    rulesChangedWhileStarting = true;
  };
  watcher = config.watchRules
    ? watchRules(
        config.rules,
        config.reloadDebounceMs,
        () => onRulesChanged(),
        (path, error) => logger.warn({ path, err: error }, "cannot watch rules for changes; SIGHUP reloads"),
      )
    : undefined;
  const signal = options.signal;
  if (extensions.replay) {
    let replayed = 0;
    let saidAt = Number.NEGATIVE_INFINITY;
    let cut = false;
    for await (const batch of extensions.replay()) {
      if (signal?.aborted) {
        cut = true;
        break;
      }
      // a long replay keeps the port closed: say that it began, and how far it has come
      if (clock() - saidAt >= REPLAY_PROGRESS_MS) {
        saidAt = clock();
        logger.info(
          { events: replayed },
          "replaying events accepted before the last stop; the port opens when it is done",
        );
      }
      await queue.put(batch);
      replayed += batch.items.length;
    }
    if (cut)
      logger.info(
        { events: replayed },
        "replay stopped by the stop request: the events not replayed stay in the write-ahead log, and the next start replays them",
      );
    else if (replayed) logger.info({ events: replayed }, "replayed events accepted before the last stop");
  }
  if (signal?.aborted) throw signal.reason;

  let closing = false;
  let port = config.port;
  const ingest: IngestContext = {
    intake: new Intake(queue, extensions.accept ?? acceptAll, extensions.handoff),
    counters: emptyCounters(),
    recentIds: new RecentIds(100_000),
    defaultIndex: config.defaultIndex,
    setIngested: config.setIngested,
    maxBodyBytes: config.maxBodyBytes,
    maxEventBytes: extensions.handoff?.maxEventBytes,
    clock,
    nextSeqNo: 0,
  };
  const app = buildApp({
    logger,
    auth: config.auth,
    ingest,
    es: {
      esVersion: config.esVersion,
      name: "eqlite",
      publishAddress: () => config.publishAddress ?? `${config.host}:${port}`,
    },
    ops: {
      metrics: () =>
        renderMetrics({
          counters: ingest.counters,
          queue,
          pipeline,
          fanout,
          reloads,
          allowedLatenessMs: config.allowedLatenessMs,
          clock,
          extra: extensions.metrics,
        }),
      readiness: () => {
        const own = extensions.readiness?.();
        if (closing) return { ready: false, reason: "shutting down", detail: own?.detail };
        if (own && !own.ready) return own;
        if (!extensions.handoff && queue.isFull())
          return { ready: false, reason: "the ingest queue is full" };
        return { ready: true, detail: own?.detail };
      },
    },
    pathPrefix: config.pathPrefix,
    logRequests: config.logRequests,
    requestTimeoutMs: config.requestTimeoutMs,
    https,
    plugins: extensions.plugins,
  });
  const uploads = new UploadsInProgress();
  app.server.on("request", uploads.track);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await app.close().catch(() => {});
    throw new ServeError(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const address = app.server.address();
  port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `${https ? "https" : "http"}://${host}:${port}`;
  logger.info({ url, rules: bundle.ruleSet.rules.length }, "eqlite serve listening");

  // One reload at a time; a change during a reload asks for one more after it.
  let reloading: Promise<ReloadOutcome> | undefined;
  let again = false;
  const reloadOnce = async (): Promise<ReloadOutcome> => {
    try {
      const next = await loadRuleBundle(config.rules, config.exceptions);
      if (closing) return { ok: false, error: "shutting down" };
      const summary = pipeline.reload(next);
      bundle = next;
      reloads.ok++;
      reloads.loadedAt = clock();
      logger.info(
        {
          rules: next.ruleSet.rules.length,
          disabled: next.ruleSet.disabled,
          kept: summary.kept.length,
          added: summary.added,
          changed: summary.changed,
          removed: summary.removed,
          warnings: next.warnings.length,
        },
        "rules reloaded",
      );
      for (const w of next.streamWarnings) logger.warn({ warning: w }, "rule warning");
      return { ok: true, summary };
    } catch (error) {
      reloads.rejected++;
      const reason =
        error instanceof RuleBundleError ? error.message : `${(error as Error).message ?? String(error)}`;
      logger.error(
        { problems: error instanceof RuleBundleError ? error.problems : undefined },
        `rule reload refused, the running rules are kept: ${reason}`,
      );
      return { ok: false, error: reason };
    }
  };
  const reload = async (): Promise<ReloadOutcome> => {
    if (reloading) {
      again = true;
      return reloading;
    }
    reloading = (async () => {
      let outcome = await reloadOnce();
      while (again && !closing) {
        again = false;
        outcome = await reloadOnce();
      }
      return outcome;
    })();
    try {
      return await reloading;
    } finally {
      reloading = undefined;
    }
  };

  onRulesChanged = () => void reload();
  if (rulesChangedWhileStarting) {
    logger.info("the rule files changed while starting: reloading them");
    void reload();
  }

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= (async () => {
      closing = true;
      watcher?.close();
      logger.info("shutting down: no new requests; draining the queue");
      const stopped = app.close();
      const grace = setTimeout(() => {
        const abandoned = uploads.abandon();
        if (abandoned)
          logger.warn(
            { requests: abandoned },
            "shutting down: closed the connections of requests still being received; nothing of them was accepted, their senders will send them again",
          );
      }, options.uploadGraceMs ?? UPLOAD_GRACE_MS);
      try {
        await stopped;
      } finally {
        clearTimeout(grace);
      }
      await reloading;
      await shutDown("drain");
    })();
    return closed;
  };

  return { app, url, port, pipeline, queue, logger, reload, close };
}

/** `--output`: a file that cannot be opened is said at start, as `scan` says it, not found out alert by alert. */
function outputFile(path: string): AlertSink {
  try {
    makeDirectory(dirname(path));
    closeSync(openSync(path, "a"));
  } catch (error) {
    throw new ServeError(`cannot write alerts to ${path}: ${(error as Error).message}`);
  }
  return NdjsonSink.toFile(path);
}

function readTls(tls: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  try {
    return { cert: readFileSync(tls.cert), key: readFileSync(tls.key) };
  } catch (error) {
    throw new ServeError(`cannot read the TLS certificate or key: ${(error as Error).message}`);
  }
}
