import { join } from "node:path";
import type { Logger } from "pino";
import { openAlertState } from "./alert-state.ts";
import { CheckpointPlanner } from "./checkpoint-planner.ts";
import type { ServeConfig } from "./config.ts";
import { durabilityMetrics } from "./durability-metrics.ts";
import { HttpError, RETRY_AFTER } from "./es-error.ts";
import type { IngestBatch } from "./ingest-batch.ts";
import { orderingFields, ruleHoldings } from "./rule-holdings.ts";
import { type RunningPipeline, ServeError, type ServeExtensions } from "./service.ts";
import type { AlertStore } from "./store.ts";
import { WalBatchTooLargeError, WalError, WalFullError, WriteAheadLog } from "./wal.ts";
import { replayBatches, type WalItem } from "./wal-replay.ts";

/**
 * `eqlite serve --data-dir DIR`: what makes an acknowledged event survive a crash, and
 * its alerts with it, plugged into the service as extensions.
 *
 * - accept: each request's events, with their origin (index, `_id`) and the
 *   `event.ingested` stamped on arrival, are appended to the write-ahead log in
 *   `DIR/wal` and fdatasync'd before the sender is answered. A full log answers 429,
 *   a batch larger than a log segment 413.
 * - replay: at start, the events from the log's checkpoint are run through the rules
 *   again before the service listens. Alert ids depend only on the events and their
 *   origin, so the alerts already written come out with the same ids: the store keeps
 *   one copy, and webhooks skip the ids they delivered.
 * - checkpoint: every `checkpointIntervalMs` and at shutdown, moved as far as the
 *   CheckpointPlanner allows (nothing an open sequence, a reorder buffer or an
 *   undelivered alert may still need), trimming the log.
 * - sinks: the store (`DIR/eqlite.db`), then one webhook per URL (dead letters in
 *   `DIR/webhook-dead-letters.ndjson`); the alerts API reads the store (see alert-state.ts).
 * - the rules' counters go to the store every 10 s, and retention runs at start and hourly.
 */
export interface Durability {
  readonly extensions: ServeExtensions;
  readonly wal: WriteAheadLog;
  readonly store: AlertStore;
}

export interface DurabilityOptions {
  logger: Logger;
  clock?: () => number;
  /** how long a reorder buffer may keep the checkpoint back (default: ten idle flushes, 5 s by default) */
  maxHoldMs?: number;
}

/** The checkpoint moves by whole batches: replayed ones are kept small so it can pass them soon. */
const REPLAY_BATCH = 250;
const MAX_SEGMENT_BYTES = 64 * 1024 * 1024;

export { DEAD_LETTER_FILE } from "./alert-state.ts";

export async function openDurability(config: ServeConfig, options: DurabilityOptions): Promise<Durability> {
  const { logger } = options;
  const clock = options.clock ?? Date.now;
  const dataDir = config.dataDir;
  if (!dataDir) throw new ServeError("durable state needs a data directory (--data-dir)");

  // first: it locks the data directory, and the log's repair of its tail must not cut another process's appends
  const alertState = openAlertState(config, { logger, clock });
  let wal: WriteAheadLog;
  try {
    wal = await WriteAheadLog.open({
      dir: join(dataDir, "wal"),
      maxBytes: config.walMaxBytes,
      segmentBytes: Math.min(MAX_SEGMENT_BYTES, Math.floor(config.walMaxBytes / 4)),
      onProblem: (problem) => logger.warn({ problem }, `write-ahead log: ${problem.message}`),
    });
  } catch (error) {
    alertState.close();
    throw new ServeError(`cannot open the write-ahead log in ${dataDir}: ${(error as Error).message}`);
  }
  const store = alertState.store;
  logger.info(
    {
      dataDir,
      checkpoint: wal.checkpointed,
      nextSeq: wal.next,
      toReplay: wal.next - wal.checkpointed,
      repaired: wal.recovery.length,
      alerts: store.countAlerts(),
    },
    "durable state opened: events are acknowledged once written to the write-ahead log",
  );

  const planner = new CheckpointPlanner({
    startSeq: wal.checkpointed,
    allowedLatenessMs: config.allowedLatenessMs,
    maxHoldMs: options.maxHoldMs ?? 10 * config.idleFlushMs,
    clock,
  });
  /** each batch's first seq, to tell the planner when the pipeline is done with it */
  const firstSeqs = new WeakMap<IngestBatch, number>();
  let running: RunningPipeline | undefined;
  let replayed = 0;
  let checkpointMovedAt = clock();
  let pinned = false;
  let saidStuck = false;
  /** appends refused since the log last failed to take one (undefined while it takes them) */
  let refusedSinceFailure: number | undefined;
  const timers: NodeJS.Timeout[] = [];
  let ticking: Promise<void> | undefined;

  const track = (batch: IngestBatch, firstSeq: number, lastSeq: number) => {
    firstSeqs.set(batch, firstSeq);
    const ruleSet = running?.pipeline.detection.rules;
    planner.track(firstSeq, lastSeq, batch.items, ruleSet ? orderingFields(ruleSet) : ["@timestamp"]);
  };

  /** One look: judge the rules, then move the log's checkpoint as far as that allows. */
  const checkpoint = async (final: boolean) => {
    if (!running) return;
    const engine = running.pipeline.detection;
    let rules = ruleHoldings(engine);
    if (!final && planner.takeOverdue(rules, clock())) {
      logger.debug("a reorder buffer kept the checkpoint back too long; releasing held events");
      running.pipeline.releaseHeld();
      rules = ruleHoldings(engine);
    }
    const progress = running.fanout.progress;
    const seq = planner.plan(rules, progress);
    if (progress.firstDropped !== null && !pinned) {
      pinned = true;
      logger.error(
        "a sink gave up on alerts: the log is no longer trimmed, so the next start runs their events again and writes them once more; until then the log fills, and then ingest answers 429",
      );
    }
    // once per spell: a log too small for a rule's reach stays full until an operator acts
    const stuck = wal.full && planner.heldBy?.by === "rule" && planner.heldBy.holds === "sequences";
    if (stuck && !saidStuck) logger.error(`the write-ahead log is full: ${fullBecause()}`);
    saidStuck = stuck;
    if (seq > wal.checkpointed) {
      await wal.checkpoint(seq);
      checkpointMovedAt = clock();
    } else if (wal.checkpointed === wal.next) checkpointMovedAt = clock();
  };
  const tick = () => {
    if (ticking) return;
    ticking = checkpoint(false)
      .catch((error) => logger.error({ err: error }, "checkpoint failed"))
      .finally(() => {
        ticking = undefined;
      });
  };

  /** Why the checkpoint cannot free the log: the remedy differs. */
  const fullBecause = (): string => {
    const holder = planner.heldBy;
    if (holder?.by === "rule") {
      const id = holder.rule_id.split("\u0000")[0];
      const rule = running?.pipeline.detection.rules.rules.find((r) => r.rule.rule_id === id);
      const name = rule ? `"${rule.rule.name}" (${id})` : id;
      if (holder.holds === "sequences")
        return (
          `its checkpoint is held at seq ${holder.seq} by rule ${name}: its open sequences may still need events ` +
          "that far back (its maxspan, or its window without one, plus --allowed-lateness), more than the log holds; " +
          "raise --wal-max-bytes, or shorten the rule's maxspan"
        );
      return `its checkpoint is held at seq ${holder.seq} by rule ${name}, whose events wait to be ordered`;
    }
    return "its checkpoint is behind (the rules or a sink are slower than the input)";
  };

  const extensions: ServeExtensions = {
    accept: async (batch) => {
      const items: WalItem[] = batch.items.map(({ event, origin }) => ({ event, origin }));
      let range: Awaited<ReturnType<WriteAheadLog["append"]>>;
      try {
        range = await wal.append(items);
      } catch (error) {
        if (error instanceof WalFullError)
          throw new HttpError(
            429,
            "es_rejected_execution_exception",
            `eqlite: ${error.message}; retry later`,
            { "retry-after": RETRY_AFTER.logFull },
          );
        if (error instanceof WalBatchTooLargeError)
          throw new HttpError(413, "content_too_long_exception", `eqlite: ${error.message}`, {
            connection: "close",
          });
        if (error instanceof WalError) {
          // once per outage, not per refused request: a full disk refuses every one
          if (refusedSinceFailure === undefined)
            logger.error(
              { err: error },
              "the write-ahead log cannot be written: ingest answers 503 until it can",
            );
          refusedSinceFailure = (refusedSinceFailure ?? 0) + 1;
        }
        throw error;
      }
      if (refusedSinceFailure !== undefined) {
        logger.warn({ refused: refusedSinceFailure }, "the write-ahead log is written again");
        refusedSinceFailure = undefined;
      }
      track(batch, range.firstSeq, range.lastSeq);
    },
    onProcessed: (batch) => {
      const first = firstSeqs.get(batch);
      if (first !== undefined) planner.processed(first);
    },
    replay: async function* () {
      const skipped = (seq: number) =>
        logger.warn({ seq }, "write-ahead log: an entry that is not an accepted event was skipped");
      for await (const { batch, firstSeq, lastSeq } of replayBatches(wal, REPLAY_BATCH, skipped)) {
        track(batch, firstSeq, lastSeq);
        replayed += batch.items.length;
        yield batch;
      }
    },
    readiness: () => {
      if (wal.broken)
        return {
          ready: false,
          reason: `the write-ahead log cannot be written until eqlite is restarted: ${wal.broken.message}`,
        };
      if (wal.full) return { ready: false, reason: `the write-ahead log is full: ${fullBecause()}` };
      return { ready: true };
    },
    sinks: alertState.extensions.sinks,
    plugins: alertState.extensions.plugins,
    attach: (r) => {
      running = r;
      timers.push(setInterval(tick, config.checkpointIntervalMs));
      for (const t of timers) t.unref();
      alertState.extensions.attach?.(r);
    },
    metrics: (out) => {
      durabilityMetrics(out, {
        wal,
        replayed,
        pinned,
        checkpointAgeMs: wal.checkpointed === wal.next ? 0 : clock() - checkpointMovedAt,
      });
      alertState.extensions.metrics?.(out);
    },
    close: async () => {
      for (const t of timers) clearInterval(t);
      await ticking;
      try {
        await checkpoint(true);
      } catch (error) {
        logger.error({ err: error }, "the last checkpoint failed; the next start replays more");
      }
      logger.info(
        { checkpoint: wal.checkpointed, nextSeq: wal.next, toReplay: wal.next - wal.checkpointed },
        "durable state closed",
      );
      await wal.close();
      alertState.close();
    },
  };
  return { extensions, wal, store };
}
